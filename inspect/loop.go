package inspect

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// newInstance names one pipeline in the Via header it adds (RFC 9110
// §7.6.3): "swhook-" and 8 random hex digits, so a request that comes back
// carrying it is known to have gone round in a loop, while another swhook
// in the chain (a different instance) is not mistaken for this one.
func newInstance() string {
	var b [4]byte
	rand.Read(b[:])
	return "swhook-" + hex.EncodeToString(b[:])
}

// Via is the pseudonym this pipeline adds to the Via header of every
// request it forwards.
func (p *Pipeline) Via() string { return p.via }

// looped reports whether r has already passed through this pipeline.
func (p *Pipeline) looped(r *http.Request) bool {
	for _, v := range r.Header["Via"] {
		if strings.Contains(v, p.via) {
			return true
		}
	}
	return false
}

// withVia returns the Via list a forwarded request carries: what came in,
// then this hop. Without a prior Via (nearly always) it is one slice made
// once and shared: header values are only read on the way out.
func (p *Pipeline) withVia(prior []string) []string {
	if len(prior) == 0 {
		return p.viaHeader
	}
	return []string{strings.Join(prior, ", ") + ", 1.1 " + p.via}
}

// PointsAt reports whether target (a --forward URL) is the listener at
// addr itself: same port, and a host that reaches it (localhost, any
// loopback address, the unspecified address, the listener's own host, or
// when it listens on every interface one of this machine's addresses).
// Forwarding there turns one webhook into an endless stream of them.
func PointsAt(target *url.URL, addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || target == nil {
		return false
	}
	port := cmp.Or(target.Port(), map[string]string{"http": "80", "https": "443"}[target.Scheme])
	if port != strconv.Itoa(tcp.Port) {
		return false
	}
	host := strings.ToLower(strings.TrimSuffix(target.Hostname(), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	if ip == nil {
		ips, err := net.LookupIP(host)
		if err != nil || len(ips) == 0 {
			return false
		}
		ip = ips[0]
	}
	switch {
	case ip.IsLoopback() || ip.IsUnspecified() || ip.Equal(tcp.IP):
		return true
	case tcp.IP.IsUnspecified():
		addrs, _ := net.InterfaceAddrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
				return true
			}
		}
	}
	return false
}
