package signature

import (
	"bytes"
	"crypto/hmac"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// DiagnoseOptions widens the search for the URL the signer really used.
type DiagnoseOptions struct {
	// LocalURL is the URL the request reached locally (e.g.
	// http://localhost:3000/voice); handlers behind a tunnel often rebuild
	// this one instead of the public URL.
	LocalURL string
	// PublicURLFlag, when set, is the flag that names the public URL
	// (swhook's --public-url), given when that URL is not known. When
	// nothing matches and the URL was rebuilt from the X-Forwarded-Host/-Proto
	// a proxy set, or is the loopback address the request reached with no
	// such headers, the likelier cause is a URL other than the one SignalWire
	// signed, not the key — and this flag is the fix.
	PublicURLFlag string
}

// Diagnosis explains a failed signature.
type Diagnosis struct {
	// Sentence is one plain sentence a developer can act on, e.g.
	// "valid for http://… — your handler rebuilds the URL without X-Forwarded-Proto".
	Sentence string
	// URL and Scheme are the variant that would have matched, if any.
	URL    string
	Scheme Scheme
	Found  bool
}

// Diagnose tries the variants that real handlers get wrong and says which
// one would have matched; if none does, it says the key is probably wrong.
// It is the slow path (hundreds of HMACs at most), run only when Verify
// fails. The sentence never contains the key; URLs in it have control
// characters percent-encoded.
func Diagnose(key string, r Request, opts DiagnoseOptions) Diagnosis {
	v := Verify(key, r)
	switch v.Status {
	case StatusValid:
		s := fmt.Sprintf("the signature is valid for %s (%s)", safe(v.URL), v.Scheme.Describe())
		if v.Note != "" {
			s += "; note: " + v.Note
		}
		return Diagnosis{Sentence: s, URL: v.URL, Scheme: v.Scheme, Found: true}
	case StatusMissing:
		return Diagnosis{Sentence: "the request carries no " + HeaderSignalWire + " or " + HeaderTwilio +
			" header — it was not signed by SignalWire, or a proxy on the way dropped the header"}
	case StatusUnchecked:
		return Diagnosis{Sentence: "there is no signing key to check the signature with"}
	}
	sigs := signatureHeaders(r.Header)
	s := sigs[0]
	d := decodeSig(s.value)
	if !d.plausible() {
		return Diagnosis{Sentence: fmt.Sprintf("the %s value is not a signature (%d characters, where SignalWire sends 28 base64 or 40 hex characters) — it was cut or altered on the way",
			s.name, utf8.RuneCountInString(s.value))}
	}
	if low := strings.ToLower(s.value); low != s.value {
		lr := r
		lr.Header = r.Header.Clone()
		lr.Header.Set(s.name, low)
		if v := Verify(key, lr); v.Valid() {
			return Diagnosis{Sentence: fmt.Sprintf("the signature in %s is valid in lowercase — SignalWire sends lowercase hex and @signalwire/web-api compares the text exactly: something on the way (or your test) changed its case",
				s.name), URL: v.URL, Scheme: v.Scheme, Found: true}
		}
	}
	dg := &diagnoser{key: key, ri: newReqInfo(r), sig: d, header: s.name}
	if res, ok := dg.run(opts); ok {
		res.Found = true
		return res
	}
	if opts.PublicURLFlag != "" && forwarded(r.Header) {
		return Diagnosis{Sentence: fmt.Sprintf("the signature in %s matches no variant of %s, the URL rebuilt from the X-Forwarded-Host/-Proto a proxy set: pass %s with the URL SignalWire sends to (the one in its dashboard), or check the signing key",
			s.name, safe(r.URL), opts.PublicURLFlag)}
	}
	if opts.PublicURLFlag != "" && loopbackURL(r.URL) {
		return Diagnosis{Sentence: fmt.Sprintf("the signature in %s matches no variant of %s, the local address it reached with no X-Forwarded-Host/-Proto: signed for a different URL? pass %s with the URL SignalWire sends to (the one in its dashboard); else check the signing key",
			s.name, safe(r.URL), opts.PublicURLFlag)}
	}
	return Diagnosis{Sentence: fmt.Sprintf("the signature in %s matches no variant of the URL, body or scheme: the signing key is probably not the one SignalWire signed with — copy the Signing Key from the API page of the SignalWire space that sent it",
		s.name)}
}

// probe is one way to compute a signature: a scheme (or a wrong scheme a
// handler might use) and how its digest is encoded.
type probe struct {
	scheme Scheme
	hex    bool // hex-encoded; base64 otherwise
	digest func(key, u string) []byte
}

type diagnoser struct {
	key    string
	ri     *reqInfo
	sig    decodedSig
	header string
}

// match tries p over u and its default-port twin; it returns the URL that
// matched.
func (dg *diagnoser) match(key, u string, p probe) (string, bool) {
	want := dg.sig.b64
	if p.hex {
		want = dg.sig.hex
	}
	if len(want) == 0 {
		return "", false
	}
	for _, uu := range urlForms(u) {
		if hmac.Equal(want, p.digest(key, uu)) {
			return uu, true
		}
	}
	return "", false
}

// legit returns the probes of the schemes that may travel in the header for
// this request, computed over body (which may be a variant of the real one).
func (dg *diagnoser) legit(body []byte) []probe {
	if dg.header == HeaderSignalWireSHA256 {
		return []probe{{SchemeJSONSHA256, true, rawProbe(true, body)}}
	}
	var ps []probe
	if !dg.ri.isForm && !dg.ri.isGET {
		ps = append(ps, probe{SchemeJSONSHA1, true, rawProbe(false, body)})
	}
	if !dg.ri.isGET && !dg.ri.isJSON && len(body) > 0 {
		params, _ := ParseForm(string(body))
		if len(params) > 0 {
			ps = append(ps, probe{SchemeForm, false, formProbe(sortedParams(params))})
		}
	}
	if len(body) == 0 {
		// A URL-only signature signs no body: it can only be right for none.
		ps = append(ps, probe{SchemeForm, false, formProbe(nil)})
	}
	return ps
}

// URLOnlyHint is Diagnose's sentence for a request with a body whose
// signature covers only the URL: a GET's or an empty POST's signature,
// captured and sent again with a body of the sender's choosing.
const URLOnlyHint = "the signature covers only the URL; the body is not signed"

func rawProbe(use256 bool, body []byte) func(key, u string) []byte {
	return func(key, u string) []byte { return rawDigest(use256, key, u, body) }
}

func formProbe(params []Param) func(key, u string) []byte {
	return func(key, u string) []byte { return formDigest(key, u, params) }
}

func (dg *diagnoser) found(u string, p probe, sentence string) (Diagnosis, bool) {
	scheme := p.scheme
	if _, ok := BodySHA256(u); ok && scheme == SchemeForm {
		scheme = SchemeFormBodySHA256
	}
	return Diagnosis{Sentence: sentence, URL: u, Scheme: scheme}, true
}

func (dg *diagnoser) run(opts DiagnoseOptions) (Diagnosis, bool) {
	r := dg.ri.r
	given := r.URL

	// A bodySHA256 URL whose signature holds while the body changed.
	if want, ok := BodySHA256(given); ok && dg.header != HeaderSignalWireSHA256 {
		if u, ok := dg.match(dg.key, given, probe{SchemeFormBodySHA256, false, formProbe(nil)}); ok {
			for _, bv := range bodyVariants(r.Body, dg.ri) {
				if bodyHashMatches(want, bv.body) {
					return Diagnosis{Sentence: fmt.Sprintf("the signature is valid for the URL, but its bodySHA256 is the hash of %s — the body was changed after signing: use the raw request bytes", bv.what),
						URL: u, Scheme: SchemeFormBodySHA256}, true
				}
			}
			return Diagnosis{Sentence: "the signature is valid for the URL, but the body is not the one its bodySHA256 names — the body was changed after signing (re-serialised, cut, or a newline added)",
				URL: u, Scheme: SchemeFormBodySHA256}, true
		}
	}

	// A signature over the URL alone, sent with a body it does not sign.
	if len(r.Body) > 0 && dg.header != HeaderSignalWireSHA256 {
		if u, ok := dg.match(dg.key, given, probe{SchemeForm, false, formProbe(nil)}); ok {
			return Diagnosis{Sentence: URLOnlyHint, URL: u, Scheme: SchemeForm}, true
		}
	}

	// The probes over the body as received, the same for every key and URL
	// variant below: built once rather than per variant.
	probes := dg.legit(r.Body)

	// A JSON signature for the URL's port twin: form signatures may be
	// checked that way, but @signalwire/web-api checks JSON ones against
	// the exact URL only.
	if pv, ok := portVariant(given); ok && len(dg.sig.hex) > 0 {
		for _, p := range probes {
			if p.hex && hmac.Equal(dg.sig.hex, p.digest(dg.key, pv)) {
				return dg.found(pv, p, fmt.Sprintf("valid for %s, the URL with its port %s — a JSON signature covers the exact URL SignalWire called (@signalwire/web-api checks no other form): rebuild the URL as it is set in SignalWire, port included or left out as there", safe(pv), portChange(given, pv)))
			}
		}
	}

	// A key with stray whitespace, read from a file or an env var.
	if tk := strings.TrimSpace(dg.key); tk != dg.key && tk != "" {
		for _, p := range probes {
			if u, ok := dg.match(tk, given, p); ok {
				return dg.found(u, p, "valid once the key's leading or trailing whitespace is removed — the key you use has a stray space or newline (from a file or an environment variable?): trim it")
			}
		}
	}

	// The URL the signer used differs from the one checked.
	for _, uv := range urlVariants(given, opts.LocalURL) {
		for _, p := range probes {
			if u, ok := dg.match(dg.key, uv.url, p); ok {
				return dg.found(u, p, fmt.Sprintf("valid for %s — %s", safe(u), uv.why))
			}
		}
	}

	// The body was changed or re-serialised.
	for _, bv := range bodyVariants(r.Body, dg.ri) {
		for _, p := range dg.legit(bv.body) {
			if u, ok := dg.match(dg.key, given, p); ok {
				return dg.found(u, p, fmt.Sprintf("valid for %s — the body was changed: sign and check the raw request bytes exactly as received", bv.what))
			}
		}
	}

	// The right inputs with the wrong scheme.
	for _, w := range dg.wrongSchemes() {
		if u, ok := dg.match(dg.key, w.url, w.p); ok {
			return Diagnosis{Sentence: w.why, URL: u, Scheme: w.p.scheme}, true
		}
	}
	return Diagnosis{}, false
}

type wrongScheme struct {
	url string
	p   probe
	why string
}

// wrongSchemes lists the mix-ups between schemes that handlers make: the
// right message with the wrong hash, encoding or header, and form
// parameters gathered or decoded differently.
func (dg *diagnoser) wrongSchemes() []wrongScheme {
	r := dg.ri.r
	u := r.URL
	var ws []wrongScheme
	add := func(url string, p probe, why string) { ws = append(ws, wrongScheme{url, p, why}) }
	if dg.header == HeaderSignalWireSHA256 {
		add(u, probe{SchemeJSONSHA1, true, rawProbe(false, r.Body)},
			"valid as hex HMAC-SHA1 — but "+HeaderSignalWireSHA256+" carries HMAC-SHA256; a SHA-1 signature belongs in "+HeaderSignalWire)
		add(u, probe{"", false, rawProbe(true, r.Body)},
			"valid as HMAC-SHA256 of the URL and raw body but base64-encoded — SignalWire sends it as lowercase hex")
		return ws
	}
	add(u, probe{SchemeJSONSHA256, true, rawProbe(true, r.Body)},
		"valid as hex HMAC-SHA256 — but "+dg.header+" carries HMAC-SHA1; a SHA-256 signature belongs in "+HeaderSignalWireSHA256)
	if dg.ri.isGET {
		add(u, probe{SchemeJSONSHA1, true, rawProbe(false, r.Body)},
			"valid as hex HMAC-SHA1 of the URL (the JSON scheme), but this is a "+r.Method+", which SignalWire signs with the base64 form scheme over the URL — signer and checker use different schemes (swhook sign --method GET signs a GET)")
	}
	if dg.ri.isForm {
		add(u, probe{SchemeJSONSHA1, true, rawProbe(false, r.Body)},
			"valid as hex HMAC-SHA1 of the URL and raw body (the JSON scheme), but this is a form post, which SignalWire signs with the base64 form scheme — signer and checker use different schemes")
	}
	if len(r.Body) > 0 {
		add(u, probe{"", false, rawProbe(false, r.Body)},
			"valid as base64 HMAC-SHA1 of the URL and raw body, which mixes the two schemes — JSON webhooks are signed as lowercase hex of the URL and raw body, form posts as base64 of the URL and sorted parameters")
	}
	params, _ := ParseForm(string(r.Body))
	formBody := !dg.ri.isGET && !dg.ri.isJSON && len(params) > 0
	if formBody {
		add(u, probe{SchemeForm, true, formProbe(sortedParams(params))},
			"valid as the form scheme but hex-encoded — form signatures are base64")
		raw := rawParams(string(r.Body))
		if bytes.IndexByte(r.Body, '+') >= 0 {
			// SignalWire writes a + in a value as %2B and signs the +; a
			// literal + that only verifies as a + was %2B when it left
			// SignalWire: something on the way re-encoded the body. Tried
			// before "left %-encoded", which matches too when the body has
			// no other escape and would blame the checker.
			add(u, probe{SchemeForm, false, formProbe(sortedParams(plusKeptParams(raw)))},
				"valid when each literal + in the body is read as a + — the body was re-encoded on the way (a proxy or framework turned %2B into +, which form encoding reads as a space): check the raw bytes SignalWire sent, before anything re-encodes them")
		}
		add(u, probe{SchemeForm, false, formProbe(sortedParams(raw))},
			"valid with the form values left %-encoded — decode each parameter (and + as a space) before concatenating")
		add(u, probe{SchemeForm, false, formProbe(params)},
			"valid with the parameters in their submitted order — sort them by name before concatenating")
		if uu, ok := splitURL(u); ok && uu.query != "" {
			q, _ := ParseForm(uu.query)
			merged := append(append([]Param{}, params...), q...)
			add(u, probe{SchemeForm, false, formProbe(sortedParams(merged))},
				"valid when the query parameters are counted as form parameters too — concatenate only the body's parameters; the query is already in the URL")
		}
	} else if dg.ri.isGET || len(r.Body) == 0 {
		if uu, ok := splitURL(u); ok && uu.query != "" {
			q, _ := ParseForm(uu.query)
			uu.query, uu.hasQuery = "", false
			add(uu.String(), probe{SchemeForm, false, formProbe(sortedParams(q))},
				"valid for the URL without its query plus the query parameters as sorted form parameters — for a GET, sign the full URL, query included, with no parameters")
		}
	}
	return ws
}

// rawParams splits a form without decoding anything.
func rawParams(s string) []Param {
	var out []Param
	for _, seg := range strings.Split(s, "&") {
		if seg == "" {
			continue
		}
		k, v, _ := strings.Cut(seg, "=")
		out = append(out, Param{k, v})
	}
	return out
}

// plusKeptParams decodes %XX but leaves '+' alone (decodeURIComponent's
// behaviour).
func plusKeptParams(raw []Param) []Param {
	out := make([]Param, len(raw))
	for i, p := range raw {
		k, _ := formUnescape(strings.ReplaceAll(p.Key, "+", "%2B"))
		v, _ := formUnescape(strings.ReplaceAll(p.Value, "+", "%2B"))
		out[i] = Param{k, v}
	}
	return out
}

// portChange says how twin differs from given: "removed" or "added".
func portChange(given, twin string) string {
	if u, ok := splitURL(given); ok && (u.hasColon || u.port != "") {
		return "removed"
	}
	return "added"
}

type urlVariant struct {
	url string
	why string
}

// urlVariants lists the URLs a signer or checker may have used instead of
// given, each with the sentence that explains the difference.
func urlVariants(given, local string) []urlVariant {
	var vs []urlVariant
	seen := map[string]bool{given: true}
	if pv, ok := portVariant(given); ok {
		seen[pv] = true
	}
	add := func(u, why string) {
		if u == "" || seen[u] {
			return
		}
		seen[u] = true
		if pv, ok := portVariant(u); ok {
			seen[pv] = true
		}
		vs = append(vs, urlVariant{u, why})
	}
	u, ok := splitURL(given)
	if ok {
		scheme := strings.ToLower(u.scheme)
		switch scheme {
		case "http":
			v := u
			v.scheme = "https"
			if v.port == "80" {
				v.port, v.hasColon = "", false
			}
			add(v.String(), "the URL was checked as http:// but signed as https://: a handler behind a tunnel or proxy must rebuild the URL with X-Forwarded-Proto")
		case "https":
			v := u
			v.scheme = "http"
			if v.port == "443" {
				v.port, v.hasColon = "", false
			}
			add(v.String(), "it was signed for http://, not https://: check against the exact URL configured in SignalWire (or configure the https:// one)")
		}
		if l, ok := splitURL(local); ok && u.port == "" && l.port != "" && l.port != defaultPort(l.scheme) {
			v := u
			v.port, v.hasColon = l.port, true
			add(v.String(), fmt.Sprintf("it was signed with port :%s, which your URL lacks", safe(l.port)))
		}
		if l, ok := splitURL(local); ok && !u.hasQuery && l.query != "" {
			v := u
			v.query, v.hasQuery = l.query, true
			add(v.String(), "it was signed with the query string, which your URL drops: SignalWire signs the full URL, query included")
		}
		switch {
		case u.path == "":
			v := u
			v.path = "/"
			add(v.String(), "the signed URL ends with a slash that yours lacks")
		case strings.HasSuffix(u.path, "/"):
			v := u
			v.path = strings.TrimSuffix(u.path, "/")
			add(v.String(), "the signed URL has no trailing slash, yours adds one")
		default:
			v := u
			v.path = u.path + "/"
			add(v.String(), "the signed URL ends with a slash that yours lacks")
		}
		if u.hasQuery {
			v := u
			v.query, v.hasQuery = "", false
			add(v.String(), "it was signed without the query string: SignalWire signs the full URL, query included, exactly as configured")
			for _, q := range queryVariants(u.query) {
				v := u
				v.query = q
				add(v.String(), "the query string was re-encoded (order, + or %20, escaping): use the query exactly as received")
			}
		}
	}
	if local != "" {
		add(local, "it was signed for the local URL, not the public one SignalWire calls: check against the public URL")
		if l, lok := splitURL(local); lok && ok {
			l.path, l.query, l.hasQuery = u.path, u.query, u.hasQuery
			add(l.String(), "your handler's local address, not the public URL SignalWire calls: rebuild the URL from X-Forwarded-Proto and X-Forwarded-Host, or check against the public URL")
		}
	}
	return vs
}

// queryVariants re-encodes a query the ways frameworks do.
func queryVariants(q string) []string {
	var out []string
	if vals, err := url.ParseQuery(q); err == nil {
		out = append(out, vals.Encode())
	}
	out = append(out, strings.ReplaceAll(q, "+", "%20"), strings.ReplaceAll(q, "%20", "+"))
	if dq, err := url.PathUnescape(q); err == nil {
		out = append(out, dq)
	}
	params, _ := ParseForm(q)
	out = append(out, encodeForm(params))
	return out
}

type bodyVariant struct {
	body []byte
	what string // "the body without its trailing newline"
}

// bodyVariants lists the bodies a handler or an editor produces from the
// real one: a newline added or lost, JSON re-serialised, a form re-encoded.
func bodyVariants(body []byte, ri *reqInfo) []bodyVariant {
	var vs []bodyVariant
	add := func(b []byte, what string) {
		if bytes.Equal(b, body) {
			return
		}
		for _, v := range vs {
			if bytes.Equal(v.body, b) {
				return
			}
		}
		vs = append(vs, bodyVariant{b, what})
	}
	switch {
	case bytes.HasSuffix(body, []byte("\r\n")):
		add(body[:len(body)-2], "the body without its trailing newline (an editor or echo adds one; use printf or --body)")
	case bytes.HasSuffix(body, []byte("\n")):
		add(body[:len(body)-1], "the body without its trailing newline (an editor or echo adds one; use printf or --body)")
	case len(body) > 0:
		add(append(append([]byte{}, body...), '\n'), "the body with a trailing newline")
	}
	if len(body) > 0 && json.Valid(body) {
		var compact bytes.Buffer
		if json.Compact(&compact, body) == nil {
			c := compact.Bytes()
			add(c, "the same JSON written compactly")
			add(spacedJSON(c), "the same JSON re-serialised with \", \" and \": \" separators (Python's json.dumps)")
			for _, ind := range []string{"  ", "    ", "\t"} {
				var b bytes.Buffer
				if json.Indent(&b, c, "", ind) == nil {
					add(b.Bytes(), "the same JSON re-indented")
				}
			}
			var v any
			dec := json.NewDecoder(bytes.NewReader(c))
			dec.UseNumber()
			if dec.Decode(&v) == nil {
				var b bytes.Buffer
				enc := json.NewEncoder(&b)
				enc.SetEscapeHTML(false)
				if enc.Encode(v) == nil {
					add(bytes.TrimSuffix(b.Bytes(), []byte("\n")), "the same JSON with its keys sorted")
				}
			}
		}
	} else if len(body) > 0 && !ri.isJSON {
		if params, _ := ParseForm(string(body)); len(params) > 0 {
			add([]byte(encodeForm(sortedParams(params))), "the form re-encoded with its parameters sorted")
			add([]byte(encodeForm(params)), "the form re-encoded")
		}
	}
	return vs
}

func encodeForm(params []Param) string {
	var b strings.Builder
	for i, p := range params {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(p.Key))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(p.Value))
	}
	return b.String()
}

// spacedJSON adds a space after every ',' and ':' outside strings of compact
// JSON.
func spacedJSON(c []byte) []byte {
	out := make([]byte, 0, len(c)+len(c)/4)
	inStr, esc := false, false
	for _, ch := range c {
		out = append(out, ch)
		switch {
		case esc:
			esc = false
		case inStr && ch == '\\':
			esc = true
		case ch == '"':
			inStr = !inStr
		case !inStr && (ch == ',' || ch == ':'):
			out = append(out, ' ')
		}
	}
	return out
}

// safe percent-encodes control bytes so text taken from a request cannot
// steer a terminal even if a caller forgets to sanitise it.
func safe(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			clean = false
			break
		}
	}
	if clean && utf8.ValidString(s) && !strings.ContainsAny(s, "\u0085\u2028\u2029\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || strings.ContainsRune("\u2028\u2029\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069", r) {
			for j := 0; j < n; j++ {
				fmt.Fprintf(&b, "%%%02X", s[i+j])
			}
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// forwarded reports whether a proxy said where the request was sent.
func forwarded(h http.Header) bool {
	_, host := headerValue(h, "X-Forwarded-Host")
	_, proto := headerValue(h, "X-Forwarded-Proto")
	return host || proto
}

// loopbackURL reports whether u's host is this machine: a URL SignalWire
// never signs, so a request checked against it was signed for another.
func loopbackURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	h := p.Hostname()
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
