package inspect

import (
	"net/http"
	"strings"
)

// VerificationURL is the URL a signature on r must cover, by the rule in
// docs/ARCHITECTURE.md: the public base (--public-url, or the tunnel's URL for tunnel
// traffic) followed by the request's path and query exactly as sent; with no
// public base, the URL is rebuilt from the request as the handler behind
// swhook rebuilds it — scheme from X-Forwarded-Proto (else http), host from
// X-Forwarded-Host (else Host), then the request URI. A tunnel or proxy in
// front of swhook that rewrites Host (ngrok --host-header=rewrite) names
// the public host only in X-Forwarded-Host, and the official validators,
// fed the URL an app rebuilds, check against that.
func VerificationURL(publicBase string, r *http.Request) string {
	uri := requestURI(r)
	if publicBase != "" {
		return strings.TrimSuffix(publicBase, "/") + uri
	}
	return forwardedProto(r) + "://" + forwardedHost(r) + uri
}

// forwardedHost is the host the client called, as the first proxy in front
// of us reports it (Express's req.hostname takes the same), else Host. A
// value that is not a plain host[:port] is ignored.
func forwardedHost(r *http.Request) string {
	v := r.Header.Get("X-Forwarded-Host")
	if i := strings.IndexByte(v, ','); i >= 0 {
		v = v[:i]
	}
	if v = strings.TrimSpace(v); v != "" && plainHost(v) {
		return v
	}
	return r.Host
}

// plainHost reports whether s can stand as a URL's host[:port]: no path,
// query, fragment, userinfo, space or control byte.
func plainHost(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c <= ' ' || c == 0x7f, c == '/', c == '?', c == '#', c == '@', c == '\\':
			return false
		}
	}
	return true
}

// requestURI is the path and query as the client wrote them, so an encoded
// character in the path stays encoded (the signer signed those bytes).
func requestURI(r *http.Request) string {
	if u := r.RequestURI; strings.HasPrefix(u, "/") {
		return u
	}
	// Absolute-form ("POST http://host/path") or asterisk: use the parsed form.
	return r.URL.RequestURI()
}

// forwardedProto is the scheme the client used, as a proxy in front of us
// reports it; anything but http or https is ignored.
func forwardedProto(r *http.Request) string {
	v := r.Header.Get("X-Forwarded-Proto")
	if i := strings.IndexByte(v, ','); i >= 0 {
		v = v[:i] // the first proxy's view is the client's
	}
	switch v = strings.ToLower(strings.TrimSpace(v)); v {
	case "http", "https":
		return v
	}
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// splitBase returns the scheme and host of a base URL ("https://x.ngrok.app/").
func splitBase(base string) (scheme, host string) {
	scheme, rest, ok := strings.Cut(base, "://")
	if !ok {
		return "", ""
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	return strings.ToLower(scheme), rest
}
