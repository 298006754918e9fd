package signature

// The verification path as it was before Verifier: kept here, unchanged but
// for names, as the reference the equivalence tests hold Verifier to.

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"fmt"
	"hash"
	"mime"
	"net/http"
	"slices"
	"strings"
)

// request facts the schemes depend on, computed once per check.
type refReqInfo struct {
	r         Request
	isForm    bool // Content-Type says form
	isJSON    bool // Content-Type says JSON
	isGET     bool
	params    []Param // body parameters (form posts only)
	malformed bool
	parsed    bool
	urlList   []string
	mac       *refMacs
}

// urls returns the URL and its default-port twin, computed once.
func (ri *refReqInfo) urls() []string {
	if ri.urlList == nil {
		ri.urlList = urlForms(ri.r.URL)
	}
	return ri.urlList
}

// refMacs returns the request's reusable HMAC state for key.
func (ri *refReqInfo) refMacs(key string) *refMacs {
	if ri.mac == nil || ri.mac.keyStr != key {
		ri.mac = &refMacs{keyStr: key, key: []byte(key)}
	}
	return ri.mac
}

// refMacs computes HMACs for one key without allocating per digest: Verify
// runs on every webhook, several digests each. The digests it returns alias
// its own buffer and are valid until the next call.
type refMacs struct {
	keyStr   string
	key      []byte
	h1, h256 hash.Hash
	buf      []byte
	sum      [sha256.Size]byte
}

func (m *refMacs) hash(use256 bool) hash.Hash {
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

func (m *refMacs) raw(use256 bool, url string, body []byte) []byte {
	h := m.hash(use256)
	m.buf = append(m.buf[:0], url...)
	h.Write(m.buf)
	h.Write(body)
	return h.Sum(m.sum[:0])
}

func (m *refMacs) form(url string, params []Param) []byte {
	h := m.hash(false)
	m.buf = append(m.buf[:0], url...)
	for _, p := range params {
		m.buf = append(m.buf, p.Key...)
		m.buf = append(m.buf, p.Value...)
	}
	h.Write(m.buf)
	return h.Sum(m.sum[:0])
}

func newRefReqInfo(r Request) *refReqInfo {
	ri := &refReqInfo{r: r}
	ct := refMediaType(r.Header)
	ri.isForm = ct == "application/x-www-form-urlencoded"
	ri.isJSON = ct == "application/json" || strings.HasSuffix(ct, "+json")
	ri.isGET = strings.EqualFold(r.Method, http.MethodGet) || strings.EqualFold(r.Method, http.MethodHead)
	return ri
}

// bodyParams parses the body as a form once.
func (ri *refReqInfo) bodyParams() []Param {
	if !ri.parsed {
		ri.params, ri.malformed = ParseForm(string(ri.r.Body))
		ri.parsed = true
	}
	return ri.params
}

// formWithParams says whether the form scheme's parameters come from the
// body: a POST whose body is (or may be) form-encoded.
func (ri *refReqInfo) formWithParams() bool {
	return !ri.isGET && !ri.isJSON && len(ri.r.Body) > 0
}

// Verify checks every signature header on r against key with every scheme
// this package knows (docs/exchange.md lists them). An empty key gives StatusUnchecked; no signature header
// gives StatusMissing. When several signature headers are present, one that
// verifies makes the request valid and the Note names any that did not.
func refVerify(key string, r Request) Verdict {
	sigs := refSignatureHeaders(r.Header)
	if len(sigs) == 0 {
		return Verdict{Status: StatusMissing}
	}
	if key == "" {
		return Verdict{Status: StatusUnchecked, Header: sigs[0].name}
	}
	ri := newRefReqInfo(r)
	var ok *Verdict
	var failed []string
	for _, s := range sigs {
		v, good := refCheckHeader(key, ri, s)
		if !good {
			failed = append(failed, s.name)
			continue
		}
		if ok == nil {
			ok = &v
		}
	}
	if ok == nil {
		return Verdict{Status: StatusInvalid, Header: sigs[0].name}
	}
	if len(failed) > 0 {
		ok.Note = joinNotes(ok.Note, fmt.Sprintf("%s does not match although %s does", strings.Join(failed, " and "), ok.Header))
	}
	return *ok
}

// refCheckHeader tries the schemes that may travel in s's header.
func refCheckHeader(key string, ri *refReqInfo, s sigHeader) (Verdict, bool) {
	d := decodeSig(s.value)
	if s.value != strings.ToLower(s.value) {
		d.hex = nil // uppercase hex is not what SignalWire sends, nor what web-api accepts
	}
	r := ri.r
	urls := ri.urls()
	m := ri.refMacs(key)
	valid := func(scheme Scheme, u, note string) (Verdict, bool) {
		if u != r.URL {
			note = joinNotes(portNote(r.URL, u), note)
		}
		return Verdict{Status: StatusValid, Scheme: scheme, Header: s.name, URL: u, Note: note}, true
	}
	if s.name == HeaderSignalWireSHA256 {
		if len(d.hex) == sha256.Size && hmac.Equal(d.hex, m.raw(true, r.URL, r.Body)) {
			return valid(SchemeJSONSHA256, r.URL, "")
		}
		return Verdict{}, false
	}
	if len(d.hex) == sha1.Size && !ri.isForm && !ri.isGET && hmac.Equal(d.hex, m.raw(false, r.URL, r.Body)) {
		// The exact URL only, as @signalwire/web-api checks JSON.
		return valid(SchemeJSONSHA1, r.URL, "")
	}
	if len(d.hex) == sha1.Size && !ri.isForm && !ri.isGET {
		if full, shown, ok := credentialURL(r); ok && hmac.Equal(d.hex, m.raw(false, full, r.Body)) {
			return Verdict{Status: StatusValid, Scheme: SchemeJSONSHA1, Header: s.name, URL: shown, Note: CredentialNote}, true
		}
	}
	if len(d.b64) != sha1.Size {
		return Verdict{}, false
	}
	if want, ok := BodySHA256(r.URL); ok {
		// The URL signs the body through its hash; both must hold.
		if !bodyHashMatches(want, r.Body) {
			return Verdict{}, false
		}
		for _, u := range urls {
			if hmac.Equal(d.b64, m.form(u, nil)) {
				return valid(SchemeFormBodySHA256, u, "")
			}
		}
		return Verdict{}, false
	}
	if ri.formWithParams() {
		params := ri.bodyParams()
		if len(params) > 0 {
			var note string
			if ri.malformed {
				note = "the form body has malformed %-escapes; they were taken as raw text"
			}
			sorted := sortedParams(params)
			for _, u := range urls {
				if hmac.Equal(d.b64, m.form(u, sorted)) {
					return valid(SchemeForm, u, note)
				}
			}
			if vs := valueSortedParams(params); !slices.Equal(vs, sorted) {
				for _, u := range urls {
					if hmac.Equal(d.b64, m.form(u, vs)) {
						return valid(SchemeForm, u, joinNotes(note, "repeated parameters were signed with their values sorted, not in submission order"))
					}
				}
			}
		}
	}
	if ri.isJSON && !ri.isGET && len(r.Body) > 0 {
		if params, ok := jsonFormParams(r.Body); ok {
			for _, u := range urls {
				if hmac.Equal(d.b64, m.form(u, params)) {
					return valid(SchemeForm, u, JSONFormNote)
				}
			}
		}
	}
	if len(r.Body) > 0 {
		return Verdict{}, false // a URL-only signature signs no body
	}
	for _, u := range urls {
		if hmac.Equal(d.b64, m.form(u, nil)) {
			return valid(SchemeForm, u, "")
		}
	}
	return Verdict{}, false
}

// refSignatureHeaders returns the signature headers present, SHA-1 ones first
// (the one SignalWire always sends), matching names case-insensitively so a
// header map built by hand with non-canonical keys still works.
func refSignatureHeaders(h http.Header) []sigHeader {
	var out []sigHeader
	for _, name := range []string{HeaderSignalWire, HeaderTwilio, HeaderSignalWireSHA256} {
		if v, ok := refHeaderValue(h, name); ok && strings.TrimSpace(v) != "" {
			out = append(out, sigHeader{name: name, value: strings.TrimSpace(v)})
		}
	}
	return out
}

func refHeaderValue(h http.Header, name string) (string, bool) {
	c := http.CanonicalHeaderKey(name)
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

func refMediaType(h http.Header) string {
	v, _ := refHeaderValue(h, "Content-Type")
	if v == "" {
		return ""
	}
	if !strings.ContainsAny(v, "; \t") {
		return strings.ToLower(v)
	}
	if mt, _, err := mime.ParseMediaType(v); err == nil {
		return mt
	}
	mt, _, _ := strings.Cut(v, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}
