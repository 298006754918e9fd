package inspect_test

import (
	"bufio"
	"net"
	"net/http"
	"net/url"
	"testing"

	"github.com/swhook/swhook/inspect"
	"github.com/swhook/swhook/inspect/exchange"
)

// rawRequest sends one request with exactly target as its request-target
// and returns the answer's status.
func rawRequest(t *testing.T, base, target string) int {
	t.Helper()
	u, _ := url.Parse(base)
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("POST " + target + " HTTP/1.1\r\nHost: " + u.Host + "\r\nContent-Length: 3\r\nConnection: close\r\n\r\nA=1")); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// The handler receives the request-target byte for byte, joined to the
// --forward base path: never re-escaped (issue 10 point 10).
func TestRequestTargetForwardedByteForByte(t *testing.T) {
	got := make(chan string, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.RequestURI
	})
	for _, base := range []string{"", "/base"} {
		target := handlerURL(t, h)
		target.Path = base
		e := serve(t, inspect.Config{Forward: target}, exchange.SourceLocal, nil)
		for _, p := range []string{"/p\xff", "/a\\b", "/x{y}", "/pipe|d", "/it's", "/%2F%7e?q=%ZZ&r=\xe9", "/caf\xc3\xa9/%41", "/voice?A=1&B=%2B"} {
			if status := rawRequest(t, e.url, p); status != 200 {
				t.Fatalf("%q: status %d", p, status)
			}
			if r := <-got; r != base+p {
				t.Errorf("handler got %q, want %q", r, base+p)
			}
		}
	}
}
