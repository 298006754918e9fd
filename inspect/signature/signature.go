// Package signature implements SignalWire's webhook signing schemes: sign,
// verify and — the part developers need most — diagnose why a signature that
// their own handler computed does not match. Pure functions, no I/O; the key
// is never part of any returned string.
package signature

import "net/http"

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

// Verify checks every signature header on r against key with every scheme
// DESIGN.md names. An empty key gives StatusUnchecked; no signature header
// gives StatusMissing.
func Verify(key string, r Request) Verdict {
	panic("signature.Verify: not built yet")
}

// DiagnoseOptions widens the search for the URL the signer really used.
type DiagnoseOptions struct {
	// LocalURL is the URL the request reached locally (e.g.
	// http://localhost:3000/voice); handlers behind a tunnel often rebuild
	// this one instead of the public URL.
	LocalURL string
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
func Diagnose(key string, r Request, opts DiagnoseOptions) Diagnosis {
	panic("signature.Diagnose: not built yet")
}

// Sign computes the signature value for scheme over url and body.
func Sign(key string, scheme Scheme, url string, body []byte) (string, error) {
	panic("signature.Sign: not built yet")
}

// SchemeFor picks the scheme SignalWire uses for a request with this
// method and content type: form posts and GETs use the form scheme,
// everything else (JSON) the hex scheme.
func SchemeFor(method, contentType string) Scheme {
	panic("signature.SchemeFor: not built yet")
}

// Resign returns a copy of r's headers with every signature header
// recomputed for r.URL and r.Body, as SignalWire would have sent them; when r
// carries none, it adds X-SignalWire-Signature with SchemeFor's scheme.
// Replay and trigger use it so a handler's own check passes.
func Resign(key string, r Request) (http.Header, error) {
	panic("signature.Resign: not built yet")
}
