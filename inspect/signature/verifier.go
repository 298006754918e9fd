package signature

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Verifier checks signatures made with one key. listen checks every webhook
// with the same key, so a Verifier keeps what a check needs between checks —
// HMAC state with the key already hashed in, and scratch buffers for the
// message and the decoded form — instead of rebuilding it per request, which
// made signature checking the largest per-webhook cost after the network.
// It is safe for concurrent use; its verdicts are exactly Verify's.
type Verifier struct {
	pool sync.Pool // of *checker, all for the same key
}

// NewVerifier returns a Verifier for key. An empty key is allowed: every
// signed request is then StatusUnchecked, as with Verify.
func NewVerifier(key string) *Verifier {
	v := &Verifier{}
	v.pool.New = func() any { return newChecker(key) }
	return v
}

// Verify checks every signature header on r (see the package-level Verify).
func (v *Verifier) Verify(r Request) Verdict {
	c := v.pool.Get().(*checker)
	verdict := c.verify(r)
	c.release()
	v.pool.Put(c)
	return verdict
}

// Verify checks every signature header on r against key with every scheme
// this package knows (docs/exchange.md lists them). An empty key gives StatusUnchecked; no signature header
// gives StatusMissing. When several signature headers are present, one that
// verifies makes the request valid and the Note names any that did not.
// Checking many requests with one key is cheaper through a Verifier.
func Verify(key string, r Request) Verdict {
	return newChecker(key).verify(r)
}

// maxKeptBuffer bounds the scratch a pooled checker keeps: a rare huge form
// body must not pin its size in memory for the rest of the session.
const maxKeptBuffer = 64 << 10

// checker is one check's state for one key; a Verifier pools them. Between
// checks it keeps the HMAC state and its buffers, whose contents the next
// check overwrites; the request itself is let go (release).
type checker struct {
	macs // the key, HMAC state (created on first use, then Reset), buf: the message being MACed

	dec     []byte // the form body, decoded; spans index into it
	params  []span // in submission order
	sorted  []span // by key, stable
	vsorted []span // by key then value
	sigDec  []byte // base64-decoded signature
	hexDec  [sha256.Size]byte
	variant []byte // the URL's default-port twin
	sigs    [len(sigHeaderNames)]sigHeader

	// per check
	r                     Request
	isForm, isJSON, isGET bool
	variantState          int8 // 0 not computed, 1 present, -1 none
	parsed, malformed     bool
}

func newChecker(key string) *checker { return &checker{macs: macs{key: []byte(key)}} }

// release drops what the check referenced and any buffer grown too large.
func (c *checker) release() {
	c.r = Request{}
	c.sigs = [len(sigHeaderNames)]sigHeader{}
	if cap(c.buf) > maxKeptBuffer {
		c.buf = nil
	}
	if cap(c.dec) > maxKeptBuffer {
		c.dec = nil
	}
	if cap(c.params) > maxKeptBuffer/16 {
		c.params, c.sorted, c.vsorted = nil, nil, nil
	}
	if cap(c.sigDec) > maxKeptBuffer {
		c.sigDec = nil
	}
}

func (c *checker) verify(r Request) Verdict {
	sigs := signatureHeadersInto(&c.sigs, r.Header)
	if len(sigs) == 0 {
		return Verdict{Status: StatusMissing}
	}
	if len(c.key) == 0 {
		return Verdict{Status: StatusUnchecked, Header: sigs[0].name}
	}
	c.r = r
	if need := 2*len(r.URL) + len(r.Body) + 16; cap(c.buf) < need && need <= maxKeptBuffer {
		c.buf = make([]byte, 0, need) // one allocation, not a doubling series
	}
	c.isForm, c.isJSON, c.isGET = requestKind(r)
	c.variantState, c.parsed, c.malformed = 0, false, false
	var ok Verdict
	found := false
	var failed []string
	for _, s := range sigs {
		v, good := c.checkHeader(s)
		if !good {
			failed = append(failed, s.name)
			continue
		}
		if !found {
			ok, found = v, true
		}
	}
	if !found {
		return Verdict{Status: StatusInvalid, Header: sigs[0].name}
	}
	if len(failed) > 0 {
		ok.Note = joinNotes(ok.Note, fmt.Sprintf("%s does not match although %s does", strings.Join(failed, " and "), ok.Header))
	}
	return ok
}

// appendURL appends URL variant i to b: 0 is the URL as received, 1 its
// default-port twin (urlForms' order). ok is false when there is no such
// variant. The twin is built once per check, and as bytes: a string is made
// only for a verdict that names it.
func (c *checker) appendURL(b []byte, i int) ([]byte, bool) {
	if i == 0 {
		return append(b, c.r.URL...), true
	}
	if c.variantState == 0 {
		var ok bool
		c.variant, ok = appendPortVariant(c.variant[:0], c.r.URL)
		c.variantState = -1
		if ok {
			c.variantState = 1
		}
	}
	if c.variantState < 0 {
		return b, false
	}
	return append(b, c.variant...), true
}

func (c *checker) urlString(i int) string {
	if i == 0 {
		return c.r.URL
	}
	return string(c.variant)
}

// rawMatch reports whether the HMAC over the URL as received + body is
// want. Only that URL: @signalwire/web-api's validateRequest compares a
// JSON signature with the one for the exact URL it is given (the port
// variants are the compatibility API's, for form signatures), so a JSON
// signature made for the URL's port twin fails the developer's check.
func (c *checker) rawMatch(use256 bool, want []byte) (int, bool) {
	for i := range 1 {
		var ok bool
		if c.buf, ok = c.appendURL(c.buf[:0], i); !ok {
			break
		}
		h := c.hash(use256)
		h.Write(c.buf)
		h.Write(c.r.Body)
		if hmac.Equal(want, h.Sum(c.sum[:0])) {
			return i, true
		}
	}
	return 0, false
}

// formMatch finds the URL variant whose HMAC-SHA1 over URL + k1 + v1 + ...
// (params in the order given; none for the URL alone) is want.
func (c *checker) formMatch(params []span, want []byte) (int, bool) {
	for i := range 2 {
		var ok bool
		if c.buf, ok = c.appendURL(c.buf[:0], i); !ok {
			break
		}
		for _, p := range params {
			c.buf = append(c.buf, c.dec[p.k0:p.k1]...)
			c.buf = append(c.buf, c.dec[p.v0:p.v1]...)
		}
		h := c.hash(false)
		h.Write(c.buf)
		if hmac.Equal(want, h.Sum(c.sum[:0])) {
			return i, true
		}
	}
	return 0, false
}

// formMatchParams is formMatch for parameters that are not spans of the
// form body.
func (c *checker) formMatchParams(params []Param, want []byte) (int, bool) {
	for i := range 2 {
		var ok bool
		if c.buf, ok = c.appendURL(c.buf[:0], i); !ok {
			break
		}
		for _, p := range params {
			c.buf = append(c.buf, p.Key...)
			c.buf = append(c.buf, p.Value...)
		}
		h := c.hash(false)
		h.Write(c.buf)
		if hmac.Equal(want, h.Sum(c.sum[:0])) {
			return i, true
		}
	}
	return 0, false
}

// decodeSig decodes s.value as hex and base64 into the checker's buffers,
// as decodeSig does, but only as far as a check can use: a hex value
// matters only when it is a SHA-1 or SHA-256 digest long, and only in
// lowercase — SignalWire sends lowercase, and @signalwire/web-api compares
// the hex text exactly, so an uppercase one fails the developer's check.
func (c *checker) decodeSig(v string) (hexSig, b64Sig []byte) {
	if len(v) == 2*sha1.Size || len(v) == 2*sha256.Size {
		hexSig = c.hexDec[:len(v)/2]
		for i := range hexSig {
			if !isLowerHex(v[2*i]) || !isLowerHex(v[2*i+1]) {
				hexSig = nil
				break
			}
			hexSig[i] = unhex(v[2*i])<<4 | unhex(v[2*i+1])
		}
	}
	c.buf = append(c.buf[:0], v...) // free until the first digest
	n := base64.StdEncoding.DecodedLen(len(v))
	c.sigDec = slices.Grow(c.sigDec[:0], n)[:n]
	if n, err := base64.StdEncoding.Decode(c.sigDec, c.buf); err == nil {
		b64Sig = c.sigDec[:n]
	}
	return hexSig, b64Sig
}

// checkHeader tries the schemes that may travel in s's header.
func (c *checker) checkHeader(s sigHeader) (Verdict, bool) {
	hexSig, b64Sig := c.decodeSig(s.value)
	valid := func(scheme Scheme, i int, note string) (Verdict, bool) {
		u := c.urlString(i)
		if i != 0 {
			note = joinNotes(portNote(c.r.URL, u), note)
		}
		return Verdict{Status: StatusValid, Scheme: scheme, Header: s.name, URL: u, Note: note}, true
	}
	if s.name == HeaderSignalWireSHA256 {
		if len(hexSig) == sha256.Size {
			if i, ok := c.rawMatch(true, hexSig); ok {
				return valid(SchemeJSONSHA256, i, "")
			}
		}
		return Verdict{}, false
	}
	// SignalWire signs form posts and GETs with the base64 form scheme, and
	// the compatibility API's validator, which a GET's handler uses, tries
	// no other: hex over a GET's URL is the wrong scheme there.
	if len(hexSig) == sha1.Size && !c.isForm && !c.isGET {
		if i, ok := c.rawMatch(false, hexSig); ok {
			return valid(SchemeJSONSHA1, i, "")
		}
		if full, shown, ok := credentialURL(c.r); ok {
			h := c.hash(false)
			h.Write([]byte(full))
			h.Write(c.r.Body)
			if hmac.Equal(hexSig, h.Sum(c.sum[:0])) {
				return Verdict{Status: StatusValid, Scheme: SchemeJSONSHA1, Header: s.name, URL: shown, Note: CredentialNote}, true
			}
		}
	}
	if len(b64Sig) != sha1.Size {
		return Verdict{}, false
	}
	if want, ok := BodySHA256(c.r.URL); ok {
		// The URL signs the body through its hash; both must hold.
		if !bodyHashMatches(want, c.r.Body) {
			return Verdict{}, false
		}
		if i, ok := c.formMatch(nil, b64Sig); ok {
			return valid(SchemeFormBodySHA256, i, "")
		}
		return Verdict{}, false
	}
	if !c.isGET && !c.isJSON && len(c.r.Body) > 0 {
		c.parseBody()
		if len(c.params) > 0 {
			var note string
			if c.malformed {
				note = "the form body has malformed %-escapes; they were taken as raw text"
			}
			if i, ok := c.formMatch(c.sorted, b64Sig); ok {
				return valid(SchemeForm, i, note)
			}
			if c.valueSort() {
				if i, ok := c.formMatch(c.vsorted, b64Sig); ok {
					return valid(SchemeForm, i, joinNotes(note, "repeated parameters were signed with their values sorted, not in submission order"))
				}
			}
		}
	}
	if c.isJSON && !c.isGET && len(c.r.Body) > 0 {
		// @signalwire/web-api's fallback; rare, so not worth a parser of
		// our own that would not allocate.
		if params, ok := jsonFormParams(c.r.Body); ok {
			if i, ok := c.formMatchParams(params, b64Sig); ok {
				return valid(SchemeForm, i, JSONFormNote)
			}
		}
	}
	// A signature over the URL alone signs no body: with one, it is a
	// captured GET's (or empty POST's) signature replayed with any body, and
	// the official validators, computing over URL + body, reject it too.
	// Diagnose names this case.
	if len(c.r.Body) > 0 {
		return Verdict{}, false
	}
	if i, ok := c.formMatch(nil, b64Sig); ok {
		return valid(SchemeForm, i, "")
	}
	return Verdict{}, false
}

// span is one form parameter as offsets into checker.dec: ParseForm without
// a string per key and value.
type span struct{ k0, k1, v0, v1 int }

// parseBody parses the body as ParseForm does, once per check, into
// c.params, and sorts a copy into c.sorted as sortedParams does.
func (c *checker) parseBody() {
	if c.parsed {
		return
	}
	c.parsed = true
	c.dec = slices.Grow(c.dec[:0], len(c.r.Body))
	c.params = slices.Grow(c.params[:0], bytes.Count(c.r.Body, []byte{'&'})+1)
	c.malformed = false
	s := c.r.Body
	for len(s) > 0 {
		var seg []byte
		if i := bytes.IndexByte(s, '&'); i >= 0 {
			seg, s = s[:i], s[i+1:]
		} else {
			seg, s = s, nil
		}
		if len(seg) == 0 {
			continue
		}
		k, v, _ := cutByte(seg, '=')
		var p span
		var bad1, bad2 bool
		p.k0 = len(c.dec)
		c.dec, bad1 = appendFormUnescaped(c.dec, k)
		p.k1, p.v0 = len(c.dec), len(c.dec)
		c.dec, bad2 = appendFormUnescaped(c.dec, v)
		p.v1 = len(c.dec)
		c.malformed = c.malformed || bad1 || bad2
		c.params = append(c.params, p)
	}
	c.sorted = append(c.sorted[:0], c.params...)
	if !slices.IsSortedFunc(c.sorted, c.byKey) {
		slices.SortStableFunc(c.sorted, c.byKey)
	}
}

func (c *checker) pkey(p span) []byte { return c.dec[p.k0:p.k1] }
func (c *checker) pval(p span) []byte { return c.dec[p.v0:p.v1] }

func (c *checker) byKey(a, b span) int { return bytes.Compare(c.pkey(a), c.pkey(b)) }

func (c *checker) byKeyValue(a, b span) int {
	if n := bytes.Compare(c.pkey(a), c.pkey(b)); n != 0 {
		return n
	}
	return bytes.Compare(c.pval(a), c.pval(b))
}

// valueSort fills c.vsorted as valueSortedParams orders the parameters and
// says whether that order differs from c.sorted — only possible with a
// repeated key. Sorting c.sorted rather than the submission order gives the
// same sequence: the sort is stable, and parameters it keeps in input order
// are equal in key and value.
func (c *checker) valueSort() bool {
	repeated := false
	for i := 1; i < len(c.sorted); i++ {
		if bytes.Equal(c.pkey(c.sorted[i-1]), c.pkey(c.sorted[i])) {
			repeated = true
			break
		}
	}
	if !repeated {
		return false
	}
	c.vsorted = append(c.vsorted[:0], c.sorted...)
	slices.SortStableFunc(c.vsorted, c.byKeyValue)
	for i := range c.vsorted {
		if !bytes.Equal(c.pkey(c.vsorted[i]), c.pkey(c.sorted[i])) || !bytes.Equal(c.pval(c.vsorted[i]), c.pval(c.sorted[i])) {
			return true
		}
	}
	return false
}

// cutByte is bytes.Cut for one separator byte.
func cutByte(s []byte, sep byte) (before, after []byte, found bool) {
	if i := bytes.IndexByte(s, sep); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, nil, false
}
