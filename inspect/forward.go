package inspect

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strings"
	"time"
)

// withoutHopHeaders returns a copy of h without the hop-by-hop headers,
// including every header the Connection header names. The copy shares the
// value strings and is shallow (clipped value slices, so an append to one
// never writes into the other): cheaper than Clone, and the values are
// never changed in place.
func withoutHopHeaders(h http.Header) http.Header {
	out := make(http.Header, len(h)+3) // room for the X-Forwarded-* headers
	named := connectionNamed(h)
	for k, v := range h {
		if isHopHeader(k) || slices.Contains(named, k) {
			continue
		}
		out[k] = v[:len(v):len(v)]
	}
	return out
}

// connectionNamed is the header names h's Connection header lists (as
// canonical keys), nil when there is none.
func connectionNamed(h http.Header) []string {
	var named []string
	for _, v := range h["Connection"] {
		for _, name := range strings.Split(v, ",") {
			if name = textproto.TrimString(name); name != "" {
				named = append(named, textproto.CanonicalMIMEHeaderKey(name))
			}
		}
	}
	return named
}

// isHopHeader reports the hop-by-hop headers (RFC 9110 §7.6.1) a proxy
// must not pass on, as net/http/httputil.ReverseProxy lists them.
func isHopHeader(k string) bool {
	switch k {
	case "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
		"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade":
		return true
	}
	return false
}

// forwardHeaders builds the headers the handler receives: the request's own
// minus hop-by-hop ones, plus X-Forwarded-For (appended, as every proxy
// does), and X-Forwarded-Proto/-Host: kept as the first proxy set them when
// the request came with them (behind a Host-rewriting tunnel they name the
// public host, which the handler's own check needs), else set to the scheme
// and host of the URL the signature covers, so a handler that rebuilds its
// public URL from them rebuilds exactly the signed one.
func forwardHeaders(r *http.Request, verifyURL string) http.Header {
	h := withoutHopHeaders(r.Header)
	// The values swhook adds share one backing array, each clipped (len ==
	// cap, so an append to one never writes into the next): one allocation
	// instead of one per header.
	vals := make([]string, 0, 4)
	add := func(k, v string) {
		vals = append(vals, v)
		h[k] = vals[len(vals)-1 : len(vals) : len(vals)] // canonical keys: no Set needed
	}
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil && ip != "" {
		if prior := h["X-Forwarded-For"]; len(prior) > 0 {
			ip = strings.Join(prior, ", ") + ", " + ip
		}
		add("X-Forwarded-For", ip)
	}
	if scheme, host := splitBase(verifyURL); scheme != "" {
		if _, ok := h["X-Forwarded-Proto"]; !ok {
			add("X-Forwarded-Proto", scheme)
		}
		if _, ok := h["X-Forwarded-Host"]; !ok {
			add("X-Forwarded-Host", host)
		}
	}
	if _, ok := h["User-Agent"]; !ok {
		// Stop the transport from adding its own: the handler sees only
		// what the sender sent.
		add("User-Agent", "")
	}
	return h
}

// targetURL joins the forward target and the request-target as received.
// A target with a path ("http://localhost:3000/hooks") is a prefix. The
// path goes in Opaque, which the request writer sends verbatim: Path and
// RawPath would be re-escaped wherever RawPath is not the canonical
// escaping (bytes >= 0x80, \, {, |, '), and the handler must see the bytes
// the sender sent, as swhook's own signature check did. Show it with
// displayURL.
func targetURL(target *url.URL, r *http.Request) *url.URL {
	u := *target
	u.Path = joinPath(target.Path, r.URL.Path)
	u.RawPath = ""
	if raw := joinPath(target.EscapedPath(), rawPath(r)); !strings.HasPrefix(raw, "//") {
		u.Opaque = raw
	} else {
		// "//x" in Opaque would be read as a host; keep the parsed form.
		u.RawPath = raw
		if u.EscapedPath() != raw {
			u.RawPath = ""
		}
	}
	u.RawQuery = r.URL.RawQuery
	u.ForceQuery = r.URL.ForceQuery
	u.Fragment, u.RawFragment = "", ""
	return &u
}

// ForwardPrefix is the path a --forward target puts before every request's
// own ("/api/v1" for http://127.0.0.1:3000/api/v1/), "" for none: the
// handler then sees /api/v1/voice where SignalWire signed .../voice, so it
// is sent as X-Forwarded-Prefix and said at start.
func ForwardPrefix(target *url.URL) string {
	return strings.TrimSuffix(target.EscapedPath(), "/")
}

// rawPath is the path of the request-target exactly as it arrived.
func rawPath(r *http.Request) string {
	p := r.RequestURI
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if !strings.HasPrefix(p, "/") {
		// Absolute-form ("http://host/p") or none (a request built in
		// process): the parsed path is all there is.
		return r.URL.EscapedPath()
	}
	return p
}

// displayURL is the URL a target from targetURL is sent to, for people.
func displayURL(u *url.URL) string {
	if u.Opaque == "" {
		return u.String()
	}
	return u.Scheme + "://" + u.Host + u.RequestURI()
}

func joinPath(a, b string) string {
	switch {
	case a == "" || a == "/":
		if b == "" {
			return "/"
		}
		return b
	case b == "" || b == "/":
		return a
	}
	return strings.TrimSuffix(a, "/") + "/" + strings.TrimPrefix(b, "/")
}

// forwardError turns a transport failure into the one-line reason in the
// 502/504 body and the exchange, and the status to answer with.
func forwardError(ctx context.Context, target string, timeout time.Duration, err error) (int, string) {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
		return http.StatusGatewayTimeout, fmt.Sprintf("handler %s did not answer within %s (--timeout)", target, timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return http.StatusBadGateway, fmt.Sprintf("handler %s is not reachable: %v", target, err)
}
