package tunnel

import (
	"context"
	"net"
	"net/http"
	"strconv"
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

// Listening on every interface, the URL printed is one a person can open
// (issue 11 point 16: it read http://[::]:4768), and the machine's own
// addresses are named for the other machines.
func TestLocalURLOnEveryInterface(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "[::]:0"} {
		l, err := ListenLocal(context.Background(), addr)
		if err != nil {
			t.Skipf("%s: %v", addr, err)
		}
		u := l.URL()
		port := strconv.Itoa(l.Listener().Addr().(*net.TCPAddr).Port)
		if u != "http://127.0.0.1:"+port {
			t.Errorf("%s: URL %q", addr, u)
		}
		c, err := net.Dial("tcp", strings.TrimPrefix(u, "http://"))
		if err != nil {
			t.Errorf("%s: %s does not reach the listener: %v", addr, u, err)
		} else {
			c.Close()
		}
		for _, n := range l.NetworkURLs() {
			if strings.Contains(n, "[::]") || strings.Contains(n, "0.0.0.0") || strings.Contains(n, "127.0.0.1") || !strings.HasSuffix(n, ":"+port) {
				t.Errorf("network URL %q", n)
			}
		}
		l.Listener().Close()
	}
	l, _ := ListenLocal(context.Background(), "127.0.0.1:0")
	defer l.Listener().Close()
	if l.NetworkURLs() != nil || !strings.HasPrefix(l.URL(), "http://127.0.0.1:") {
		t.Errorf("loopback: %q %q", l.URL(), l.NetworkURLs())
	}
}
