package signature

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ErrNoKey is returned when asked to sign without a key: an empty key would
// produce a signature nobody can check, which is worse than none.
var ErrNoKey = errors.New("no signing key")

// Sign computes the signature value for scheme over url and body. For
// SchemeForm the parameters come from body (form-encoded; pass nil for a GET,
// whose parameters are in the URL). For SchemeFormBodySHA256 the URL must
// already carry ?bodySHA256= for this body (see WithBodySHA256).
func Sign(key string, scheme Scheme, url string, body []byte) (string, error) {
	if key == "" {
		return "", ErrNoKey
	}
	switch scheme {
	case SchemeJSONSHA1:
		return hex.EncodeToString(rawDigest(false, key, url, body)), nil
	case SchemeJSONSHA256:
		return hex.EncodeToString(rawDigest(true, key, url, body)), nil
	case SchemeForm:
		params, _ := ParseForm(string(body))
		return base64.StdEncoding.EncodeToString(formDigest(key, url, sortedParams(params))), nil
	case SchemeFormBodySHA256:
		want, ok := queryParam(url, "bodySHA256")
		if !ok {
			return "", errors.New("the bodySHA256 scheme needs ?bodySHA256=<hex sha256 of the body> in the URL")
		}
		if !bodyHashMatches(want, body) {
			return "", errors.New("the URL's bodySHA256 is not the SHA-256 of this body")
		}
		return base64.StdEncoding.EncodeToString(formDigest(key, url, nil)), nil
	}
	return "", fmt.Errorf("unknown signature scheme %q (want one of %s)", scheme, schemeList())
}

func schemeList() string {
	names := make([]string, len(Schemes))
	for i, s := range Schemes {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// ParseScheme reads a scheme name as a person types it.
func ParseScheme(s string) (Scheme, error) {
	for _, sc := range Schemes {
		if strings.EqualFold(s, string(sc)) {
			return sc, nil
		}
	}
	return "", fmt.Errorf("unknown signature scheme %q (want one of %s)", s, schemeList())
}

// WithBodySHA256 returns url with ?bodySHA256=<hex sha256 of body> appended,
// the form in which the Compatibility API signs JSON bodies.
func WithBodySHA256(url string, body []byte) string {
	sum := sha256.Sum256(body)
	frag := ""
	if i := strings.IndexByte(url, '#'); i >= 0 {
		url, frag = url[:i], url[i:]
	}
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
		if strings.HasSuffix(url, "?") || strings.HasSuffix(url, "&") {
			sep = ""
		}
	}
	return url + sep + "bodySHA256=" + hex.EncodeToString(sum[:]) + frag
}

// SchemeFor picks the scheme SignalWire uses for a request with this
// method and content type: form posts and GETs use the form scheme,
// everything else (JSON) the hex scheme.
func SchemeFor(method, contentType string) Scheme {
	if strings.EqualFold(method, http.MethodGet) || strings.EqualFold(method, http.MethodHead) {
		return SchemeForm
	}
	h := http.Header{}
	h.Set("Content-Type", contentType)
	if mediaType(h) == "application/x-www-form-urlencoded" {
		return SchemeForm
	}
	return SchemeJSONSHA1
}

// Resign returns a copy of r's headers with every signature header
// recomputed for r.URL and r.Body, as SignalWire would have sent them; when r
// carries none, it adds X-SignalWire-Signature with SchemeFor's scheme.
// Replay and trigger use it so a handler's own check passes.
//
// Form posts and GETs get the base64 form scheme; other bodies the hex SHA-1
// scheme, plus X-SignalWire-Sha256-Signature when the original carried it.
// X-Twilio-Signature is kept (recomputed) when that is the header present.
// A URL carrying ?bodySHA256= is signed with that scheme, and must match the
// body: Resign cannot change the URL.
func Resign(key string, r Request) (http.Header, error) {
	if key == "" {
		return nil, ErrNoKey
	}
	h := r.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	ct, _ := headerValue(h, "Content-Type")
	scheme := SchemeFor(r.Method, ct)
	body := r.Body
	if scheme == SchemeForm && (strings.EqualFold(r.Method, http.MethodGet) || strings.EqualFold(r.Method, http.MethodHead)) {
		body = nil
	}
	if _, ok := queryParam(r.URL, "bodySHA256"); ok {
		scheme = SchemeFormBodySHA256
	}
	main, err := Sign(key, scheme, r.URL, body)
	if err != nil {
		return nil, fmt.Errorf("re-sign for %s: %w", r.URL, err)
	}
	_, hadSW := headerValue(h, HeaderSignalWire)
	_, hadTwilio := headerValue(h, HeaderTwilio)
	_, had256 := headerValue(h, HeaderSignalWireSHA256)
	for _, name := range []string{HeaderSignalWire, HeaderTwilio, HeaderSignalWireSHA256} {
		delHeader(h, name)
	}
	switch {
	case hadSW || hadTwilio:
		if hadSW {
			h.Set(HeaderSignalWire, main)
		}
		if hadTwilio {
			h.Set(HeaderTwilio, main)
		}
	case !had256:
		h.Set(HeaderSignalWire, main)
	}
	if had256 {
		s256, err := Sign(key, SchemeJSONSHA256, r.URL, r.Body)
		if err != nil {
			return nil, err
		}
		h.Set(HeaderSignalWireSHA256, s256)
	}
	return h, nil
}

// delHeader removes name under any spelling of its case.
func delHeader(h http.Header, name string) {
	for k := range h {
		if strings.EqualFold(k, name) {
			delete(h, k)
		}
	}
}

// BodySHA256 returns the bodySHA256 query parameter of u, if it has one:
// such a URL is signed with SchemeFormBodySHA256.
func BodySHA256(u string) (string, bool) {
	if !strings.Contains(u, "bodySHA256") {
		return "", false
	}
	return queryParam(u, "bodySHA256")
}
