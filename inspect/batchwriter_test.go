package inspect_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/swhook/swhook/inspect"
	"github.com/swhook/swhook/inspect/exchange"
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
