package tunnel

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
	"time"
)

// DefaultLocalAddr is where listen accepts webhooks on this machine:
// loopback, so nothing on the network can reach it unless asked.
const DefaultLocalAddr = "127.0.0.1:4747"

// LocalAddr normalises a --addr value: a missing host means loopback (not
// every interface, as Go's ":4747" would), and it reports whether the host
// is reachable from other machines so the caller can say so.
func LocalAddr(addr string) (normalised string, exposed bool, err error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", false, fmt.Errorf("--addr %q is not HOST:PORT (e.g. %s)", addr, DefaultLocalAddr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if host == "localhost" {
		return net.JoinHostPort(host, port), false, nil
	}
	ip := net.ParseIP(host)
	if ip == nil {
		// A host name: whatever it resolves to decides.
		return net.JoinHostPort(host, port), !resolvesToLoopback(host), nil
	}
	return net.JoinHostPort(host, port), !ip.IsLoopback(), nil
}

func resolvesToLoopback(host string) bool {
	ips, err := net.LookupIP(host)
	if err != nil || len(ips) == 0 {
		return false
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return false
		}
	}
	return true
}

// Local is the local listener seen as a Tunnel, so every view can show one
// tunnel state whether or not a public tunnel exists.
type Local struct {
	addr  string
	ln    net.Listener
	since time.Time
}

// ListenLocal opens the local listener on addr (see LocalAddr). A port
// already in use gets an error that says what to do.
func ListenLocal(ctx context.Context, addr string) (*Local, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("address %s is already in use (another swhook listen?): pass --addr with another port, e.g. --addr 127.0.0.1:0", addr)
		}
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return &Local{addr: addr, ln: ln, since: time.Now()}, nil
}

// Listener is the open listener.
func (l *Local) Listener() net.Listener { return l.ln }

// URL is the base URL of the local listener, with the port actually bound
// (useful when --addr asked for port 0): one a person can use. Listening on
// every interface (0.0.0.0 or [::], which Go reports as [::]) it names
// loopback, which reaches the listener from this machine; NetworkURLs
// names the others.
func (l *Local) URL() string {
	a, ok := l.ln.Addr().(*net.TCPAddr)
	if !ok || !a.IP.IsUnspecified() {
		return "http://" + l.ln.Addr().String()
	}
	return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(a.Port))
}

// NetworkURLs are the URLs other machines can reach the listener at when it
// listens on every interface: one per address of this machine that is up
// and not loopback (IPv4 first). It is empty otherwise.
func (l *Local) NetworkURLs() []string {
	a, ok := l.ln.Addr().(*net.TCPAddr)
	if !ok || !a.IP.IsUnspecified() {
		return nil
	}
	var v4, v6 []string
	ifaces, _ := net.Interfaces()
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, ad := range addrs {
			n, ok := ad.(*net.IPNet)
			if !ok || n.IP.IsLoopback() || n.IP.IsLinkLocalUnicast() {
				continue
			}
			u := "http://" + net.JoinHostPort(n.IP.String(), strconv.Itoa(a.Port))
			if n.IP.To4() != nil {
				v4 = append(v4, u)
			} else {
				v6 = append(v6, u)
			}
		}
	}
	return append(v4, v6...)
}

// Start returns the already-open listener.
func (l *Local) Start(ctx context.Context) (net.Listener, error) { return l.ln, nil }

// Status is always StateLocal: there is no public side.
func (l *Local) Status() Status {
	return Status{State: StateLocal, Since: l.since, Message: "local only: " + l.URL()}
}

// Updates never delivers: a local listener does not change state.
func (l *Local) Updates() <-chan Status { return nil }

var _ Tunnel = (*Local)(nil)
