package signature

import (
	"encoding/base64"
	"fmt"
	"strings"
)

// CredentialNote is the note on a JSON signature that holds for the URL
// with the request's Basic credentials in it.
const CredentialNote = "signed for the URL with the request's Basic credentials in it, as SignalWire signs a messaging SWML request to a URL configured with them (a call's request strips them): check it the same way"

// credentialURL is r.URL with the user:password of r's Basic Authorization
// header as its userinfo. SignalWire signs a messaging SWML request over
// the URL exactly as configured, credentials included, while the request
// itself carries them in Authorization. shown is the same URL with the
// password masked, for output. ok is false without Basic credentials, or
// when the URL already has userinfo.
func credentialURL(r Request) (full, shown string, ok bool) {
	v, found := headerValue(r.Header, "Authorization")
	if !found || len(v) < 6 || !strings.EqualFold(v[:6], "basic ") {
		return "", "", false
	}
	dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v[6:]))
	if err != nil {
		return "", "", false
	}
	user, _, hasPass := strings.Cut(string(dec), ":")
	u, split := splitURL(r.URL)
	if !hasPass || !split || u.userinfo != "" || u.host == "" {
		return "", "", false
	}
	u.userinfo = string(dec) + "@"
	full = u.String()
	u.userinfo = user + ":***@"
	return full, u.String(), true
}

// rawURL is a URL split by hand rather than through net/url, because the
// signature covers the URL's exact text: parsing and re-serialising it could
// re-encode the path or query and change what is checked.
type rawURL struct {
	scheme   string // as written, e.g. "https"
	userinfo string // including the trailing '@', or ""
	host     string // including brackets for IPv6
	port     string // without ':'; "" when absent
	hasColon bool   // "host:" with an empty port
	path     string // from the first '/' up to '?' or '#'
	query    string // without '?'
	hasQuery bool
	fragment string // including '#', or ""
}

// splitURL splits s; ok is false when s has no "scheme://" prefix, in which
// case callers use s as it is and try no variants.
func splitURL(s string) (u rawURL, ok bool) {
	i := strings.Index(s, "://")
	if i <= 0 {
		return u, false
	}
	u.scheme = s[:i]
	rest := s[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	auth, rest := rest[:end], rest[end:]
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		u.userinfo, auth = auth[:at+1], auth[at+1:]
	}
	hostEnd := len(auth)
	if strings.HasPrefix(auth, "[") {
		if rb := strings.IndexByte(auth, ']'); rb >= 0 {
			hostEnd = rb + 1
		}
	} else if c := strings.LastIndexByte(auth, ':'); c >= 0 {
		hostEnd = c
	}
	u.host = auth[:hostEnd]
	if p := auth[hostEnd:]; strings.HasPrefix(p, ":") {
		u.hasColon = true
		u.port = p[1:]
	}
	if h := strings.IndexByte(rest, '#'); h >= 0 {
		rest, u.fragment = rest[:h], rest[h:]
	}
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		rest, u.query, u.hasQuery = rest[:q], rest[q+1:], true
	}
	u.path = rest
	return u, true
}

func (u rawURL) String() string {
	return string(u.appendTo(make([]byte, 0, len(u.scheme)+len(u.userinfo)+len(u.host)+len(u.port)+len(u.path)+len(u.query)+len(u.fragment)+5)))
}

// appendTo appends the URL's text to b.
func (u rawURL) appendTo(b []byte) []byte {
	b = append(b, u.scheme...)
	b = append(b, "://"...)
	b = append(b, u.userinfo...)
	b = append(b, u.host...)
	if u.hasColon || u.port != "" {
		b = append(b, ':')
		b = append(b, u.port...)
	}
	b = append(b, u.path...)
	if u.hasQuery {
		b = append(b, '?')
		b = append(b, u.query...)
	}
	return append(b, u.fragment...)
}

// defaultPort is the port a scheme implies, or "" for schemes with none we
// know of (whose URLs then get no port variants).
func defaultPort(scheme string) string {
	switch strings.ToLower(scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

// portVariant returns s with its default port added when absent, or any
// port removed when present: the official validators
// (@signalwire/compatibility-api, the Python SDK's RequestValidator) check
// the URL "with port" (the default one added when absent) and "without
// port" (any port removed), and accept either. ok is false when s has no
// such twin (no scheme we know, no host).
func portVariant(s string) (string, bool) {
	b, ok := appendPortVariant(nil, s)
	return string(b), ok
}

// appendPortVariant is portVariant appended to dst.
func appendPortVariant(dst []byte, s string) ([]byte, bool) {
	u, ok := splitURL(s)
	if !ok {
		return dst, false
	}
	def := defaultPort(u.scheme)
	if def == "" || u.host == "" {
		return dst, false
	}
	switch {
	case !u.hasColon && u.port == "":
		u.port = def
	default:
		u.port, u.hasColon = "", false
	}
	return u.appendTo(dst), true
}

// portNote says which form of the URL a signature matched when that was
// the URL without a port other than the default: the official validators
// accept it, so the badge does too, but a handler that checks only the URL
// it was called at would not. A default port added or removed is the same
// URL and needs no note.
func portNote(given, matched string) string {
	g, ok := splitURL(given)
	if !ok || g.port == "" || g.port == defaultPort(g.scheme) {
		return ""
	}
	return fmt.Sprintf("signed for %s, the URL without its port :%s (the official validators accept this form)", safe(matched), safe(g.port))
}

// urlForms returns s and, when it has one, its default-port variant: the
// URLs a signature for s may have been computed over.
func urlForms(s string) []string {
	if v, ok := portVariant(s); ok {
		return []string{s, v}
	}
	return []string{s}
}

// queryParam returns the first value of name in the URL's query (decoded).
func queryParam(s, name string) (string, bool) {
	u, ok := splitURL(s)
	var q string
	if ok {
		q = u.query
	} else if i := strings.IndexByte(s, '?'); i >= 0 {
		q = s[i+1:]
	}
	if q == "" {
		return "", false
	}
	params, _ := ParseForm(q)
	for _, p := range params {
		if p.Key == name {
			return p.Value, true
		}
	}
	return "", false
}
