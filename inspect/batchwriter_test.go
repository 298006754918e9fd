package inspect_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/store"
)

// countWriter counts the writes that reach it.
type countWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
}

func (c *countWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
	return c.buf.Write(p)
}

func TestBatchWriterPassesThroughUnlessHeld(t *testing.T) {
	var w countWriter
	b := inspect.NewBatchWriter(&w)
	fmt.Fprintln(b, "one")
	if w.writes != 1 {
		t.Fatalf("an unheld write was delayed: %d writes", w.writes)
	}
	b.Hold()
	fmt.Fprintln(b, "two")
	fmt.Fprintln(b, "three")
	if w.writes != 1 {
		t.Fatalf("held writes went through: %d writes", w.writes)
	}
	if err := b.Release(); err != nil {
		t.Fatal(err)
	}
	if w.writes != 2 || w.buf.String() != "one\ntwo\nthree\n" {
		t.Errorf("after release: %d writes, %q", w.writes, w.buf.String())
	}
}

// A burst of queued exchanges is written with few writes, every line in
// order, and nothing is left held when the channel closes.
func TestFollowBatchedWritesBurstsTogether(t *testing.T) {
	var w countWriter
	out := inspect.NewBatchWriter(&w)
	ch := make(chan *exchange.Exchange, 100)
	for id := int64(1); id <= 100; id++ {
		ch <- &exchange.Exchange{ID: id}
	}
	close(ch)
	inspect.FollowBatched(context.Background(), ch, nil, 0, func(x *exchange.Exchange) {
		fmt.Fprintf(out, "#%d\n", x.ID)
	}, out)
	lines := strings.Split(strings.TrimSuffix(w.buf.String(), "\n"), "\n")
	if len(lines) != 100 || lines[0] != "#1" || lines[99] != "#100" {
		t.Fatalf("wrote %d lines: %q ... ", len(lines), lines[0])
	}
	if w.writes > 2 {
		t.Errorf("100 queued lines took %d writes", w.writes)
	}
}

// An exchange that closes a gap is written with the ones it releases in
// one write, though nothing is queued behind it.
func TestFollowBatchedWritesClosedGapTogether(t *testing.T) {
	var w countWriter
	out := inspect.NewBatchWriter(&w)
	ch := make(chan *exchange.Exchange) // unbuffered: each send waits for the follower
	done := make(chan struct{})
	go func() {
		defer close(done)
		inspect.FollowBatched(context.Background(), ch, nil, 0, func(x *exchange.Exchange) {
			fmt.Fprintf(out, "#%d\n", x.ID)
		}, out)
	}()
	for _, id := range []int64{3, 2, 1} {
		ch <- &exchange.Exchange{ID: id}
	}
	close(ch)
	<-done
	if got := w.buf.String(); got != "#1\n#2\n#3\n" {
		t.Fatalf("wrote %q", got)
	}
	if w.writes != 1 {
		t.Errorf("a closed gap's 3 lines took %d writes, want 1", w.writes)
	}
	// Alone and in order, a line still goes straight out.
	ch = make(chan *exchange.Exchange)
	w = countWriter{}
	go inspect.FollowBatched(context.Background(), ch, nil, 0, func(x *exchange.Exchange) {
		fmt.Fprintf(out, "#%d\n", x.ID)
	}, out)
	defer close(ch)
	ch <- &exchange.Exchange{ID: 1}
	ch <- &exchange.Exchange{ID: 2} // received only once #1 was handled
	deadline := time.Now().Add(60 * time.Second)
	for {
		w.mu.Lock()
		got, writes := w.buf.String(), w.writes
		w.mu.Unlock()
		if got == "#1\n#2\n" {
			if writes != 2 {
				t.Errorf("2 lines that arrived apart took %d writes", writes)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("an in-order line was held back: %q", got)
		}
		time.Sleep(time.Millisecond)
	}
}

// A gap filled from the store is written in one go with the exchange that
// waited on it.
func TestFollowBatchedWritesFillTogether(t *testing.T) {
	e := serve(t, inspect.Config{}, exchange.SourceLocal, nil)
	for range 3 {
		do(t, "POST", e.url+"/voice", nil, []byte("A=1"))
	}
	xs, err := e.store.List(context.Background(), store.Query{})
	if err != nil || len(xs) != 3 {
		t.Fatalf("store has %d: %v", len(xs), err)
	}
	var w countWriter
	out := inspect.NewBatchWriter(&w)
	ch := make(chan *exchange.Exchange)
	defer close(ch)
	go inspect.FollowBatched(context.Background(), ch, e.store, xs[2].ID-1, func(x *exchange.Exchange) {
		fmt.Fprintf(out, "#%d\n", x.ID)
	}, out)
	ch <- &exchange.Exchange{ID: xs[0].ID} // the newest; the two before never arrive live
	want := fmt.Sprintf("#%d\n#%d\n#%d\n", xs[2].ID, xs[1].ID, xs[0].ID)
	deadline := time.Now().Add(60 * time.Second)
	for {
		w.mu.Lock()
		got, writes := w.buf.String(), w.writes
		w.mu.Unlock()
		if got == want {
			if writes != 1 {
				t.Errorf("a filled gap's 3 lines took %d writes, want 1", writes)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("wrote %q, want %q", got, want)
		}
		time.Sleep(time.Millisecond)
	}
}
