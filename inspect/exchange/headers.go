package exchange

import (
	"net/http"
	"strings"
)

// computedHeaders describe the connection a request arrived on, not the
// request: hop-by-hop headers (RFC 9110 §7.6.1), Content-Length and Host.
var computedHeaders = []string{
	"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
	"Te", "Trailer", "Transfer-Encoding", "Upgrade", "Content-Length", "Host",
}

// ResendHeaders copies the request's headers for sending it again (replay,
// a curl command), leaving out those that described the connection it
// arrived on — hop-by-hop headers, any the Connection header names,
// Content-Length and Host — because the new connection works them out for
// itself, and sending the recorded ones would lie about it or break it.
// The result is never nil and never shares storage with r.Headers.
func (r Request) ResendHeaders() http.Header {
	out := r.Headers.Clone()
	if out == nil {
		return http.Header{}
	}
	for _, v := range out.Values("Connection") {
		for _, name := range strings.Split(v, ",") {
			if name = strings.TrimSpace(name); name != "" {
				out.Del(name)
			}
		}
	}
	for _, name := range computedHeaders {
		out.Del(name)
	}
	return out
}
