package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/human"
)

// seed saves one exchange per spec, IDs 1..n in order.
func seedQuery(t *testing.T) *Store {
	t.Helper()
	st, _ := openTemp(t, Options{})
	base := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	specs := []struct {
		kind   exchange.Kind
		status int
		err    string
		sig    exchange.SignatureStatus
	}{
		{exchange.KindCallInbound, 200, "", exchange.SigValid},                       // 1
		{exchange.KindCallStatus, 500, "", exchange.SigInvalid},                      // 2
		{exchange.KindMessageStatus, 502, "connection refused", exchange.SigMissing}, // 3
		{exchange.KindRelayCallState, 404, "", exchange.SigValid},                    // 4
		{exchange.KindCallStatus, 204, "", exchange.SigUnchecked},                    // 5
		{"caller.custom", 200, "", exchange.SigValid},                                // 6: "call" must not match it
		{exchange.KindSWMLCall, 301, "", exchange.SigInvalid},                        // 7
		{exchange.KindCallInbound, 0, "timeout", exchange.SigValid},                  // 8
	}
	for i, s := range specs {
		x := &exchange.Exchange{
			Time:      base.Add(time.Duration(i) * time.Minute).Add(time.Duration(i) * time.Millisecond),
			Event:     exchange.Event{Kind: s.kind},
			Signature: exchange.Signature{Status: s.sig},
			Response:  exchange.Response{Status: s.status, Error: s.err},
		}
		if err := st.Save(context.Background(), x); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func TestQueryFilters(t *testing.T) {
	ctx := context.Background()
	st := seedQuery(t)
	since := time.Date(2026, 11, 22, 10, 5, 0, 5_000_000, time.UTC) // exchange 6's exact time
	for _, c := range []struct {
		name string
		q    Query
		want []int64
	}{
		{"all", Query{}, []int64{8, 7, 6, 5, 4, 3, 2, 1}},
		{"limit", Query{Limit: 3}, []int64{8, 7, 6}},
		{"kind prefix", Query{Kind: "call"}, []int64{8, 5, 2, 1}},
		{"kind prefix with dot", Query{Kind: "call."}, []int64{8, 5, 2, 1}},
		{"exact kind", Query{Kind: "call.status"}, []int64{5, 2}},
		{"nested prefix", Query{Kind: "relay.call"}, []int64{4}},
		{"5xx", Query{Status: "5xx"}, []int64{3, 2}},
		{"2xx", Query{Status: "2XX"}, []int64{6, 5, 1}},
		{"404", Query{Status: "404"}, []int64{4}},
		{"error", Query{Status: "error"}, []int64{8, 3, 2}},
		{"signature", Query{Signature: "invalid"}, []int64{7, 2}},
		{"since is inclusive to the nanosecond", Query{Since: since}, []int64{8, 7, 6}},
		{"since just after", Query{Since: since.Add(time.Nanosecond)}, []int64{8, 7}},
		{"failed", Query{Failed: true}, []int64{8, 7, 4, 3, 2}},
		{"ids", Query{IDs: []int64{2, 5, 99}}, []int64{5, 2}},
		{"no ids", Query{IDs: []int64{}}, nil},
		{"page back", Query{BeforeID: 6, Limit: 2}, []int64{5, 4}},
		{"catch up", Query{AfterID: 6}, []int64{8, 7}},
		{"window", Query{AfterID: 2, BeforeID: 5}, []int64{4, 3}},
		{"combined", Query{Kind: "call", Failed: true, Signature: "valid"}, []int64{8}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, summary := range []bool{false, true} {
				q := c.q
				q.Summary = summary
				xs, err := st.List(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				var got []int64
				for _, x := range xs {
					got = append(got, x.ID)
				}
				if !slices.Equal(got, c.want) {
					t.Errorf("summary=%v: got %v, want %v", summary, got, c.want)
				}
			}
			q := c.q
			n, err := st.Count(ctx, q)
			want := len(c.want)
			if q.Limit > 0 {
				q.Limit = 0
				all, _ := st.List(ctx, q)
				want = len(all)
			}
			if err != nil || n != want {
				t.Errorf("Count = %d, %v; want %d", n, err, want)
			}
		})
	}
}

func TestBadStatusFilter(t *testing.T) {
	st := seedQuery(t)
	for _, s := range []string{"5x", "6xx", "99", "600", "teapot", "xx5"} {
		if err := CheckStatusFilter(s); err == nil {
			t.Errorf("CheckStatusFilter(%q) accepted it", s)
		}
		if _, err := st.List(context.Background(), Query{Status: s}); err == nil {
			t.Errorf("List accepted status %q", s)
		}
	}
	for _, s := range []string{"", "1xx", "5xx", "404", "error", "ERROR"} {
		if err := CheckStatusFilter(s); err != nil {
			t.Errorf("CheckStatusFilter(%q): %v", s, err)
		}
	}
}

func TestKeepPrunesOldestAndNeverReusesIDs(t *testing.T) {
	ctx := context.Background()
	st, path := openTemp(t, Options{Keep: 5})
	for i := 1; i <= 12; i++ {
		if err := st.Save(ctx, &exchange.Exchange{Request: exchange.Request{Path: fmt.Sprint("/", i)}}); err != nil {
			t.Fatal(err)
		}
	}
	xs, err := st.List(ctx, Query{Summary: true})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, x := range xs {
		ids = append(ids, x.ID)
	}
	if !slices.Equal(ids, []int64{12, 11, 10, 9, 8}) {
		t.Fatalf("kept %v, want the newest 5", ids)
	}
	st.Close()

	// Another process with a larger Keep: pruned IDs are not handed out again.
	st2, err := Open(ctx, path, Options{Keep: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	x := &exchange.Exchange{}
	if err := st2.Save(ctx, x); err != nil || x.ID != 13 {
		t.Errorf("next ID %d, %v; want 13", x.ID, err)
	}
}

func TestKeepAppliesOnOpen(t *testing.T) {
	ctx := context.Background()
	st, path := openTemp(t, Options{})
	for i := 0; i < 30; i++ {
		st.Save(ctx, &exchange.Exchange{})
	}
	st.Close()
	st2, err := Open(ctx, path, Options{Keep: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	if n, _ := st2.Count(ctx, Query{}); n != 10 {
		t.Errorf("%d exchanges after opening with Keep 10", n)
	}
}

func TestKeepLargeIsApproximateThenExactOnClose(t *testing.T) {
	ctx := context.Background()
	st, path := openTemp(t, Options{Keep: 100})
	for i := 0; i < 250; i++ {
		if err := st.Save(ctx, &exchange.Exchange{}); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := st.Count(ctx, Query{}); n < 100 || n > 110 {
		t.Errorf("%d exchanges with Keep 100, want 100..110", n)
	}
	st.Close()
	st2, _ := Open(ctx, path, Options{})
	defer st2.Close()
	if n, _ := st2.Count(ctx, Query{}); n != 100 {
		t.Errorf("%d exchanges after Close, want exactly 100", n)
	}
}

// "error" means one thing everywhere (issue 11.8): the store's filter
// selects exactly what human.HandlerFailed calls a failure.
func TestStatusErrorIsHandlerFailed(t *testing.T) {
	ctx := context.Background()
	st := seedQuery(t)
	all, err := st.List(ctx, Query{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.List(ctx, Query{Status: "error"})
	if err != nil {
		t.Fatal(err)
	}
	selected := map[int64]bool{}
	for _, x := range got {
		selected[x.ID] = true
	}
	for _, x := range all {
		if want := human.HandlerFailed(x.Response); selected[x.ID] != want {
			t.Errorf("#%d (status %d, error %q): selected %v, HandlerFailed %v", x.ID, x.Response.Status, x.Response.Error, selected[x.ID], want)
		}
	}
}
