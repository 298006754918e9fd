package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/swhook/swhook/inspect/exchange"
)

// Get returns one exchange whole.
func (s *Store) Get(ctx context.Context, id int64) (*exchange.Exchange, error) {
	xs, err := s.List(ctx, Query{IDs: []int64{id}})
	if err != nil {
		return nil, err
	}
	if len(xs) == 0 {
		return nil, fmt.Errorf("exchange #%d: %w", id, ErrNotFound)
	}
	return xs[0], nil
}

// Last returns the newest exchange.
func (s *Store) Last(ctx context.Context) (*exchange.Exchange, error) {
	xs, err := s.List(ctx, Query{Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(xs) == 0 {
		return nil, fmt.Errorf("last exchange: %w", ErrNotFound)
	}
	return xs[0], nil
}

// List returns the exchanges q selects, newest first (oldest first with
// q.Oldest).
func (s *Store) List(ctx context.Context, q Query) ([]*exchange.Exchange, error) {
	dir := "DESC"
	if q.Oldest {
		dir = "ASC"
	}
	if strings.TrimSpace(q.Detail) != "" {
		return s.listByDetail(ctx, q)
	}
	where, args, err := q.where()
	if err != nil {
		return nil, err
	}
	v, err := s.view(ctx)
	if err != nil {
		return nil, err
	}
	defer v.close()
	query := summaryFrom
	if !q.Summary {
		query = fullFrom
	}
	switch {
	case where != "":
		// Pick the page's IDs first, then read their rows: sorting a filtered
		// range then sorts bare IDs (often straight off an index) instead of
		// every matching row with its JSON.
		sub := "SELECT id FROM exchanges" + where
		if q.Limit > 0 {
			sub += " ORDER BY id " + dir + " LIMIT " + strconv.Itoa(q.Limit)
		}
		query += " WHERE id IN (" + sub + ") ORDER BY id " + dir
	case q.Limit > 0:
		query += " ORDER BY id " + dir + " LIMIT " + strconv.Itoa(q.Limit)
	default:
		query += " ORDER BY id " + dir
	}
	out, err := listFrom(ctx, v.q, query, args, q.Summary)
	if err != nil || !v.pending {
		return out, err
	}
	more, err := listFrom(ctx, v.q, onPending(query), args, q.Summary)
	if err != nil {
		return nil, err
	}
	// Both in the same order, no ID in both (see view): merge, then cut.
	out = append(out, more...)
	slices.SortStableFunc(out, func(a, b *exchange.Exchange) int {
		if q.Oldest {
			return cmp.Compare(a.ID, b.ID)
		}
		return cmp.Compare(b.ID, a.ID)
	})
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

func listFrom(ctx context.Context, db querier, query string, args []any, summary bool) ([]*exchange.Exchange, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list exchanges: %w", err)
	}
	defer rows.Close()
	var out []*exchange.Exchange
	for rows.Next() {
		x, err := scan(rows, summary)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list exchanges: %w", err)
	}
	return out, nil
}

// Count returns how many exchanges q selects (Limit ignored).
func (s *Store) Count(ctx context.Context, q Query) (int, error) {
	if strings.TrimSpace(q.Detail) != "" {
		q.Limit, q.Summary = 0, true
		xs, err := s.listByDetail(ctx, q)
		return len(xs), err
	}
	where, args, err := q.where()
	if err != nil {
		return 0, err
	}
	n, err := s.aggregate(ctx, "SELECT COUNT(*) FROM exchanges"+where, args, func(a, b int64) int64 { return a + b })
	if err != nil {
		return 0, fmt.Errorf("count exchanges: %w", err)
	}
	return int(n), nil
}

// LatestID returns the highest ID in the store (0 when empty), so a running
// listen can notice exchanges another process added (replays).
func (s *Store) LatestID(ctx context.Context) (int64, error) {
	id, err := s.aggregate(ctx, "SELECT COALESCE(MAX(id), 0) FROM exchanges", nil, func(a, b int64) int64 { return max(a, b) })
	if err != nil {
		return 0, fmt.Errorf("latest exchange: %w", err)
	}
	return id, nil
}

// OldestID returns the lowest ID q selects (0 when none; Limit and
// BeforeID ignored), so a live view can drop rows that were pruned or
// cleared since it loaded them.
func (s *Store) OldestID(ctx context.Context, q Query) (int64, error) {
	q.Limit, q.BeforeID = 0, 0
	where, args, err := q.where()
	if err != nil {
		return 0, err
	}
	id, err := s.aggregate(ctx, "SELECT COALESCE(MIN(id), 0) FROM exchanges"+where, args, func(a, b int64) int64 {
		if a == 0 || b != 0 && b < a {
			return b
		}
		return a
	})
	if err != nil {
		return 0, fmt.Errorf("oldest exchange: %w", err)
	}
	return id, nil
}

// aggregate runs a one-number query on the store and, when the view has
// pending rows, on them too, and combines the two.
func (s *Store) aggregate(ctx context.Context, query string, args []any, combine func(a, b int64) int64) (int64, error) {
	v, err := s.view(ctx)
	if err != nil {
		return 0, err
	}
	defer v.close()
	return v.aggregate(ctx, query, args, combine)
}

// aggregate is Store.aggregate on a view already open. A NULL (MAX of no
// rows) reads as 0.
func (v view) aggregate(ctx context.Context, query string, args []any, combine func(a, b int64) int64) (int64, error) {
	var n sql.NullInt64
	if err := v.q.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, err
	}
	if v.pending {
		var m sql.NullInt64
		if err := v.q.QueryRowContext(ctx, onPending(query), args...).Scan(&m); err != nil {
			return 0, err
		}
		return combine(n.Int64, m.Int64), nil
	}
	return n.Int64, nil
}

// CheckStatusFilter reports whether s is a Query.Status filter the store
// understands, so commands can reject a typo as a usage error up front.
func CheckStatusFilter(s string) error {
	_, _, err := statusClause(s)
	return err
}

func statusClause(s string) (string, []any, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == "":
		return "", nil, nil
	case s == "error":
		// human.HandlerFailed, the one meaning of "error": unreachable,
		// cut off, or a 5xx answer.
		return "(resp_error <> '' OR resp_status >= 500) AND " + failedCond, nil, nil
	case s == "2xx":
		return "resp_status BETWEEN 200 AND 299", nil, nil
	case len(s) == 3 && s[0] >= '1' && s[0] <= '5' && s[1:] == "xx":
		lo := int(s[0]-'0') * 100
		// Repeating failedCond lets the partial index serve it.
		return "resp_status BETWEEN ? AND ? AND " + failedCond, []any{lo, lo + 99}, nil
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 100 && n <= 599 {
		if n >= 200 && n <= 299 {
			return "resp_status = ?", []any{n}, nil
		}
		return "resp_status = ? AND " + failedCond, []any{n}, nil
	}
	return "", nil, fmt.Errorf("status filter %q: want a code such as 404, a class such as 5xx, or error", s)
}

func (q Query) where() (string, []any, error) {
	var conds []string
	var args []any
	if q.BeforeID > 0 {
		conds = append(conds, "id < ?")
		args = append(args, q.BeforeID)
	}
	if q.AfterID > 0 {
		conds = append(conds, "id > ?")
		args = append(args, q.AfterID)
	}
	if q.IDs != nil {
		if len(q.IDs) == 0 {
			conds = append(conds, "0")
		} else {
			ph := strings.TrimSuffix(strings.Repeat("?,", len(q.IDs)), ",")
			conds = append(conds, "id IN ("+ph+")")
			for _, id := range q.IDs {
				args = append(args, id)
			}
		}
	}
	if k := strings.TrimSuffix(strings.TrimSpace(q.Kind), "."); k != "" && isLeafKind(k) {
		// A whole kind: equality, so the index yields IDs newest first and
		// a page stops after its last row, with no sort.
		conds = append(conds, "kind = ?")
		args = append(args, k)
	} else if k != "" {
		// "call" matches call and call.*. One range on the kind index
		// (['call', 'call/'), '/' being the byte after '.'), then a residual
		// test kept off the index with '+': written as a top-level OR,
		// SQLite's multi-index OR plan is a hundred times slower.
		conds = append(conds, "kind >= ? AND kind < ? AND (+kind = ? OR +kind >= ?)")
		args = append(args, k, k+"/", k, k+".")
	}
	if q.Status != "" {
		c, a, err := statusClause(q.Status)
		if err != nil {
			return "", nil, err
		}
		conds = append(conds, c)
		args = append(args, a...)
	}
	if q.Signature != "" {
		conds = append(conds, "sig_status = ?")
		args = append(args, q.Signature)
		if q.Signature != string(exchange.SigValid) {
			conds = append(conds, "sig_status <> 'valid'") // the partial index's term
		}
	}
	if !q.Since.IsZero() {
		conds = append(conds, "(time_s, time_ns) >= (?, ?)")
		args = append(args, q.Since.Unix(), q.Since.Nanosecond())
	}
	if q.Failed {
		conds = append(conds, failedCond)
	}
	if q.Listener != "" {
		conds = append(conds, "listener = ?")
		args = append(args, q.Listener)
	}
	if q.Call != "" {
		conds = append(conds, "call_id = ? AND call_id <> ''") // the partial index's term
		args = append(args, q.Call)
	}
	if q.Calls != nil {
		if len(q.Calls) == 0 {
			conds = append(conds, "0")
		} else {
			ph := strings.TrimSuffix(strings.Repeat("?,", len(q.Calls)), ",")
			conds = append(conds, "call_id IN ("+ph+") AND call_id <> ''")
			for _, c := range q.Calls {
				args = append(args, c)
			}
		}
	}
	// When the failure index is the only one that applies, say so.
	failedOnly := (q.Failed || strings.EqualFold(strings.TrimSpace(q.Status), "error")) &&
		q.Kind == "" && (q.Signature == "" || q.Signature == string(exchange.SigValid)) &&
		q.Listener == "" && q.Call == "" && q.Calls == nil
	if len(conds) == 0 {
		return "", nil, nil
	}
	hint := ""
	if failedOnly {
		// Without statistics SQLite would rather scan every row newest
		// first than walk a partial index it cannot bound; failures are the
		// rare rows, so the index is the right call.
		hint = " INDEXED BY exchanges_failed"
	}
	return hint + " WHERE " + strings.Join(conds, " AND "), args, nil
}

// isLeafKind reports a known kind that no other kind extends ("call.status",
// not "call" or "relay.call").
func isLeafKind(k string) bool {
	known := false
	for _, kind := range exchange.Kinds {
		switch {
		case string(kind) == k:
			known = true
		case strings.HasPrefix(string(kind), k+"."):
			return false
		}
	}
	return known
}

// listByDetail is List for a Query with a Detail. The detail lives in each
// row's head, not in a column SQL can test, so the other filters select
// summaries, the detail is matched here, and whole exchanges (when asked
// for) are read by ID afterwards. It serves `list --event ringing`, a
// person's query, not the live path.
func (s *Store) listByDetail(ctx context.Context, q Query) ([]*exchange.Exchange, error) {
	d := strings.TrimSpace(q.Detail)
	all := q
	all.Detail, all.Limit, all.Summary = "", 0, true
	xs, err := s.List(ctx, all)
	if err != nil {
		return nil, err
	}
	var out []*exchange.Exchange
	for _, x := range xs {
		if strings.EqualFold(x.Event.Detail, d) {
			out = append(out, x)
			if q.Limit > 0 && len(out) == q.Limit {
				break
			}
		}
	}
	if q.Summary || len(out) == 0 {
		return out, nil
	}
	ids := make([]int64, len(out))
	for i, x := range out {
		ids[i] = x.ID
	}
	return s.List(ctx, Query{IDs: ids})
}
