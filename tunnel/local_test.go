package tunnel

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
)

func TestLocalAddr(t *testing.T) {
	cases := []struct {
		in, want string
		exposed  bool
		bad      bool
	}{
		{"127.0.0.1:4747", "127.0.0.1:4747", false, false},
		{":4747", "127.0.0.1:4747", false, false}, // Go would bind every interface
		{"localhost:0", "localhost:0", false, false},
		{"[::1]:4747", "[::1]:4747", false, false},
		{"0.0.0.0:4747", "0.0.0.0:4747", true, false},
		{"192.168.1.5:80", "192.168.1.5:80", true, false},
		{"4747", "", false, true},
		{"", "", false, true},
	}
	for _, c := range cases {
		got, exposed, err := LocalAddr(c.in)
		if (err != nil) != c.bad {
			t.Errorf("LocalAddr(%q) err = %v", c.in, err)
			continue
		}
		if c.bad {
			if !strings.Contains(err.Error(), "HOST:PORT") {
				t.Errorf("LocalAddr(%q) error %q does not say the form", c.in, err)
			}
			continue
		}
		if got != c.want || exposed != c.exposed {
			t.Errorf("LocalAddr(%q) = %q, %v; want %q, %v", c.in, got, exposed, c.want, c.exposed)
		}
	}
}

func TestListenLocalServesAndReportsItsURL(t *testing.T) {
	l, err := ListenLocal(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Listener().Close()
	if !strings.HasPrefix(l.URL(), "http://127.0.0.1:") || strings.HasSuffix(l.URL(), ":0") {
		t.Errorf("URL %q does not name the bound port", l.URL())
	}
	if st := l.Status(); st.State != StateLocal || st.URL != "" {
		t.Errorf("status %+v", st)
	}
	if l.Updates() != nil {
		t.Error("a local listener has no updates")
	}
	ln, _ := l.Start(context.Background())
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	resp, err := http.Get(l.URL() + "/x")
	if err != nil || resp.StatusCode != 204 {
		t.Fatalf("GET through the local listener: %v", err)
	}
	resp.Body.Close()
}

func TestListenLocalPortInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	_, err = ListenLocal(context.Background(), busy.Addr().String())
	if err == nil || !strings.Contains(err.Error(), "already in use") || !strings.Contains(err.Error(), "--addr") {
		t.Errorf("err = %v, want one saying the port is in use and what to do", err)
	}
}
