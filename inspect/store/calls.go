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
	if err := s.sync(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db().QueryContext(ctx, "SELECT id, call_id FROM exchanges"+where+" ORDER BY id DESC", args...)
	if err != nil {
		return nil, fmt.Errorf("list calls: %w", err)
	}
	seen := map[string]bool{}
	var ids []string
	for rows.Next() && len(ids) < limit {
		var id int64
		var call string
		if err := rows.Scan(&id, &call); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list calls: %w", err)
		}
		if seen[call] {
			continue
		}
		seen[call] = true
		if before > 0 {
			var newest int64
			if err := s.db().QueryRowContext(ctx, "SELECT MAX(id) FROM exchanges WHERE call_id = ? AND call_id <> ''", call).Scan(&newest); err != nil {
				rows.Close()
				return nil, fmt.Errorf("list calls: %w", err)
			}
			if newest >= before {
				continue // on an earlier page
			}
		}
		ids = append(ids, call)
	}
	err = rows.Err()
	rows.Close()
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

// CallOf returns one call's webhooks, oldest first. ref is a call ID, a
// unique prefix of one (as `list --calls` shortens them), or "last" for the
// call of the newest webhook that names one; ErrNotFound when there is
// none.
func (s *Store) CallOf(ctx context.Context, ref string) (*Call, error) {
	if err := s.sync(ctx); err != nil {
		return nil, err
	}
	id := strings.TrimSpace(ref)
	switch {
	case strings.EqualFold(id, "last"):
		err := s.db().QueryRowContext(ctx, "SELECT call_id FROM exchanges WHERE call_id <> '' ORDER BY id DESC LIMIT 1").Scan(&id)
		if err != nil {
			return nil, fmt.Errorf("last call: %w", ErrNotFound)
		}
	case id != "":
		var n int
		if err := s.db().QueryRowContext(ctx, "SELECT COUNT(*) FROM exchanges WHERE call_id = ? AND call_id <> ''", id).Scan(&n); err != nil {
			return nil, fmt.Errorf("call %s: %w", id, err)
		}
		if n == 0 && len(id) >= 4 {
			// A prefix: the range [id, id+"\xff") on the call index.
			r, err := s.db().QueryContext(ctx, "SELECT DISTINCT call_id FROM exchanges WHERE call_id >= ? AND call_id < ? AND call_id <> '' LIMIT 2", id, id+"\xff")
			if err != nil {
				return nil, fmt.Errorf("call %s: %w", id, err)
			}
			var found []string
			for r.Next() {
				var c string
				if r.Scan(&c) == nil {
					found = append(found, c)
				}
			}
			r.Close()
			switch len(found) {
			case 1:
				id = found[0]
			case 2:
				return nil, fmt.Errorf("call %s: more than one call starts so; give more of its ID", ref)
			}
		}
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
