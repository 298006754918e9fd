package inspect

import (
	"net/http"
	"strings"
)

// VerificationURL is the URL a signature on r must cover, by the rule in
// docs/ARCHITECTURE.md: the public base (--public-url, or the tunnel's URL for tunnel
// traffic) followed by the request's path and query exactly as sent; with no
// public base, the URL is rebuilt from the request as the handler behind
// swhook will rebuild it — scheme from X-Forwarded-Proto (else http), host
// from X-Forwarded-Host (else Host), both as the first proxy set them
// (swhook passes them on unchanged), then the request URI.
func VerificationURL(publicBase string, r *http.Request) string {
	uri := requestURI(r)
	if publicBase != "" {
		return strings.TrimSuffix(publicBase, "/") + uri
	}
	return forwardedProto(r) + "://" + forwardedHost(r) + uri
}

// forwardedHost is the host the client used, as the first proxy in front
// of us reports it; a value that is not a plain host[:port] is ignored.
func forwardedHost(r *http.Request) string {
	v := r.Header.Get("X-Forwarded-Host")
	if i := strings.IndexByte(v, ','); i >= 0 {
		v = v[:i]
	}
	if v = strings.TrimSpace(v); v == "" || strings.ContainsAny(v, "/?#@ \t\\") {
		return r.Host
	}
	return v
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
