package forward

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// alive must tell an open idle connection from one the handler closed or
// wrote to unasked, without waiting and without taking a byte.
func TestH1ConnAlive(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no non-blocking peek here; the retry covers closed connections")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c := NewH1Client(nil)
	accepted := make(chan net.Conn, 1)
	go func() {
		s, err := ln.Accept()
		if err == nil {
			accepted <- s
		}
		close(accepted)
	}()
	pc, err := c.dial(context.Background(), ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer pc.nc.Close()
	srv := <-accepted
	if srv == nil {
		t.Fatal("accept failed")
	}
	defer srv.Close()

	if !pc.alive() {
		t.Fatal("an open idle connection looks dead")
	}
	srv.Write([]byte("H"))
	waitFor(t, func() bool { return !pc.alive() }, "a connection with unasked bytes looks alive")
	if b, err := pc.br.ReadByte(); err != nil || b != 'H' {
		t.Fatalf("the peek took the byte: %q %v", b, err)
	}
	if !pc.alive() {
		t.Fatal("after reading the byte the connection looks dead")
	}
	srv.Close()
	waitFor(t, func() bool { return !pc.alive() }, "a connection the handler closed looks alive")
}

func waitFor(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal(msg)
}

// H1Client must refuse (hand to the fallback, which errors) exactly the
// headers http.Transport refuses: laxer would send what Transport never
// did, stricter would turn a webhook Transport forwarded into an error.
func FuzzH1HeaderValidation(f *testing.F) {
	for _, s := range [][2]string{
		{"X-Ok", "value"}, {"X-Bad", "a\r\nX-Injected: 1"}, {"Bad Name", "x"}, {"", "x"},
		{"X-Tab", "a\tb"}, {"X-Utf8", "caf\xc3\xa9 \xff"}, {"X-Del", "a\x7fb"}, {"X-Nul", "\x00"},
		{"x-lower", ""}, {"X:Colon", "v"}, {"X-\xc3\xa9", "v"}, {"!#$%&'*+-.^_`|~09azAZ", "v"},
	} {
		f.Add(s[0], s[1])
	}
	tr := newHTTPTransport()
	f.Fuzz(func(t *testing.T, name, value string) {
		h := http.Header{name: {value}}
		req, err := http.NewRequest("GET", "http://127.0.0.1:1/", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header = h
		_, terr := tr.RoundTrip(req)
		refused := terr != nil && strings.Contains(terr.Error(), "invalid header")
		if validHeader(h) == refused {
			t.Errorf("header %q: %q: H1Client valid=%v, Transport said %v", name, value, !refused, terr)
		}
	})
}

// After a burst, the connections below the one steady traffic keeps
// using must be closed once idle past the idle timeout: conn never
// reaches them, so only release can.
func TestH1ClientExpiresBurstConnections(t *testing.T) {
	const burst = 6
	var arrived, opened, closed atomic.Int64
	all := make(chan struct{})
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/burst" {
				if arrived.Add(1) == burst {
					close(all)
				}
				select { // hold each until all are in: one connection each
				case <-all:
				case <-time.After(60 * time.Second):
				}
			}
			io.WriteString(w, "ok")
		}),
		ConnState: func(_ net.Conn, s http.ConnState) {
			switch s {
			case http.StateNew:
				opened.Add(1)
			case http.StateClosed:
				closed.Add(1)
			}
		},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	c := NewH1Client(nil)
	defer c.CloseIdleConnections()
	c.idleTimeout = 200 * time.Millisecond
	base := "http://" + ln.Addr().String()
	send := func(path string) error {
		req, _ := http.NewRequest("POST", base+path, strings.NewReader("A=1"))
		resp, err := c.RoundTrip(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err == nil && string(b) != "ok" {
			err = fmt.Errorf("answer %q", b)
		}
		return err
	}

	var wg sync.WaitGroup
	for range burst {
		wg.Go(func() {
			if err := send("/burst"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := opened.Load(); n != burst {
		t.Fatalf("the burst opened %d connections, want %d", n, burst)
	}
	// Steady traffic, far more often than the idle timeout, until the
	// extra connections are closed (or long after they should have been).
	for deadline := time.Now().Add(60 * time.Second); closed.Load() < burst-1 && time.Now().Before(deadline); {
		if err := send("/steady"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	waitFor(t, func() bool { return closed.Load() == burst-1 }, "the burst's extra connections were not closed")
	if err := send("/steady"); err != nil {
		t.Fatal(err)
	}
	if n, m := opened.Load(), closed.Load(); n != burst || m != burst-1 {
		t.Errorf("%d connections opened, %d closed; want %d and %d: steady traffic kept its one", n, m, burst, burst-1)
	}
}
