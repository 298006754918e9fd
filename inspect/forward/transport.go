// Package forward is the HTTP/1.1 client listen forwards every webhook
// through: H1Client, a RoundTripper that works on the caller's goroutine,
// and the http.Transport it falls back to for what it leaves alone. It
// knows nothing of webhooks: what the handler receives (hop-by-hop headers
// removed, X-Forwarded-* added) is decided by the pipeline in inspect,
// which hands this package a finished request. It is apart from the
// handler as Caddy keeps its transport apart from its reverse proxy.
package forward

import (
	"net"
	"net/http"
	"time"
)

// NewTransport returns the one transport every listener forwards through:
// an H1Client, because every webhook is forwarded and http.Transport's
// goroutine handoffs cost some 13 µs of CPU per webhook that a client
// working on the caller's goroutine does not spend (see H1Client); what it
// does not handle goes to newHTTPTransport.
func NewTransport() http.RoundTripper {
	return NewH1Client(newHTTPTransport())
}

// newHTTPTransport is the fallback for what H1Client leaves alone (https,
// streamed bodies): a keep-alive pool big enough for 16+ concurrent
// webhooks to one handler, no proxy from the environment (the handler is
// local) and no transparent compression (it would change the bytes the
// handler and SignalWire see).
func newHTTPTransport() *http.Transport {
	return &http.Transport{
		Proxy: nil,
		DialContext: (&net.Dialer{
			Timeout:   5 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:          128,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
}
