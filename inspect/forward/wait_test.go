package forward_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/forward"
)

type waitKey struct{}

// A Wait ends at its deadline unless stopped first, ends at Cancel, keeps
// its parent's values and never its parent's cancellation.
func TestWaitContext(t *testing.T) {
	parent, cancelParent := context.WithCancel(context.WithValue(context.Background(), waitKey{}, "v"))
	w := forward.NewWait(parent, 50*time.Millisecond)
	cancelParent()
	if w.Value(waitKey{}) != "v" {
		t.Fatal("the parent's value is lost")
	}
	if err := w.Err(); err != nil {
		t.Fatalf("the parent's cancel reached the wait: %v", err)
	}
	if d, ok := w.Deadline(); !ok || d.IsZero() {
		t.Fatal("no deadline")
	}
	select {
	case <-w.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done never closed after the deadline")
	}
	if !errors.Is(w.Err(), context.DeadlineExceeded) || !errors.Is(context.Cause(w), context.DeadlineExceeded) {
		t.Fatalf("Err %v, Cause %v: want the deadline", w.Err(), context.Cause(w))
	}
	if w.Stop() {
		t.Fatal("Stop after the deadline reported the answer in time")
	}

	// Err sees the deadline without anyone asking for Done.
	w = forward.NewWait(context.Background(), time.Millisecond)
	time.Sleep(5 * time.Millisecond)
	if !errors.Is(w.Err(), context.DeadlineExceeded) {
		t.Fatalf("Err after the deadline = %v", w.Err())
	}

	// Stopped, it never ends on its own; Cancel still ends it.
	w = forward.NewWait(context.Background(), 20*time.Millisecond)
	done := w.Done()
	if !w.Stop() {
		t.Fatal("Stop in time reported false")
	}
	time.Sleep(60 * time.Millisecond)
	select {
	case <-done:
		t.Fatal("a stopped wait ended at its deadline")
	default:
	}
	if w.Err() != nil {
		t.Fatalf("a stopped wait has Err %v", w.Err())
	}
	w.Cancel()
	<-done
	if !errors.Is(w.Err(), context.Canceled) {
		t.Fatalf("Err after Cancel = %v", w.Err())
	}
}

// Through H1Client, a Wait's deadline bounds the answer's head (504-worthy
// DeadlineExceeded), and once stopped no longer bounds reading its body:
// a slowly streamed answer is read whole past the deadline, and the
// connection is then reused with no deadline left on it.
func TestH1ClientWait(t *testing.T) {
	u, conns := countedServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/slow-head":
			time.Sleep(300 * time.Millisecond)
		case "/slow-body":
			f := w.(http.Flusher)
			io.WriteString(w, "head;")
			f.Flush()
			for range 3 {
				time.Sleep(100 * time.Millisecond)
				io.WriteString(w, "more;")
				f.Flush()
			}
			return
		}
		io.WriteString(w, "ok")
	}), nil)
	c, spy := newH1(t)
	get := func(w *forward.Wait, path string) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(w, "GET", u.String()+path, nil)
		return c.RoundTrip(req)
	}

	w := forward.NewWait(context.Background(), 100*time.Millisecond)
	if _, err := get(w, "/slow-head"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a head later than the deadline: err %v, want DeadlineExceeded", err)
	}
	w.Cancel()

	w = forward.NewWait(context.Background(), 150*time.Millisecond)
	resp, err := get(w, "/slow-body")
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 5)
	if _, err := io.ReadFull(resp.Body, head); err != nil || string(head) != "head;" {
		t.Fatalf("head %q, %v", head, err)
	}
	if !w.Stop() {
		t.Fatal("Stop in time reported false")
	}
	rest, err := io.ReadAll(resp.Body) // about 300 ms: past the deadline
	if err != nil || string(rest) != strings.Repeat("more;", 3) {
		t.Fatalf("after Stop the body was cut: %q, %v", rest, err)
	}
	w.Cancel()

	// The connection went back to the pool without the deadline: a
	// request on it long after still works, on the same connection.
	before := conns.Load()
	time.Sleep(200 * time.Millisecond)
	resp, err = get(forward.NewWait(context.Background(), time.Second), "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ok" || conns.Load() != before {
		t.Fatalf("got %q on %d new connections, want ok on the pooled one", b, conns.Load()-before)
	}

	// A wait that ends with the answer read whole (no Stop: the pipeline
	// stops it only after) leaves no deadline on the pooled connection
	// either: a request after that deadline reuses it.
	before = conns.Load()
	w = forward.NewWait(context.Background(), 100*time.Millisecond)
	resp, err = get(w, "/")
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(resp.Body)
	resp.Body.Close()
	w.Cancel()
	time.Sleep(150 * time.Millisecond)
	resp, err = get(forward.NewWait(context.Background(), time.Second), "/")
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "ok" || conns.Load() != before {
		t.Fatalf("got %q on %d new connections, want ok on the pooled one", b, conns.Load()-before)
	}
	if spy.n.Load() != 0 {
		t.Fatalf("%d requests went to the fallback", spy.n.Load())
	}
}
