package inspect_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect"
	"github.com/swhook/swhook/inspect/exchange"
)

// bigAnswer is a handler answering every webhook with body, at once.
func bigAnswer(t *testing.T, body []byte) *url.URL {
	return handlerURL(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Write(body)
	}))
}

// slowPost sends a webhook on a connection with a small receive buffer and
// reads the answer at about rate bytes/s, stopping after stopAfter bytes
// (0: read it all). It returns the body read.
func slowPost(t *testing.T, base string, rate, stopAfter int) ([]byte, error) {
	t.Helper()
	u, _ := url.Parse(base)
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.(*net.TCPConn).SetReadBuffer(32 << 10)
	io.WriteString(c, "POST /voice HTTP/1.1\r\nHost: "+u.Host+"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n\r\nCallSid=CA1")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return nil, err
	}
	var got bytes.Buffer
	chunk := make([]byte, rate/20)
	for {
		n, err := io.ReadFull(resp.Body, chunk)
		got.Write(chunk[:n])
		if err != nil {
			if err == io.ErrUnexpectedEOF || err == io.EOF {
				err = nil
			}
			return got.Bytes(), err
		}
		if stopAfter > 0 && got.Len() >= stopAfter {
			return got.Bytes(), nil
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// --timeout bounds the wait for the handler, not the sender's reading: a
// large answer read slowly, far past the timeout, arrives whole and is
// recorded as a clean 200 (issue 10 point 9; it was cut at the timeout
// and still recorded as a plain 200).
func TestSlowReaderGetsTheWholeAnswer(t *testing.T) {
	body := randomBytes(t, 16<<20)
	e := serve(t, inspect.Config{Forward: bigAnswer(t, body), Timeout: 300 * time.Millisecond, MaxBody: 64 << 10},
		exchange.SourceLocal, nil)
	start := time.Now()
	got, err := slowPost(t, e.url, 6<<20, 0) // ~3 s, 10x the timeout
	if err != nil || sha256.Sum256(got) != sha256.Sum256(body) {
		t.Fatalf("got %d of %d bytes (%v) after %s", len(got), len(body), err, time.Since(start))
	}
	x := e.lastExchange(t)
	if x.Response.Status != 200 || x.Response.Error != "" || !x.Response.Truncated || x.Response.BodySize != int64(len(body)) {
		t.Errorf("stored response: %d error %q truncated %v size %d", x.Response.Status, x.Response.Error, x.Response.Truncated, x.Response.BodySize)
	}
}

// A relay cut for any reason (here the sender hangs up half way) is in
// the exchange, not a plain 200.
func TestCutRelayIsRecorded(t *testing.T) {
	body := randomBytes(t, 8<<20)
	e := serve(t, inspect.Config{Forward: bigAnswer(t, body), MaxBody: 64 << 10}, exchange.SourceLocal, nil)
	got, _ := slowPost(t, e.url, 4<<20, 1<<20) // then close
	if len(got) >= len(body) {
		t.Fatalf("read it all (%d bytes)", len(got))
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		x, err := e.store.Last(t.Context())
		if err == nil && x.Request.Path == "/voice" {
			if !strings.Contains(x.Response.Error, "answer relay cut: sending it on after") {
				t.Errorf("stored error %q", x.Response.Error)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the exchange was never stored")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(e.log.String(), "answer relay cut") {
		t.Errorf("log %q", e.log.String())
	}
}
