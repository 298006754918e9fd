package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/swhook/swhook/inspect/exchange"
)

// Call is one call (or message) and its webhooks, oldest first: what
// `list --calls` prints a line of and the live view's timeline draws.
type Call struct {
	ID string
	// Exchanges are the call's webhooks (summaries), oldest first, child
	// legs included.
	Exchanges []*exchange.Exchange
}

// NewestID is the call's newest webhook's ID.
func (c *Call) NewestID() int64 {
	if len(c.Exchanges) == 0 {
		return 0
	}
	return c.Exchanges[len(c.Exchanges)-1].ID
}

// Calls returns up to limit calls, newest first (by each call's newest
// webhook), among those with a webhook q selects; q.BeforeID pages back
// (pass the last call's NewestID). A call listed on an earlier page (its
// newest webhook at or above q.BeforeID) is not listed again.
//
// It walks the matching rows newest first on the call index, gathering
// distinct calls until the page is full, then reads those calls' rows: a
// page costs about limit × (webhooks per call) row reads, whatever the
// store's size.
func (s *Store) Calls(ctx context.Context, q Query, limit int) ([]*Call, error) {
	if limit <= 0 {
		limit = 50
	}
	before := q.BeforeID
	q.Limit, q.IDs, q.Summary = 0, nil, true
	where, args, err := q.where()
	if err != nil {
		return nil, err
	}
	if where == "" {
		where = " WHERE call_id <> ''"
	} else {
		where += " AND call_id <> ''"
	}
	v, err := s.view(ctx)
	if err != nil {
		return nil, err
	}
	ids, err := pageCalls(ctx, v, where, args, before, limit)
	v.close()
	if err != nil {
		return nil, fmt.Errorf("list calls: %w", err)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	xs, err := s.List(ctx, Query{Calls: ids, Summary: true})
	if err != nil {
		return nil, err
	}
	byID := map[string]*Call{}
	for _, id := range ids {
		byID[id] = &Call{ID: id}
	}
	for i := len(xs) - 1; i >= 0; i-- { // oldest first
		x := xs[i]
		if c := byID[x.Call.Group()]; c != nil {
			c.Exchanges = append(c.Exchanges, x)
		}
	}
	out := make([]*Call, 0, len(ids))
	for _, id := range ids {
		if c := byID[id]; len(c.Exchanges) > 0 {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b *Call) int { return int(b.NewestID() - a.NewestID()) })
	return out, nil
}

// pageCalls picks the page's calls: distinct call IDs, newest first, off
// the call index and off the rows only journals hold yet (few: read whole,
// then merged in ID order).
func pageCalls(ctx context.Context, v view, where string, args []any, before int64, limit int) ([]string, error) {
	const pick = "SELECT id, call_id FROM exchanges"
	type row struct {
		id   int64
		call string
	}
	var pending []row
	if v.pending {
		r, err := v.q.QueryContext(ctx, onPending(pick+where+" ORDER BY id DESC"), args...)
		if err != nil {
			return nil, err
		}
		for r.Next() {
			var x row
			if err := r.Scan(&x.id, &x.call); err != nil {
				r.Close()
				return nil, err
			}
			pending = append(pending, x)
		}
		err = r.Err()
		r.Close()
		if err != nil {
			return nil, err
		}
	}
	rows, err := v.q.QueryContext(ctx, pick+where+" ORDER BY id DESC", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	seen := map[string]bool{}
	var ids []string
	take := func(x row) error {
		if seen[x.call] {
			return nil
		}
		seen[x.call] = true
		if before > 0 {
			newest, err := newestOf(ctx, v, x.call)
			if err != nil {
				return err
			}
			if newest >= before {
				return nil // on an earlier page
			}
		}
		ids = append(ids, x.call)
		return nil
	}
	more := true
	for len(ids) < limit && (more || len(pending) > 0) {
		var x row
		if more {
			if more = rows.Next(); more {
				if err := rows.Scan(&x.id, &x.call); err != nil {
					return nil, err
				}
			}
		}
		for len(pending) > 0 && (!more || pending[0].id > x.id) && len(ids) < limit {
			if err := take(pending[0]); err != nil {
				return nil, err
			}
			pending = pending[1:]
		}
		if more && len(ids) < limit {
			if err := take(x); err != nil {
				return nil, err
			}
		}
	}
	return ids, rows.Err()
}

// newestOf is the ID of a call's newest webhook, indexed or journaled.
func newestOf(ctx context.Context, v view, call string) (int64, error) {
	const q = "SELECT MAX(id) FROM exchanges WHERE call_id = ? AND call_id <> ''"
	return v.aggregate(ctx, q, []any{call}, func(a, b int64) int64 { return max(a, b) })
}

// CallOf returns one call's webhooks, oldest first. ref is a call ID, a
// unique prefix of one (as `list --calls` shortens them), or "last" for the
// call of the newest webhook that names one; ErrNotFound when there is
// none.
func (s *Store) CallOf(ctx context.Context, ref string) (*Call, error) {
	v, err := s.view(ctx)
	if err != nil {
		return nil, err
	}
	id, err := resolveCall(ctx, v, ref)
	v.close()
	if err != nil {
		return nil, err
	}
	xs, err := s.List(ctx, Query{Call: id, Summary: true})
	if err != nil {
		return nil, err
	}
	if id == "" || len(xs) == 0 {
		return nil, fmt.Errorf("call %s: %w", ref, ErrNotFound)
	}
	slices.Reverse(xs)
	return &Call{ID: id, Exchanges: xs}, nil
}

// resolveCall turns CallOf's ref into a call ID, on the indexed rows and
// those only journals hold yet.
func resolveCall(ctx context.Context, v view, ref string) (string, error) {
	id := strings.TrimSpace(ref)
	switch {
	case strings.EqualFold(id, "last"):
		const q = "SELECT id, call_id FROM exchanges WHERE call_id <> '' ORDER BY id DESC LIMIT 1"
		var newest int64
		found := v.q.QueryRowContext(ctx, q).Scan(&newest, &id) == nil
		if v.pending {
			var n int64
			var c string
			if v.q.QueryRowContext(ctx, onPending(q)).Scan(&n, &c) == nil && (!found || n > newest) {
				id, found = c, true
			}
		}
		if !found {
			return "", fmt.Errorf("last call: %w", ErrNotFound)
		}
	case id != "":
		n, err := newestOf(ctx, v, id)
		if err != nil {
			return "", fmt.Errorf("call %s: %w", id, err)
		}
		if n == 0 && len(id) >= 4 {
			// A prefix: the range [id, id+"\xff") on the call index.
			const q = "SELECT DISTINCT call_id FROM exchanges WHERE call_id >= ? AND call_id < ? AND call_id <> '' LIMIT 2"
			found := map[string]bool{}
			qs := []string{q}
			if v.pending {
				qs = append(qs, onPending(q))
			}
			for _, q := range qs {
				r, err := v.q.QueryContext(ctx, q, id, id+"\xff")
				if err != nil {
					return "", fmt.Errorf("call %s: %w", id, err)
				}
				for r.Next() {
					var c string
					if r.Scan(&c) == nil {
						found[c] = true
					}
				}
				r.Close()
			}
			switch {
			case len(found) == 1:
				for c := range found {
					id = c
				}
			case len(found) > 1:
				return "", fmt.Errorf("call %s: more than one call starts so; give more of its ID", ref)
			}
		}
	}
	return id, nil
}
