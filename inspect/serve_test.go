package inspect_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect"
	"github.com/swhook/swhook/inspect/exchange"
)

// startServe runs p.Serve on a fresh loopback listener and returns its
// URL and the channel Serve's result arrives on.
func startServe(t *testing.T, ctx context.Context, p *inspect.Pipeline, opts inspect.ServeOptions) (string, <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- p.Serve(ctx, []inspect.Listener{{Name: "local", Net: ln, Source: exchange.SourceLocal}}, opts)
	}()
	return "http://" + ln.Addr().String(), done
}

// Asked to stop while a webhook waits for a slow handler, Serve stops
// accepting, says it is waiting, lets the webhook finish and be stored,
// and only then closes the feed and returns: nothing answered is lost.
func TestServeFinishesInFlightWebhooksFirst(t *testing.T) {
	st := openStore(t)
	feed := inspect.NewFeed()
	sub, _ := feed.Subscribe(16)
	arrived, release := make(chan struct{}), make(chan struct{})
	target := handlerURL(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		close(arrived)
		<-release
		io.WriteString(w, "<Response/>")
	}))
	p, err := inspect.New(inspect.Config{Forward: target, Store: st, Feed: feed})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stopping atomic.Int64
	base, done := startServe(t, ctx, p, inspect.ServeOptions{Stopping: func(grace time.Duration) {
		stopping.Store(int64(grace))
		close(release) // the handler answers only once Serve has said it waits
	}})

	answered := make(chan string, 1)
	go func() {
		resp, err := http.Post(base+"/voice", "application/x-www-form-urlencoded", strings.NewReader("CallSid=CA1"))
		if err != nil {
			answered <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		answered <- string(b)
	}()
	<-arrived
	cancel()
	if got := <-answered; got != "<Response/>" {
		t.Fatalf("in-flight webhook got %q", got)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if got := time.Duration(stopping.Load()); got != p.ShutdownGrace() || got <= p.Config().Timeout {
		t.Errorf("Stopping told %s, want the grace %s", got, p.ShutdownGrace())
	}
	x, err := st.Last(context.Background())
	if err != nil || x.Request.Path != "/voice" || x.Response.Status != 200 {
		t.Fatalf("stored %+v, %v", x, err)
	}
	var got []*exchange.Exchange
	for x := range sub { // ends: Serve closed the feed
		got = append(got, x)
	}
	if len(got) != 1 || got[0].ID != x.ID {
		t.Errorf("feed delivered %d exchanges, want the stored one", len(got))
	}
	if _, err := http.Post(base+"/voice", "text/plain", nil); err == nil {
		t.Error("the listener still accepts after Serve returned")
	}
}

// failingListener fails its first Accept as a broken socket would.
type failingListener struct{ net.Listener }

func (l failingListener) Accept() (net.Conn, error) {
	return nil, errors.New("accept: too many open files")
}

// A listener that fails ends the session with an error naming it.
func TestServeReturnsAListenersFailure(t *testing.T) {
	p, err := inspect.New(inspect.Config{Store: openStore(t)})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ok, _ := net.Listen("tcp", "127.0.0.1:0")
	err = p.Serve(context.Background(), []inspect.Listener{
		{Name: "local", Net: ok, Source: exchange.SourceLocal},
		{Name: "tunnel", Net: failingListener{ln}, Source: exchange.SourceTunnel},
	}, inspect.ServeOptions{})
	if err == nil || !strings.Contains(err.Error(), "tunnel listener stopped: accept: too many open files") {
		t.Errorf("Serve returned %v", err)
	}
}

// Exchanges saved outside this session's listeners (another terminal's
// replay) reach the feed through the watcher.
func TestServeWatchesTheStore(t *testing.T) {
	st := openStore(t)
	feed := inspect.NewFeed()
	sub, _ := feed.Subscribe(16)
	p, err := inspect.New(inspect.Config{Store: st, Feed: feed})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, done := startServe(t, ctx, p, inspect.ServeOptions{Watch: st, WatchEvery: 10 * time.Millisecond})
	x := &exchange.Exchange{Source: exchange.SourceReplay, Request: exchange.Request{Method: "POST", Path: "/elsewhere"}}
	if err := st.Save(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-sub:
		if got.ID != x.ID || got.Request.Path != "/elsewhere" {
			t.Errorf("feed got %+v", got)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the watcher never published the stored exchange")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
