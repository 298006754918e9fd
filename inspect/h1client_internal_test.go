package inspect

import (
	"context"
	"net"
	"net/http"
	"runtime"
	"strings"
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
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
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
