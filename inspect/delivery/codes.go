package delivery

import (
	"fmt"
	"sort"
)

// Codes SignalWire's debugger shows for webhook failures
// (compatibility-api rest-api/core/error-codes, guides/webhooks).
const (
	CodeTimeout          = 11200 // retrieval failure: timeout, refused, 502
	CodeDNS              = 11210
	CodeTooManyRedirects = 11215
	CodeHTTPStatus       = 11217 // the server answered 4xx/5xx
	CodeTLS              = 11220
	CodeProtocol         = 11251 // http vs https
	CodeHTTPVersion      = 11300
	CodeTooLarge         = 11750 // answer body over 64 kB
	CodeParse            = 12100 // document parse error
	CodeContentType      = 12300
	CodeMethod           = 13221 // invalid method attribute
	CodeNoURL            = 21205
)

// catalogue is each code's name and the one line of why a developer needs.
var catalogue = map[int][2]string{
	CodeTimeout:          {"HTTP retrieval failure", "SignalWire got no usable answer in time (2 s to connect, 5 s to read unless the URL's #ot/rt says otherwise)"},
	CodeDNS:              {"DNS resolution failed", "the webhook's host name does not resolve"},
	CodeTooManyRedirects: {"too many redirects", "SignalWire follows at most 3 HTTP redirects for a webhook"},
	CodeHTTPStatus:       {"HTTP error answer", "the webhook answered 4xx or 5xx, so SignalWire had no document to run"},
	CodeTLS:              {"TLS handshake failed", "SignalWire could not set up HTTPS with the server"},
	CodeProtocol:         {"fatal protocol violation", "the URL's scheme does not match the server (http vs https)"},
	CodeHTTPVersion:      {"unsupported HTTP version", "the server answered with an HTTP version SignalWire does not speak"},
	CodeTooLarge:         {"answer body too large", "SignalWire reads at most 64 kB of an answer"},
	CodeParse:            {"document parse error", "the answer is not valid cXML: it must be well-formed XML with a <Response> root, names case-sensitive"},
	CodeContentType:      {"invalid Content-Type", "the answer must say what it is (text/xml for cXML, application/json for SWML)"},
	CodeMethod:           {"invalid method attribute", "method must be GET or POST"},
	CodeNoURL:            {"no URL", "a call needs a URL to fetch its instructions from"},
}

// Error is one SignalWire error: its code and why it happened here.
type Error struct {
	Code int
	// Named is SignalWire's name for an error that has no number (SWML's
	// relay_script_* and swml_* errors); Code is 0 then.
	Named string
	// Detail is what happened in this instance; the catalogue's line says
	// what the code means in general.
	Detail string
}

// New makes an Error; detail may be empty.
func New(code int, detail string) *Error { return &Error{Code: code, Detail: detail} }

// Errorf makes an Error with a formatted detail.
func Errorf(code int, format string, a ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, a...)}
}

// Name is the code's short name ("document parse error").
func (e *Error) Name() string {
	if e.Named != "" {
		return e.Named
	}
	return Name(e.Code)
}

// Why is the catalogue's line for the code.
func (e *Error) Why() string {
	if e.Named != "" {
		return ""
	}
	return Why(e.Code)
}

// Error reads "12100 document parse error: detail".
func (e *Error) Error() string {
	s := fmt.Sprintf("%d %s", e.Code, e.Name())
	if e.Named != "" {
		s = e.Named
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Name is a code's short name, or "SignalWire error" for one not known.
func Name(code int) string {
	if c, ok := catalogue[code]; ok {
		return c[0]
	}
	return "SignalWire error"
}

// Why is a code's one line of why.
func Why(code int) string { return catalogue[code][1] }

// Codes lists the catalogue's codes in order.
func Codes() []int {
	out := make([]int, 0, len(catalogue))
	for c := range catalogue {
		out = append(out, c)
	}
	sort.Ints(out)
	return out
}
