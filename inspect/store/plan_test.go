package store

import (
	"strconv"
	"strings"
	"testing"
)

// TestQueriesUseTheirIndexes pins the query plans the list filters rely on:
// a rewrite that silently turns an index search into a scan of 100 000 rows
// fails here rather than in a user's TUI.
func TestQueriesUseTheirIndexes(t *testing.T) {
	st, _ := openTemp(t, Options{})
	for _, c := range []struct {
		q     Query
		index string
	}{
		{Query{Signature: "invalid", Limit: 100}, "exchanges_unverified"},
		{Query{Signature: "missing"}, "exchanges_unverified"},
		{Query{Failed: true, Limit: 100}, "exchanges_failed"},
		{Query{Status: "5xx", Limit: 100}, "exchanges_failed"},
		{Query{Status: "error"}, "exchanges_failed"},
		{Query{Status: "404"}, "exchanges_failed"},
		{Query{Kind: "call", Limit: 100}, "exchanges_kind"},
		{Query{Kind: "fax.status", Limit: 100}, "exchanges_kind (kind=?)"},
	} {
		where, args, err := c.q.where()
		if err != nil {
			t.Fatal(err)
		}
		rows, err := st.db().Query("EXPLAIN QUERY PLAN SELECT id FROM exchanges"+where+" ORDER BY id DESC LIMIT "+strconv.Itoa(max(c.q.Limit, 1)), args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		if p := strings.Join(plan, "; "); !strings.Contains(p, "USING INDEX "+c.index) && !strings.Contains(p, "USING COVERING INDEX "+c.index) {
			t.Errorf("%+v: plan %q does not use %s", c.q, p, c.index)
		}
	}
}
