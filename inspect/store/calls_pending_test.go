package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/exchange"
)

// `list --calls`, `list --call` and detail filters (`list --event
// ringing`) see what a listener has journaled but not yet indexed, as
// every other read does.
func TestCallsAndDetailReadJournaledRows(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "swhook.db")
	listener, err := Open(ctx, path, Options{Journal: true})
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	indexed := &exchange.Exchange{Time: time.Unix(1, 0).UTC(), Request: exchange.Request{Path: "/indexed"},
		Call: exchange.CallRef{ID: "CAold"}, Event: exchange.Event{Kind: exchange.KindCallStatus, Detail: "completed"}}
	if err := listener.Save(ctx, indexed); err != nil {
		t.Fatal(err)
	}
	if _, err := listener.LatestID(ctx); err != nil { // indexed
		t.Fatal(err)
	}
	release := holdWriteLock(t, path)
	defer release()
	var told []*exchange.Exchange
	for i, detail := range []string{"ringing", "answered"} {
		x := &exchange.Exchange{Time: time.Unix(int64(10+i), 0).UTC(), Request: exchange.Request{Path: fmt.Sprintf("/journaled/%d", i)},
			Call: exchange.CallRef{ID: "CAnew"}, Event: exchange.Event{Kind: exchange.KindCallStatus, Detail: detail}}
		if err := listener.Save(ctx, x); err != nil {
			t.Fatal(err)
		}
		told = append(told, x)
	}

	reader, err := Open(ctx, path, Options{MustExist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	calls, err := reader.Calls(ctx, Query{}, 10)
	if err != nil || len(calls) != 2 || calls[0].ID != "CAnew" || len(calls[0].Exchanges) != 2 || calls[1].ID != "CAold" {
		t.Errorf("Calls = %v, %v; want CAnew (2 webhooks), CAold", callNames(calls), err)
	}
	// Paging back from the journaled call reaches the indexed one only.
	calls, err = reader.Calls(ctx, Query{BeforeID: told[0].ID}, 10)
	if err != nil || len(calls) != 1 || calls[0].ID != "CAold" {
		t.Errorf("Calls(before %d) = %v, %v; want CAold", told[0].ID, callNames(calls), err)
	}
	for _, ref := range []string{"last", "CAnew", "CAne"} {
		c, err := reader.CallOf(ctx, ref)
		if err != nil || c.ID != "CAnew" || len(c.Exchanges) != 2 || c.Exchanges[1].ID != told[1].ID {
			t.Errorf("CallOf(%q) = %+v, %v; want CAnew's 2 webhooks", ref, c, err)
		}
	}
	xs, err := reader.List(ctx, Query{Detail: "ringing"})
	if err != nil || len(xs) != 1 || xs[0].ID != told[0].ID {
		t.Errorf("List(detail ringing) = %d rows, %v", len(xs), err)
	}
	if n, err := reader.Count(ctx, Query{Detail: "answered"}); err != nil || n != 1 {
		t.Errorf("Count(detail answered) = %d, %v; want 1", n, err)
	}
}

func callNames(cs []*Call) []string {
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s(%d)", c.ID, len(c.Exchanges)))
	}
	return out
}
