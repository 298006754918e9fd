// Package exchange holds the one record every part of swhook shares: a webhook
// request, what the handler answered, and the verdicts swhook reached about
// both. It is a leaf: it imports nothing of ours, so the pipeline, the store,
// the screen and replay can all speak of the same thing without depending on
// each other.
package exchange

import (
	"encoding/base64"
	"net/http"
	"time"
	"unicode/utf8"
)

// Source says how an exchange reached swhook, because a replayed or synthetic
// request must never be mistaken for one SignalWire really sent.
type Source string

const (
	SourceTunnel  Source = "tunnel"  // arrived through the public tunnel
	SourceLocal   Source = "local"   // arrived on the local listener
	SourceReplay  Source = "replay"  // sent again by `swhook replay`
	SourceTrigger Source = "trigger" // synthesised by `swhook trigger`
	SourceCall    Source = "call"    // sent by the call emulator (`swhook call`, `swhook message`)
)

// Kind names the webhook's event so a developer can tell an inbound call from
// the fifth status callback of the same call at a glance.
type Kind string

const (
	KindCallInbound     Kind = "call.inbound"
	KindCallStatus      Kind = "call.status"
	KindRecordingStatus Kind = "recording.status"
	KindMessageInbound  Kind = "message.inbound"
	KindMessageStatus   Kind = "message.status"
	KindFaxInbound      Kind = "fax.inbound"
	KindFaxStatus       Kind = "fax.status"
	KindTranscription   Kind = "transcription"
	KindSWMLCall        Kind = "swml.call"
	KindSWMLMessage     Kind = "swml.message"
	KindRelayCallState  Kind = "relay.call.state"
	KindUnknown         Kind = "unknown"
)

// Kinds lists every event kind, in the order people think of them; filters
// and help text use it so no kind is forgotten in one place and not another.
var Kinds = []Kind{
	KindCallInbound, KindCallStatus, KindRecordingStatus, KindMessageInbound,
	KindMessageStatus, KindFaxInbound, KindFaxStatus, KindTranscription,
	KindSWMLCall, KindSWMLMessage, KindRelayCallState, KindUnknown,
}

// SignatureStatus is the signature badge: the one thing a developer wants to
// know first about a webhook.
type SignatureStatus string

const (
	SigValid     SignatureStatus = "valid"
	SigInvalid   SignatureStatus = "invalid"
	SigMissing   SignatureStatus = "missing"
	SigUnchecked SignatureStatus = "unchecked" // no signing key was configured
)

// CheckStatus grades the handler's answer against what SignalWire accepts.
type CheckStatus string

const (
	CheckOK      CheckStatus = "ok"
	CheckWarning CheckStatus = "warning"
	CheckError   CheckStatus = "error"
	CheckNA      CheckStatus = "n/a"
)

// Body encodings used in JSON: text stays readable, anything else survives
// the round trip byte for byte.
const (
	EncodingUTF8   = "utf8"
	EncodingBase64 = "base64"
)

// Exchange is one webhook: the request as it arrived, the event it carries,
// the signature verdict, the answer and the check of that answer.
type Exchange struct {
	ID       int64     `json:"id"`
	Time     time.Time `json:"time"`
	Source   Source    `json:"source"`
	ReplayOf int64     `json:"replay_of,omitempty"`
	// Forward is the handler base URL the request was forwarded to (listen's
	// --forward), so `swhook replay` can send it there again without --to.
	Forward string `json:"forward,omitempty"`
	// Listener is the local URL of the `swhook listen` that took the
	// webhook (e.g. http://127.0.0.1:4747), "" for one sent straight to a
	// handler: with several listeners on one store, each view shows its
	// own rows and list/show say whose a row is.
	Listener string `json:"listener,omitempty"`
	// Call names the call or message the webhook belongs to, so one
	// call's webhooks — interleaved with other calls' — can be read
	// together as its timeline. Zero when the webhook names none.
	Call          CallRef   `json:"call,omitzero"`
	Request       Request   `json:"request"`
	Event         Event     `json:"event"`
	Signature     Signature `json:"signature"`
	Response      Response  `json:"response"`
	ResponseCheck Check     `json:"response_check"`
}

// CallRef is a webhook's call identity: the CallSid of a cXML call, the
// call_id of a SWML or RELAY one, the MessageSid of a message. A child leg
// (a <Dial>ed number) has its own ID and names its parent, so it groups
// under the call that dialled it.
type CallRef struct {
	ID     string `json:"id"`
	Parent string `json:"parent,omitempty"`
}

// Group is the call the webhook's timeline is under: the parent call for
// a child leg, else its own.
func (c CallRef) Group() string {
	if c.Parent != "" {
		return c.Parent
	}
	return c.ID
}

// Request is what arrived. Body holds the bytes exactly as received, up to the
// capture limit; Truncated says the handler got more than was kept.
type Request struct {
	Method    string      `json:"method"`
	URL       string      `json:"url"` // the URL the signature was checked against
	Path      string      `json:"path"`
	Query     string      `json:"query,omitempty"`
	Host      string      `json:"host,omitempty"`
	Headers   http.Header `json:"headers"`
	Body      Body        `json:"body"`
	BodySize  int64       `json:"body_size"` // the full size, even when truncated
	Truncated bool        `json:"truncated"`
	// RemoteAddr is where the request came from (the tunnel edge or a local
	// client); kept for the detail view and HAR export.
	RemoteAddr string `json:"remote_addr,omitempty"`
}

// Event is what the webhook is about.
type Event struct {
	Kind   Kind   `json:"kind"`
	Detail string `json:"detail,omitempty"` // e.g. "ringing", "delivered"
}

// Signature is the verdict on the request's signature.
type Signature struct {
	Status SignatureStatus `json:"status"`
	Scheme string          `json:"scheme,omitempty"` // which signing scheme matched
	Header string          `json:"header,omitempty"` // which header carried it
	Hint   string          `json:"hint,omitempty"`   // why it failed, or a caveat when valid
}

// Response is what the handler (or swhook, when there is none) answered.
type Response struct {
	Status     int         `json:"status"`
	Headers    http.Header `json:"headers,omitempty"`
	Body       Body        `json:"body"`
	BodySize   int64       `json:"body_size"`
	Truncated  bool        `json:"truncated,omitempty"`
	DurationMS float64     `json:"duration_ms"`
	Error      string      `json:"error,omitempty"`
	// Forwarded is false when swhook answered itself (no --forward, a
	// rejected signature, or the handler could not be reached).
	Forwarded bool `json:"forwarded"`
}

// Check is the verdict on the handler's answer.
type Check struct {
	Status  CheckStatus `json:"status"`
	Message string      `json:"message,omitempty"`
}

// Duration is the handler's time as a time.Duration.
func (r Response) Duration() time.Duration {
	return time.Duration(r.DurationMS * float64(time.Millisecond))
}

// Body is raw bytes that marshal to JSON as text when they are valid UTF-8
// and as base64 otherwise, so `--json` output is readable and still exact.
// The encoding travels beside the body ("body_encoding") in the enclosing
// object; see MarshalJSON on Request and Response.
type Body []byte

// Encoding reports how the body is written in JSON.
func (b Body) Encoding() string {
	if utf8.Valid(b) {
		return EncodingUTF8
	}
	return EncodingBase64
}

// String returns the body as JSON writes it: the text, or its base64.
func (b Body) String() string {
	if b.Encoding() == EncodingUTF8 {
		return string(b)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// DecodeBody turns a JSON body string and its encoding back into bytes.
func DecodeBody(s, encoding string) (Body, error) {
	if encoding == EncodingBase64 {
		return base64.StdEncoding.DecodeString(s)
	}
	return Body(s), nil
}
