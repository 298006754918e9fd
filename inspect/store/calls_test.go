package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
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

// Calls lists one line per call, newest first, pages without repeating a
// call, and applies filters to calls (a call with any invalid step);
// CallOf finds a call by ID, unique prefix or "last", oldest first.
func TestCallsAndCallOf(t *testing.T) {
	ctx := context.Background()
	st, _ := openTemp(t, Options{})
	bodies := []string{
		"CallSid=call-A&CallStatus=ringing",                      // 1
		"CallSid=call-B&CallStatus=ringing",                      // 2
		"CallSid=call-A&Digits=1",                                // 3
		"CallSid=leg-A1&ParentCallSid=call-A&CallStatus=ringing", // 4
		"MessageSid=msg-C&Body=hi&SmsStatus=received",            // 5
		"CallSid=call-B&CallStatus=completed&CallDuration=3",     // 6
		"Unrelated=1", // 7
	}
	for i, b := range bodies {
		x := formHook(i+1, b)
		if i == 2 {
			x.Signature.Status = exchange.SigInvalid
		}
		if err := st.Save(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	calls, err := st.Calls(ctx, Query{}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 || calls[0].ID != "call-B" || calls[1].ID != "msg-C" {
		t.Fatalf("first page: %v", callIDs(calls))
	}
	if got := idsOf(calls[0].Exchanges); !slices.Equal(got, []int64{2, 6}) {
		t.Errorf("call-B's webhooks %v, want oldest first", got)
	}
	next, err := st.Calls(ctx, Query{BeforeID: calls[1].NewestID()}, 2)
	if err != nil || len(next) != 1 || next[0].ID != "call-A" {
		t.Fatalf("second page: %v %v", callIDs(next), err)
	}
	if got := idsOf(next[0].Exchanges); !slices.Equal(got, []int64{1, 3, 4}) {
		t.Errorf("call-A with its leg: %v", got)
	}
	bad, _ := st.Calls(ctx, Query{Signature: string(exchange.SigInvalid)}, 10)
	if len(bad) != 1 || bad[0].ID != "call-A" || len(bad[0].Exchanges) != 3 {
		t.Errorf("calls with an invalid step: %v", callIDs(bad))
	}

	for ref, want := range map[string]string{"last": "call-B", "call-A": "call-A", "msg-": "msg-C"} {
		c, err := st.CallOf(ctx, ref)
		if err != nil || c.ID != want {
			t.Errorf("CallOf(%q) = %v, %v; want %s", ref, c, err, want)
		}
	}
	if _, err := st.CallOf(ctx, "call"); err == nil || !strings.Contains(err.Error(), "more than one") {
		t.Errorf("ambiguous prefix: %v", err)
	}
	if _, err := st.CallOf(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown call: %v", err)
	}
}

func callIDs(cs []*Call) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// seedCalls fills a store with n webhooks, ten per call, two listeners,
// one invalid signature in 97 — what the speed targets are about.
func seedCalls(b *testing.B, n int) *Store {
	b.Helper()
	st, err := Open(context.Background(), filepath.Join(b.TempDir(), "calls.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	x := benchExchange()
	const chunk = 5000
	for done := 0; done < n; done += chunk {
		reqs := make([]*writeReq, 0, chunk)
		for i := done; i < min(n, done+chunk); i++ {
			x.Call = exchange.CallRef{ID: fmt.Sprintf("call-%06d", i/10)}
			x.Listener = []string{"http://127.0.0.1:4747", "http://127.0.0.1:4748"}[i%2]
			x.Signature.Status = exchange.SigValid
			if i%97 == 0 {
				x.Signature.Status = exchange.SigInvalid
			}
			row, err := encode(x)
			if err != nil {
				b.Fatal(err)
			}
			reqs = append(reqs, &writeReq{row: row})
		}
		conn, err := st.db().Conn(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		ins, err := prepareInserts(context.Background(), conn)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := insertRows(context.Background(), conn, ins, reqs, 0); err != nil {
			b.Fatal(err)
		}
		ins.Close()
		conn.Close()
	}
	return st
}

// BenchmarkCalls100k: with 100 000 webhooks, a call's timeline, the calls
// list's first page, a whole-store filter's first page (rows and calls),
// the oldest row (`g`), and one listener's newest page.
func BenchmarkCalls100k(b *testing.B) {
	st := seedCalls(b, 100_000)
	ctx := context.Background()
	b.Run("timeline", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			c, err := st.CallOf(ctx, fmt.Sprintf("call-%06d", (i*7919)%10_000))
			if err != nil || len(c.Exchanges) != 10 {
				b.Fatal(err)
			}
		}
	})
	b.Run("calls_first_page", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if cs, err := st.Calls(ctx, Query{}, 50); err != nil || len(cs) != 50 {
				b.Fatal(err)
			}
		}
	})
	b.Run("calls_invalid_first_page", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if cs, err := st.Calls(ctx, Query{Signature: string(exchange.SigInvalid)}, 50); err != nil || len(cs) != 50 {
				b.Fatal(err)
			}
		}
	})
	b.Run("filter_invalid_first_page", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if xs, err := st.List(ctx, Query{Signature: string(exchange.SigInvalid), Limit: 100, Summary: true}); err != nil || len(xs) != 100 {
				b.Fatal(err)
			}
		}
	})
	b.Run("oldest_row", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			xs, err := st.List(ctx, Query{Oldest: true, Limit: 1000, Summary: true, Listener: "http://127.0.0.1:4747"})
			if err != nil || len(xs) != 1000 || xs[0].ID != 1 {
				b.Fatal(err)
			}
		}
	})
	b.Run("listener_page", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if xs, err := st.List(ctx, Query{Listener: "http://127.0.0.1:4748", Limit: 1000, Summary: true}); err != nil || len(xs) != 1000 {
				b.Fatal(err)
			}
		}
	})
}
