package store

import (
	"context"
	"database/sql"
	"fmt"
)

// backfillCalls gives the rows a store held before migration 7 their
// call_id, from their requests, a batch at a time (the rows of a batch are
// read whole, then updated, on the migration's transaction).
func backfillCalls(ctx context.Context, tx *sql.Tx) error {
	const batch = 500
	type upd struct {
		id   int64
		call string
	}
	after := int64(0)
	for {
		rows, err := tx.QueryContext(ctx, fullFrom+" WHERE id > ? ORDER BY id LIMIT "+fmt.Sprint(batch), after)
		if err != nil {
			return fmt.Errorf("group calls: %w", err)
		}
		var todo []upd
		n := 0
		for rows.Next() {
			x, err := scan(rows, false)
			if err != nil {
				rows.Close()
				return fmt.Errorf("group calls: %w", err)
			}
			n++
			after = x.ID
			if g := callOf(&x.Request).Group(); g != "" {
				todo = append(todo, upd{x.ID, g})
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("group calls: %w", err)
		}
		for _, u := range todo {
			if _, err := tx.ExecContext(ctx, `UPDATE exchanges SET call_id = ? WHERE id = ?`, u.call, u.id); err != nil {
				return fmt.Errorf("group calls: %w", err)
			}
		}
		if n < batch {
			return nil
		}
	}
}
