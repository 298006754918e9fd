package inspect_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/store"
)

func TestFeedNeverBlocksAndSkipsRepeats(t *testing.T) {
	f := inspect.NewFeed()
	slow, cancelSlow := f.Subscribe(1) // never read
	defer cancelSlow()
	fast, cancelFast := f.Subscribe(100)
	defer cancelFast()

	done := make(chan struct{})
	go func() {
		for i := int64(1); i <= 50; i++ {
			f.Publish(&exchange.Exchange{ID: i})
		}
		if f.Publish(&exchange.Exchange{ID: 7}) {
			t.Error("a repeated ID was published again")
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Publish blocked on a slow subscriber")
	}
	if len(slow) != 1 || len(fast) != 50 {
		t.Errorf("slow has %d (want 1), fast has %d (want 50)", len(slow), len(fast))
	}
	cancelFast()
	cancelFast()                          // twice is fine
	f.Publish(&exchange.Exchange{ID: 51}) // no panic on a closed subscription
}

// Follow fills the gaps a slow subscriber leaves from the store, in order.
func TestFollowCatchesUpFromStore(t *testing.T) {
	e := serve(t, inspect.Config{}, exchange.SourceLocal, nil)
	for range 5 {
		do(t, "POST", e.url+"/voice", nil, []byte("A=1"))
	}
	xs, err := e.store.List(context.Background(), store.Query{})
	if err != nil || len(xs) != 5 {
		t.Fatalf("store has %d: %v", len(xs), err)
	}
	ch := make(chan *exchange.Exchange, 10)
	ch <- &exchange.Exchange{ID: xs[0].ID} // only the newest arrived live
	close(ch)
	var got []int64
	inspect.Follow(context.Background(), ch, e.store, 0, func(x *exchange.Exchange) { got = append(got, x.ID) })
	if len(got) != 5 {
		t.Fatalf("Follow delivered %v, want all 5 in order", got)
	}
	for i := 1; i < len(got); i++ {
		if got[i] <= got[i-1] {
			t.Errorf("out of order: %v", got)
		}
	}
}

// Watch publishes what another process stored.
func TestWatchPublishesOtherWriters(t *testing.T) {
	e := serve(t, inspect.Config{}, exchange.SourceLocal, nil)
	ch, cancel := e.feed.Subscribe(10)
	defer cancel()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go inspect.Watch(ctx, e.store, e.feed, 0, 20*time.Millisecond, nil)

	x := &exchange.Exchange{Time: time.Now(), Source: exchange.SourceReplay, ReplayOf: 1,
		Request: exchange.Request{Method: "POST", Path: "/replayed", Headers: http.Header{}}}
	if err := e.store.Save(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-ch:
		if got.ID != x.ID || got.Request.Path != "/replayed" {
			t.Errorf("watched %+v", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the watcher did not publish the new exchange")
	}
}
