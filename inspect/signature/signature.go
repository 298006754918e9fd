// Package signature implements SignalWire's webhook signing schemes: sign,
// verify and — the part developers need most — diagnose why a signature that
// their own handler computed does not match. Pure functions, no I/O; the key
// is never part of any returned string.
package signature

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"net/http"
	"slices"
	"strings"
)

// Header names SignalWire (and its Twilio-compatible API) sign with.
const (
	HeaderSignalWire       = "X-SignalWire-Signature"
	HeaderTwilio           = "X-Twilio-Signature"
	HeaderSignalWireSHA256 = "X-SignalWire-Sha256-Signature"
)

// Status is the verdict's headline. Its values equal exchange.SignatureStatus.
type Status string

const (
	StatusValid     Status = "valid"
	StatusInvalid   Status = "invalid"
	StatusMissing   Status = "missing"
	StatusUnchecked Status = "unchecked" // no key to check with
)

// Scheme names a signing scheme.
type Scheme string

const (
	SchemeForm           Scheme = "form"            // base64 HMAC-SHA1(URL + sorted key+value params)
	SchemeFormBodySHA256 Scheme = "form-bodysha256" // form scheme over the URL, body hash in ?bodySHA256=
	SchemeJSONSHA1       Scheme = "json-sha1"       // hex HMAC-SHA1(URL + raw body)
	SchemeJSONSHA256     Scheme = "json-sha256"     // hex HMAC-SHA256(URL + raw body)
)

// Schemes lists every scheme, for help text and flag validation.
var Schemes = []Scheme{SchemeForm, SchemeFormBodySHA256, SchemeJSONSHA1, SchemeJSONSHA256}

// Describe says in a few words how a scheme computes its signature, for
// output a developer compares with their own code.
func (s Scheme) Describe() string {
	switch s {
	case SchemeForm:
		return "base64 HMAC-SHA1 of the URL + sorted form parameters"
	case SchemeFormBodySHA256:
		return "base64 HMAC-SHA1 of the URL, body hash in ?bodySHA256="
	case SchemeJSONSHA1:
		return "hex HMAC-SHA1 of the URL + raw body"
	case SchemeJSONSHA256:
		return "hex HMAC-SHA256 of the URL + raw body"
	}
	return string(s)
}

// Request is what a signature covers: the full URL SignalWire called
// (scheme, host, port, path, query), the headers that carry the signature,
// and the raw body bytes.
type Request struct {
	Method string
	URL    string
	Header http.Header
	Body   []byte
}

// Verdict is the result of Verify.
type Verdict struct {
	Status Status
	Scheme Scheme // which scheme matched (empty unless valid)
	Header string // which header carried the signature that was checked
	// URL is the exact URL variant that verified (for example with :443
	// added); empty unless valid.
	URL string
	// Note is a caveat on a valid signature, e.g. that it covers only the
	// URL while the body is not empty.
	Note string
}

// Valid is shorthand for Status == StatusValid.
func (v Verdict) Valid() bool { return v.Status == StatusValid }

// sigHeader is one signature header found on a request.
type sigHeader struct {
	name  string // the canonical name we know it by
	value string
}

// signatureHeaders returns the signature headers present, SHA-1 ones first
// (the one SignalWire always sends), matching names case-insensitively so a
// header map built by hand with non-canonical keys still works.
func signatureHeaders(h http.Header) []sigHeader {
	var arr [len(sigHeaderNames)]sigHeader
	return slices.Clone(signatureHeadersInto(&arr, h))
}

// sigHeaderNames are the signature headers in the order they are tried.
var sigHeaderNames = [...]string{HeaderSignalWire, HeaderTwilio, HeaderSignalWireSHA256}

// signatureHeadersInto is signatureHeaders into dst, without allocating. A
// name not found under its canonical key is looked for case-insensitively
// in one pass over h for all such names, not one pass each: a request
// usually carries one of the three, and the header map is walked on every
// webhook.
func signatureHeadersInto(dst *[len(sigHeaderNames)]sigHeader, h http.Header) []sigHeader {
	var vals [len(sigHeaderNames)]string
	var found [len(sigHeaderNames)]bool
	missing := 0
	for i, name := range sigHeaderNames {
		if v := h[canonical[name]]; len(v) > 0 {
			vals[i], found[i] = v[0], true
		} else {
			missing++
		}
	}
	if missing > 0 {
	scan:
		for k, v := range h {
			if len(v) == 0 {
				continue
			}
			for i, name := range sigHeaderNames {
				if !found[i] && strings.EqualFold(k, name) {
					vals[i], found[i] = v[0], true
					if missing--; missing == 0 {
						break scan
					}
				}
			}
		}
	}
	out := dst[:0]
	for i, name := range sigHeaderNames {
		if v := strings.TrimSpace(vals[i]); found[i] && v != "" {
			out = append(out, sigHeader{name: name, value: v})
		}
	}
	return out
}

// canonical spellings of the names looked up on every request, computed once.
var canonical = map[string]string{}

func init() {
	for _, n := range []string{HeaderSignalWire, HeaderTwilio, HeaderSignalWireSHA256, "Content-Type"} {
		canonical[n] = http.CanonicalHeaderKey(n)
	}
}

func headerValue(h http.Header, name string) (string, bool) {
	c, ok := canonical[name]
	if !ok {
		c = http.CanonicalHeaderKey(name)
	}
	if v := h[c]; len(v) > 0 {
		return v[0], true
	}
	for k, v := range h {
		if len(v) > 0 && strings.EqualFold(k, name) {
			return v[0], true
		}
	}
	return "", false
}

// decodedSig holds a signature value decoded both ways; which one is
// meaningful depends on the scheme tried. Decoding is not secret-dependent,
// and the comparison itself is constant-time (hmac.Equal).
type decodedSig struct {
	hex, b64 []byte
	text     string
}

func decodeSig(v string) decodedSig {
	d := decodedSig{text: v}
	if len(v)%2 == 0 {
		if b, err := hex.DecodeString(v); err == nil {
			d.hex = b
		}
	}
	if b, err := base64.StdEncoding.DecodeString(v); err == nil {
		d.b64 = b
	}
	return d
}

// plausible says whether the value has the shape of any signature we know:
// anything else was cut or mangled on the way, which Diagnose says plainly.
func (d decodedSig) plausible() bool {
	return len(d.hex) == sha1.Size || len(d.hex) == sha256.Size || len(d.b64) == sha1.Size || len(d.b64) == sha256.Size
}

// request facts the schemes depend on, computed once per check.
type reqInfo struct {
	r      Request
	isForm bool // Content-Type says form
	isJSON bool // Content-Type says JSON
	isGET  bool
}

// macs computes HMACs for one key without allocating per digest. The
// digests it returns alias its own buffer and are valid until the next call.
type macs struct {
	key      []byte
	h1, h256 hash.Hash
	buf      []byte
	sum      [sha256.Size]byte
}

func (m *macs) hash(use256 bool) hash.Hash {
	h := &m.h1
	newH := sha1.New
	if use256 {
		h, newH = &m.h256, sha256.New
	}
	if *h == nil {
		*h = hmac.New(newH, m.key)
	} else {
		(*h).Reset()
	}
	return *h
}

func (m *macs) raw(use256 bool, url string, body []byte) []byte {
	h := m.hash(use256)
	m.buf = append(m.buf[:0], url...)
	h.Write(m.buf)
	h.Write(body)
	return h.Sum(m.sum[:0])
}

func (m *macs) form(url string, params []Param) []byte {
	h := m.hash(false)
	m.buf = append(m.buf[:0], url...)
	for _, p := range params {
		m.buf = append(m.buf, p.Key...)
		m.buf = append(m.buf, p.Value...)
	}
	h.Write(m.buf)
	return h.Sum(m.sum[:0])
}

func newReqInfo(r Request) *reqInfo {
	ri := &reqInfo{r: r}
	ri.isForm, ri.isJSON, ri.isGET = requestKind(r)
	return ri
}

// requestKind says what the request's Content-Type and method make it.
func requestKind(r Request) (isForm, isJSON, isGET bool) {
	ct := mediaType(r.Header)
	isForm = ct == "application/x-www-form-urlencoded"
	isJSON = ct == "application/json" || strings.HasSuffix(ct, "+json")
	isGET = strings.EqualFold(r.Method, http.MethodGet) || strings.EqualFold(r.Method, http.MethodHead)
	return isForm, isJSON, isGET
}

// mediaType is the Content-Type's media type, lower-cased. It is what
// mime.ParseMediaType returns, without parsing the parameters (and building
// their map) on every webhook: ParseMediaType's media type is the trimmed,
// lower-cased text before ';' whether or not the parameters parse.
func mediaType(h http.Header) string {
	v, _ := headerValue(h, "Content-Type")
	if v == "" {
		return ""
	}
	if !strings.ContainsAny(v, "; \t") {
		return strings.ToLower(v)
	}
	mt, _, _ := strings.Cut(v, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

func joinNotes(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// rawDigest is HMAC(key, url + body): the JSON schemes, SHA-256 when use256.
// It and formDigest compute through macs, so Sign, Verify and Diagnose share
// one definition of what is signed.
func rawDigest(use256 bool, key, url string, body []byte) []byte {
	return (&macs{key: []byte(key)}).raw(use256, url, body)
}

// formDigest is HMAC-SHA1(key, url + k1 + v1 + k2 + v2 ...) over params in
// the order given: the Compatibility form scheme once params are sorted.
func formDigest(key, url string, params []Param) []byte {
	return (&macs{key: []byte(key)}).form(url, params)
}

func bodyHashMatches(wantHex string, body []byte) bool {
	want, err := hex.DecodeString(strings.TrimSpace(wantHex))
	if err != nil {
		return false
	}
	got := sha256.Sum256(body)
	return hmac.Equal(want, got[:])
}
