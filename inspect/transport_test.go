package inspect_test

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/forward"
)

// spyRT counts what H1Client hands to its fallback.
type spyRT struct {
	rt http.RoundTripper
	n  atomic.Int64
}

func (s *spyRT) RoundTrip(r *http.Request) (*http.Response, error) {
	s.n.Add(1)
	return s.rt.RoundTrip(r)
}

// oldTransport is configured as NewTransport's http.Transport was before
// H1Client: the benchmarks' reference.
func oldTransport() *http.Transport {
	return &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        128,
		MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second,
		ExpectContinueTimeout: time.Second, DisableCompression: true,
	}
}

// Every webhook the pipeline forwards with a body up to 32 KiB, as all real
// ones are, goes through H1Client itself, not its fallback; larger and
// streamed ones through the fallback, whole.
func TestH1ClientCarriesThePipeline(t *testing.T) {
	rec := &recorder{keep: true}
	tr := oldTransport()
	spy := &spyRT{rt: tr}
	h1 := forward.NewH1Client(spy)
	defer h1.CloseIdleConnections()
	e := serve(t, inspect.Config{Forward: handlerURL(t, rec), Transport: h1, MaxBody: 64 << 10}, exchange.SourceLocal, nil)
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	for _, c := range []struct {
		method string
		body   []byte
	}{{"POST", []byte("CallSid=CA1&CallStatus=ringing")}, {"GET", nil}, {"POST", []byte{}}, {"POST", randomBytes(t, 32<<10)}} {
		resp, got := do(t, c.method, e.url+"/voice?a=%2F", form, c.body)
		if resp.StatusCode != 200 || string(got) != "ok" || !bytes.Equal(rec.last(t).Body, c.body) {
			t.Fatalf("%s %d bytes: %d %q", c.method, len(c.body), resp.StatusCode, got)
		}
	}
	if n := spy.n.Load(); n != 0 {
		t.Errorf("%d webhooks went through the fallback", n)
	}
	for _, size := range []int{40 << 10, 100 << 10} { // larger, then beyond MaxBody (streamed)
		body := randomBytes(t, size)
		if resp, got := do(t, "POST", e.url+"/big", form, body); resp.StatusCode != 200 || string(got) != "ok" || !bytes.Equal(rec.last(t).Body, body) {
			t.Fatalf("%d bytes: %d %q", size, resp.StatusCode, got)
		}
	}
	if n := spy.n.Load(); n != 2 {
		t.Errorf("%d large webhooks went through the fallback, want 2", n)
	}
}

// Through the real pipeline: a handler that stalls mid-answer is a 504
// with the usual one-line reason, and the listener's default client is
// H1Client.
func TestH1ClientTimeoutIs504(t *testing.T) {
	if _, ok := forward.NewTransport().(*forward.H1Client); !ok {
		t.Fatal("NewTransport is not the H1Client")
	}
	release := make(chan struct{})
	defer close(release)
	slow := handlerURL(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(200)
		io.WriteString(w, "<Resp")
		http.NewResponseController(w).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	e := serve(t, inspect.Config{Forward: slow, Timeout: 200 * time.Millisecond}, exchange.SourceLocal, nil)
	resp, body := do(t, "POST", e.url+"/voice", nil, []byte("A=1"))
	if resp.StatusCode != http.StatusGatewayTimeout || !strings.Contains(string(body), "did not answer within 200ms") ||
		strings.Count(string(body), "\n") != 1 {
		t.Errorf("got %d %q, want a one-line 504", resp.StatusCode, body)
	}
	if x := e.lastExchange(t); x.Response.Status != 504 || !strings.Contains(x.Response.Error, "did not answer") {
		t.Errorf("stored response %+v", x.Response)
	}
}
