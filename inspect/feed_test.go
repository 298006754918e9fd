package inspect_test

import (
	"context"
	"net/http"
	"slices"
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
	case <-time.After(60 * time.Second):
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
	case <-time.After(60 * time.Second):
		t.Fatal("the watcher did not publish the new exchange")
	}
}

// countingLister counts the store reads Follow makes.
type countingLister struct {
	inspect.Lister
	lists int
}

func (c *countingLister) List(ctx context.Context, q store.Query) ([]*exchange.Exchange, error) {
	c.lists++
	return c.Lister.List(ctx, q)
}

// Saves committed together finish in any order: Follow puts them back in
// order from what arrives live, without reading the store.
func TestFollowReordersWithoutStore(t *testing.T) {
	e := serve(t, inspect.Config{}, exchange.SourceLocal, nil)
	st := &countingLister{Lister: e.store}
	ch := make(chan *exchange.Exchange, 10)
	for _, id := range []int64{2, 4, 1, 3, 5} {
		ch <- &exchange.Exchange{ID: id}
	}
	close(ch)
	var got []int64
	inspect.Follow(context.Background(), ch, st, 0, func(x *exchange.Exchange) { got = append(got, x.ID) })
	if want := []int64{1, 2, 3, 4, 5}; !slices.Equal(got, want) {
		t.Errorf("Follow delivered %v, want %v", got, want)
	}
	if st.lists != 0 {
		t.Errorf("Follow read the store %d times for gaps that closed live", st.lists)
	}
}

// A gap that does not close live is filled from the store after a short
// wait, while the channel stays open.
func TestFollowFillsLastingGapWhileOpen(t *testing.T) {
	e := serve(t, inspect.Config{}, exchange.SourceLocal, nil)
	for range 3 {
		do(t, "POST", e.url+"/voice", nil, []byte("A=1"))
	}
	xs, err := e.store.List(context.Background(), store.Query{})
	if err != nil || len(xs) != 3 {
		t.Fatalf("store has %d: %v", len(xs), err)
	}
	ch := make(chan *exchange.Exchange, 10)
	defer close(ch)
	ch <- &exchange.Exchange{ID: xs[0].ID} // the newest; the two before never arrive live
	got := make(chan int64, 10)
	go inspect.Follow(context.Background(), ch, e.store, xs[2].ID-1, func(x *exchange.Exchange) { got <- x.ID })
	for i := 2; i >= 0; i-- {
		select {
		case id := <-got:
			if id != xs[i].ID {
				t.Fatalf("got #%d, want #%d", id, xs[i].ID)
			}
		case <-time.After(60 * time.Second):
			t.Fatal("the gap was never filled from the store")
		}
	}
}

// Cancelling one subscription leaves the others receiving; Close ends all
// that remain, after what they buffered; a subscription after Close is
// closed at once.
func TestFeedSubscriptionsEndIndependently(t *testing.T) {
	f := inspect.NewFeed()
	a, cancelA := f.Subscribe(4)
	b, cancelB := f.Subscribe(4)
	c, cancelC := f.Subscribe(4)
	defer cancelA()
	defer cancelC()
	cancelB()
	f.Publish(&exchange.Exchange{ID: 1})
	if _, ok := <-b; ok {
		t.Fatal("a cancelled subscription still receives")
	}
	for name, ch := range map[string]<-chan *exchange.Exchange{"a": a, "c": c} {
		if x := <-ch; x == nil || x.ID != 1 {
			t.Fatalf("%s got %v", name, x)
		}
	}
	f.Publish(&exchange.Exchange{ID: 2})
	f.Close()
	f.Publish(&exchange.Exchange{ID: 3}) // after Close: nobody gets it
	for name, ch := range map[string]<-chan *exchange.Exchange{"a": a, "c": c} {
		if x, ok := <-ch; !ok || x.ID != 2 {
			t.Fatalf("%s lost what it buffered before Close: %v %v", name, x, ok)
		}
		if x, ok := <-ch; ok {
			t.Fatalf("%s still open after Close: %v", name, x)
		}
	}
	late, cancelLate := f.Subscribe(1)
	defer cancelLate()
	if _, ok := <-late; ok {
		t.Fatal("a subscription after Close is open")
	}
}

// BenchmarkFeedPublish is one webhook's Publish with the one subscriber
// listen has (kept full, as the cost of the hand-off itself is
// BenchmarkFollowPlain's): the dedupe and the offer.
func BenchmarkFeedPublish(b *testing.B) {
	f := inspect.NewFeed()
	_, cancel := f.Subscribe(0)
	defer cancel()
	xs := make([]exchange.Exchange, 1<<16)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		x := &xs[i&(len(xs)-1)]
		x.ID = int64(i + 1)
		f.Publish(x)
	}
}
