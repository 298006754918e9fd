package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/swhook/swhook/inspect/store/journal"
)

// recoverJournals inserts the records of every journal whose listener is
// gone and deletes those journals (journal.Recover). Records already
// indexed are recognised by their ID and time and skipped; one whose ID
// another process took meanwhile gets a new ID rather than be lost.
// Records older than the oldest exchange kept were pruned after they were
// indexed, and are not brought back.
func recoverJournals(ctx context.Context, db *sql.DB, dbPath string, c *journal.Counter) error {
	return journal.Recover(dbPath, isRow, func(recs []journal.Record) error {
		rows := make([][]any, len(recs))
		for i, r := range recs {
			rows[i] = recordArgs(r)
		}
		return retryLocked(ctx, maxLocked, func() error { return insertRecovered(ctx, db, rows, c) })
	})
}

func insertRecovered(ctx context.Context, db *sql.DB, recs [][]any, c *journal.Counter) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var oldest sql.NullInt64
	var cleared int64
	err = tx.QueryRowContext(ctx, `SELECT (SELECT MIN(id) FROM exchanges), COALESCE((SELECT cleared FROM id_reserve), 0)`).Scan(&oldest, &cleared)
	if err != nil {
		return err
	}
	// Rows keep the ID their webhook was acknowledged with wherever it is
	// free; the others are numbered after them.
	var renumber [][]any
	for _, row := range recs {
		id := row[0].(int64)
		if oldest.Valid && id < oldest.Int64 || id <= cleared {
			continue // indexed, then pruned or cleared
		}
		var ts, tns int64
		err := tx.QueryRowContext(ctx, `SELECT time_s, time_ns FROM exchanges WHERE id = ?`, id).Scan(&ts, &tns)
		switch {
		case err == nil && ts == asInt(row[1]) && tns == asInt(row[2]):
			continue // indexed before the crash
		case err == nil:
			row[0] = nil // the ID went to another exchange: take a new one
			renumber = append(renumber, row)
			continue
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if _, err := tx.ExecContext(ctx, insertSQL, row...); err != nil {
			return err
		}
	}
	if len(renumber) > 0 {
		// New IDs from the shared counter, past everything stored, so
		// that none is one a running listener has handed out.
		var top, reserved int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE((SELECT MAX(id) FROM exchanges), 0),
			COALESCE((SELECT id FROM id_reserve), 0)`).Scan(&top, &reserved); err != nil {
			return err
		}
		c.Raise(max(top, reserved))
		for _, row := range renumber {
			row[0] = c.Take(1)
			if _, err := tx.ExecContext(ctx, insertSQL, row...); err != nil {
				return err
			}
		}
	}
	return tx.Commit()
}

// recordArgs is a journal record as insertSQL's arguments: its ID in the
// first place, and the columns a record journaled before migration 7 lacks.
func recordArgs(r journal.Record) []any {
	r.Row[0] = r.ID
	if len(r.Row) == rowArgsV5 {
		r.Row = append(r.Row, "", "") // journaled before migration 7
	}
	return r.Row
}

// isRow reports whether a journal record holds what encode returns (the
// parts recovery reads, typed as it reads them): a record with the right
// checksum may still not be one this code wrote.
func isRow(row []any) bool {
	if len(row) != rowArgs && len(row) != rowArgsV5 {
		return false
	}
	_, s := row[1].(int64)
	_, ns := row[2].(int64)
	return s && ns
}

func asInt(v any) int64 {
	switch v := v.(type) {
	case int64:
		return v
	case int:
		return int64(v)
	}
	return -1
}
