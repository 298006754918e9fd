package store

import (
	"context"
	"database/sql"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/exchange"
)

func formHook(id int, body string) *exchange.Exchange {
	return &exchange.Exchange{
		Time:   time.Date(2026, 12, 1, 10, 0, id, 0, time.UTC),
		Source: exchange.SourceLocal,
		Request: exchange.Request{Method: "POST", Path: "/voice",
			Headers: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, Body: exchange.Body(body), BodySize: int64(len(body))},
		Signature: exchange.Signature{Status: exchange.SigValid},
		Response:  exchange.Response{Status: 200},
	}
}

func idsOf(xs []*exchange.Exchange) []int64 {
	var out []int64
	for _, x := range xs {
		out = append(out, x.ID)
	}
	return out
}

// Saving an exchange names its call from its request (the saver need not);
// a child leg groups under its parent; Query.Call and Query.Listener select
// by the columns.
func TestSaveGroupsByCallAndListener(t *testing.T) {
	ctx := context.Background()
	st, _ := openTemp(t, Options{})
	hooks := []*exchange.Exchange{
		formHook(1, "CallSid=A&CallStatus=ringing"),
		formHook(2, "CallSid=B&CallStatus=ringing"),
		formHook(3, "CallSid=A&Digits=1"),
		formHook(4, "CallSid=A1&ParentCallSid=A&CallStatus=completed&CallDuration=4"),
		formHook(5, "Nothing=here"),
	}
	hooks[1].Listener = "http://127.0.0.1:4748"
	for _, x := range hooks {
		if err := st.Save(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	if hooks[3].Call != (exchange.CallRef{ID: "A1", Parent: "A"}) {
		t.Errorf("Save did not name the child leg's call: %+v", hooks[3].Call)
	}
	a, err := st.List(ctx, Query{Call: "A", Summary: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := idsOf(a); !slices.Equal(got, []int64{4, 3, 1}) {
		t.Errorf("call A: %v", got)
	}
	if a[0].Call.Parent != "A" || a[0].Call.ID != "A1" {
		t.Errorf("the child leg read back as %+v", a[0].Call)
	}
	b, _ := st.List(ctx, Query{Listener: "http://127.0.0.1:4748"})
	if got := idsOf(b); !slices.Equal(got, []int64{2}) || b[0].Listener != "http://127.0.0.1:4748" {
		t.Errorf("listener's rows: %v", got)
	}
	if n, _ := st.Count(ctx, Query{Call: "nope"}); n != 0 {
		t.Errorf("unknown call: %d rows", n)
	}
	if id, _ := st.OldestID(ctx, Query{Listener: "http://127.0.0.1:4748"}); id != 2 {
		t.Errorf("OldestID(listener) = %d", id)
	}
	if id, _ := st.OldestID(ctx, Query{Listener: "http://127.0.0.1:1"}); id != 0 {
		t.Errorf("OldestID(nobody) = %d", id)
	}
}

// A store written before migration 7 (rows without call_id) is migrated on
// Open and its rows are grouped by the calls their requests name.
func TestMigrationGroupsExistingRows(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations[:6] {
		if _, err := db.ExecContext(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.ExecContext(ctx, "PRAGMA user_version = 6"); err != nil {
		t.Fatal(err)
	}
	// What a version-6 swhook inserted: no listener, no call_id columns.
	const oldInsert = `INSERT INTO exchanges (id, time_s, time_ns, kind, sig_status, resp_status, resp_error, summary, head, payload)
		VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, ?)`
	for i, body := range []string{"CallSid=X&CallStatus=ringing", "MessageSid=M&Body=hi", "CallSid=X1&ParentCallSid=X&CallStatus=busy"} {
		x := formHook(i+1, body)
		x.Call = exchange.CallRef{ID: "-"} // keep encode from naming it; cleared below
		row, err := encode(x)
		if err != nil {
			t.Fatal(err)
		}
		x.Call = exchange.CallRef{}
		sum, _ := encodeSummary(x)
		q := &x.Request
		row[7] = appendHead(nil, headFields{method: q.Method, path: q.Path, url: q.URL}, sum)
		row[0] = int64(i + 1)
		if _, err := db.ExecContext(ctx, oldInsert, row[:rowArgsV5]...); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	st2, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	xs, err := st2.List(ctx, Query{Call: "X", Summary: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := idsOf(xs); !slices.Equal(got, []int64{3, 1}) {
		t.Errorf("call X after migration: %v", got)
	}
	if xs[1].Call.ID != "X" {
		t.Errorf("an old row reads its call back as %+v", xs[1].Call)
	}
	if m, _ := st2.List(ctx, Query{Call: "M"}); len(m) != 1 || m[0].ID != 2 {
		t.Errorf("message M after migration: %v", idsOf(m))
	}
}
