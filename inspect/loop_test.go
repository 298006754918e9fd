package inspect_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/swhook/swhook/inspect"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/store"
)

func TestPointsAt(t *testing.T) {
	addr := func(s string) net.Addr { a, _ := net.ResolveTCPAddr("tcp", s); return a }
	for _, c := range []struct {
		target, listen string
		want           bool
	}{
		{"http://localhost:4747", "127.0.0.1:4747", true},
		{"http://127.0.0.1:4747/voice", "127.0.0.1:4747", true},
		{"http://[::1]:4747", "127.0.0.1:4747", true},
		{"http://0.0.0.0:4747", "127.0.0.1:4747", true},
		{"https://localhost", "127.0.0.1:443", true},
		{"http://localhost:3000", "127.0.0.1:4747", false},
		{"http://192.0.2.7:4747", "127.0.0.1:4747", false},
		{"http://localhost:4747", "192.0.2.7:4747", true},
	} {
		if got := inspect.PointsAt(mustURL(t, c.target), addr(c.listen)); got != c.want {
			t.Errorf("PointsAt(%s, %s) = %v", c.target, c.listen, got)
		}
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// A loop through another path (a proxy that sends the request back to
// swhook) is stopped by swhook's own Via: the copy is answered 508 Loop
// Detected and recorded once, loudly, instead of going round for ever.
func TestForwardingLoopIs508(t *testing.T) {
	var back atomic.Pointer[url.URL] // where the proxy sends requests: swhook itself
	var hops atomic.Int64
	proxy := handlerURL(t, &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		hops.Add(1)
		pr.SetURL(back.Load())
		pr.Out.Host = pr.In.Host
	}})
	e := serve(t, inspect.Config{Forward: proxy}, exchange.SourceLocal, nil)
	back.Store(mustURL(t, e.url))

	resp, body := do(t, "POST", e.url+"/voice", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, []byte("CallSid=CA1"))
	if resp.StatusCode != http.StatusLoopDetected || !strings.Contains(string(body), "forwarding loop") {
		t.Fatalf("got %d %q, want 508", resp.StatusCode, body)
	}
	if n := hops.Load(); n != 1 {
		t.Errorf("the request went round %d times", n)
	}
	xs, err := e.store.List(context.Background(), store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(xs) != 2 {
		t.Fatalf("%d exchanges stored, want 2 (the webhook and its looped copy)", len(xs))
	}
	var loops int
	for _, x := range xs {
		if x.Response.Status != http.StatusLoopDetected {
			t.Errorf("exchange %d: status %d", x.ID, x.Response.Status)
		}
		if strings.Contains(x.Response.Error, "forwarding loop") {
			loops++
			if !strings.Contains(x.Request.Headers.Get("Via"), "swhook-") {
				t.Errorf("looped copy has Via %q", x.Request.Headers.Get("Via"))
			}
		}
	}
	if loops != 1 {
		t.Errorf("%d exchanges record the loop, want 1", loops)
	}
	if !strings.Contains(e.log.String(), "FORWARDING LOOP") || !strings.Contains(e.log.String(), "level=ERROR") {
		t.Errorf("log %q", e.log.String())
	}
}

// Every forwarded request says it passed through swhook, after whatever
// Via it arrived with.
func TestForwardedRequestsCarryVia(t *testing.T) {
	rec := &recorder{}
	e := serve(t, inspect.Config{Forward: handlerURL(t, rec)}, exchange.SourceLocal, nil)
	do(t, "POST", e.url+"/voice", nil, []byte("A=1"))
	if v := rec.last(t).Header.Get("Via"); !strings.HasPrefix(v, "1.1 swhook-") || len(v) != len("1.1 swhook-")+8 {
		t.Errorf("Via %q", v)
	}
	do(t, "POST", e.url+"/voice", http.Header{"Via": {"1.1 edge"}}, []byte("A=1"))
	if v := rec.last(t).Header.Get("Via"); !strings.HasPrefix(v, "1.1 edge, 1.1 swhook-") {
		t.Errorf("Via %q", v)
	}
}

// A --forward target with a path is a prefix, and the handler is told
// which (X-Forwarded-Prefix), so it can rebuild the URL SignalWire signed
// (issue 11 point 4).
func TestForwardPrefixIsSent(t *testing.T) {
	for _, c := range []struct{ path, prefix string }{{"/api/v1/", "/api/v1"}, {"/api/v1", "/api/v1"}, {"", ""}, {"/", ""}} {
		rec := &recorder{}
		target := handlerURL(t, rec)
		target.Path = c.path
		e := serve(t, inspect.Config{Forward: target}, exchange.SourceLocal, nil)
		do(t, "POST", e.url+"/voice", nil, []byte("A=1"))
		got := rec.last(t)
		if got.Header.Get("X-Forwarded-Prefix") != c.prefix || got.RequestURI != c.prefix+"/voice" {
			t.Errorf("--forward path %q: handler saw %s with X-Forwarded-Prefix %q", c.path, got.RequestURI, got.Header.Get("X-Forwarded-Prefix"))
		}
		if _, ok := got.Header["X-Forwarded-Prefix"]; c.prefix == "" && ok {
			t.Errorf("--forward path %q: X-Forwarded-Prefix sent", c.path)
		}
	}
}
