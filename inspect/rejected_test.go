package inspect_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect"
)

// Requests Go's HTTP server refuses before swhook's handler runs leave a
// trace: each is reported with its status, net/http's reason and the peer;
// what the handler answers itself is not (issue 10 point 11).
func TestServeReportsRequestsTheServerRejects(t *testing.T) {
	p, err := inspect.New(inspect.Config{Store: openStore(t)})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan inspect.Rejected, 8)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, done := startServe(t, ctx, p, inspect.ServeOptions{Rejected: func(r inspect.Rejected) { got <- r }})
	addr := strings.TrimPrefix(base, "http://")
	send := func(req string) (int, string) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		go c.Write([]byte(req)) // a 1 MB header may not be read whole
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, c.LocalAddr().String()
	}
	for _, c := range []struct {
		req    string
		status int
		reason string
	}{
		{"POST /voice HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 1<<20+4096) + "\r\n\r\n", 431, "431 Request Header Fields Too Large"},
		{"POST /voice HTTP/1.1\r\nHost: a b\r\nContent-Length: 0\r\n\r\n", 400, "400 Bad Request: malformed Host header"},
		{"POST /voice HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, "501 Not Implemented: unsupported transfer encoding"},
	} {
		status, peer := send(c.req)
		if status != c.status {
			t.Fatalf("status %d, want %d", status, c.status)
		}
		select {
		case r := <-got:
			if r.Status != c.status || !strings.HasPrefix(r.Reason, c.reason) || r.Peer != peer || r.Time.IsZero() {
				t.Errorf("reported %+v, want %d %q from %s", r, c.status, c.reason, peer)
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("%d not reported", c.status)
		}
	}
	if status, _ := send("POST /voice HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nA=1"); status != 200 {
		t.Fatalf("a good request: %d", status)
	}
	select {
	case r := <-got:
		t.Errorf("a request the handler answered was reported: %+v", r)
	default:
	}
	cancel()
	<-done
}
