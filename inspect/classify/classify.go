// Package classify names what a webhook is about — an inbound call, the
// third status callback of that call, a delivered message — from its
// parameters, so the live view can say it in two words.
//
// It sits on every webhook's path, so it scans parameters in place rather
// than building url.Values or decoding whole JSON documents into maps: only
// the handful of names that decide the kind are looked at.
package classify

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/swhook/swhook/inspect/exchange"
)

// Request is what classification looks at.
type Request struct {
	Method      string
	Path        string
	Query       string // raw query string (GET webhooks carry their parameters here)
	ContentType string
	Body        []byte
}

// maxDetail bounds Detail: it is a status word, and a hostile sender must
// not be able to push a megabyte into every list row.
const maxDetail = 64

// Classify returns the event kind and its detail (e.g. call.status
// "ringing"). It never fails: anything it cannot name is KindUnknown.
func Classify(r Request) exchange.Event {
	mt := mediaType(r.ContentType)
	if isJSON(mt, r.Body) {
		if ev, ok := plainJSON(r.Body); ok {
			return ev
		}
		return classifyJSON(r.Body)
	}
	var p params
	// Query first, body second: SignalWire puts its parameters in the body of
	// a POST, and a developer's own query parameters (?lang=en) never carry
	// these names, but when both do the body is what SignalWire sent.
	p.scan(r.Query)
	if !strings.EqualFold(r.Method, "GET") && isForm(mt) {
		p.scanBytes(r.Body)
	}
	return p.classify()
}

// isJSON says whether the body is JSON: by media type mt, or — because
// some senders and proxies drop or mangle it — by a body that starts with '{'.
func isJSON(mt string, body []byte) bool {
	if strings.HasSuffix(mt, "json") {
		return true
	}
	if mt != "" && mt != "text/plain" && mt != "application/octet-stream" {
		return false
	}
	b := bytes.TrimLeft(body, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

// isForm says whether a body of media type mt may hold form parameters.
// SignalWire always says application/x-www-form-urlencoded, but curl-style
// tests and some proxies drop or change the type, so anything but multipart
// is scanned: a body that is not a form simply names none of the parameters
// we look for.
func isForm(mt string) bool {
	return !strings.HasPrefix(mt, "multipart/")
}

// mediaType is the lower-cased type without parameters, without allocating
// in the common already-lower-case case.
func mediaType(ct string) string {
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	for i := 0; i < len(ct); i++ {
		if c := ct[i]; c >= 'A' && c <= 'Z' {
			return strings.ToLower(ct)
		}
	}
	return ct
}

// params holds the raw (still form-encoded) values of the parameters that
// decide the kind. A nil slice means the parameter was absent.
type params struct {
	callSid, callStatus, callDuration, callbackSource, sequenceNumber, timestamp []byte
	dialCallStatus, digits, speechResult, recordingURL                           []byte
	recordingSid, recordingStatus                                                []byte
	messageSid, smsSid, smsMessageSid, messageStatus, smsStatus, body            []byte
	faxSid, faxStatus                                                            []byte
	transcriptionSid, transcriptionStatus, transcriptionText                     []byte
	conferenceSid, statusCallbackEvent, answeredBy                               []byte
}

var empty = []byte{}

func (p *params) scan(s string) {
	for s != "" {
		var pair string
		pair, s, _ = strings.Cut(s, "&")
		k, v, _ := strings.Cut(pair, "=")
		if strings.ContainsAny(k, "%+") {
			k = unescape(k)
		}
		if slot := p.slot(k); slot != nil {
			*slot = []byte(v)
		}
	}
}

func (p *params) scanBytes(b []byte) {
	for len(b) > 0 {
		pair := b
		if i := bytes.IndexByte(b, '&'); i >= 0 {
			pair, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		k, v := pair, []byte(nil)
		if i := bytes.IndexByte(pair, '='); i >= 0 {
			k, v = pair[:i], pair[i+1:]
		}
		var slot *[]byte
		if escaped(k) {
			slot = p.slot(unescape(string(k)))
		} else {
			slot = p.slotBytes(k)
		}
		if slot != nil {
			if v == nil {
				v = empty
			}
			*slot = v // a sub-slice of the body: nothing is copied
		}
	}
}

// escaped says whether a parameter name has '%' or '+' to decode. Names
// are short, and a loop is cheaper on them than bytes.ContainsAny.
func escaped(k []byte) bool {
	for _, c := range k {
		if c == '%' || c == '+' {
			return true
		}
	}
	return false
}

func unescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

// slotBytes is slot for a []byte name; the conversion in the switch does not
// allocate.
func (p *params) slotBytes(k []byte) *[]byte {
	switch string(k) {
	case "CallSid", "CallStatus", "CallDuration", "CallbackSource", "SequenceNumber", "Timestamp",
		"DialCallStatus", "Digits", "SpeechResult", "RecordingUrl", "RecordingSid", "RecordingStatus",
		"MessageSid", "SmsSid", "SmsMessageSid", "MessageStatus", "SmsStatus", "Body",
		"FaxSid", "FaxStatus", "TranscriptionSid", "TranscriptionStatus", "TranscriptionText",
		"ConferenceSid", "StatusCallbackEvent", "AnsweredBy":
		return p.slot(string(k))
	}
	return nil
}

func (p *params) slot(k string) *[]byte {
	switch k {
	case "CallSid":
		return &p.callSid
	case "CallStatus":
		return &p.callStatus
	case "CallDuration":
		return &p.callDuration
	case "CallbackSource":
		return &p.callbackSource
	case "SequenceNumber":
		return &p.sequenceNumber
	case "Timestamp":
		return &p.timestamp
	case "DialCallStatus":
		return &p.dialCallStatus
	case "Digits":
		return &p.digits
	case "SpeechResult":
		return &p.speechResult
	case "RecordingUrl":
		return &p.recordingURL
	case "RecordingSid":
		return &p.recordingSid
	case "RecordingStatus":
		return &p.recordingStatus
	case "MessageSid":
		return &p.messageSid
	case "SmsSid":
		return &p.smsSid
	case "SmsMessageSid":
		return &p.smsMessageSid
	case "MessageStatus":
		return &p.messageStatus
	case "SmsStatus":
		return &p.smsStatus
	case "Body":
		return &p.body
	case "FaxSid":
		return &p.faxSid
	case "FaxStatus":
		return &p.faxStatus
	case "TranscriptionSid":
		return &p.transcriptionSid
	case "TranscriptionStatus":
		return &p.transcriptionStatus
	case "TranscriptionText":
		return &p.transcriptionText
	case "ConferenceSid":
		return &p.conferenceSid
	case "StatusCallbackEvent":
		return &p.statusCallbackEvent
	case "AnsweredBy":
		return &p.answeredBy
	}
	return nil
}

func (p *params) classify() exchange.Event {
	switch {
	// A transcription callback also carries RecordingSid and CallSid, so it
	// is decided first.
	case p.transcriptionSid != nil || p.transcriptionStatus != nil || p.transcriptionText != nil:
		return event(exchange.KindTranscription, p.transcriptionStatus)
	// A recording status callback carries CallSid too; RecordingStatus is
	// what sets it apart from a <Record> action request (RecordingUrl only).
	case p.recordingStatus != nil:
		return event(exchange.KindRecordingStatus, p.recordingStatus)
	case p.faxSid != nil:
		// An incoming fax asks for instructions with FaxStatus=receiving (or
		// none); every other FaxStatus reports on a fax already handled.
		if p.faxStatus == nil || status(p.faxStatus) == "receiving" {
			return event(exchange.KindFaxInbound, p.faxStatus)
		}
		return event(exchange.KindFaxStatus, p.faxStatus)
	case p.messageSid != nil || p.smsSid != nil || p.smsMessageSid != nil:
		return p.classifyMessage()
	// A conference status callback (participant-join, conference-end, ...)
	// carries the participant's CallSid but reports on the conference: no
	// kind of ours fits, so it is unknown, named by its event.
	case p.conferenceSid != nil && p.statusCallbackEvent != nil:
		return event(exchange.KindUnknown, p.statusCallbackEvent)
	case p.callSid != nil || p.callStatus != nil:
		return p.classifyCall()
	}
	return exchange.Event{Kind: exchange.KindUnknown}
}

func (p *params) classifyMessage() exchange.Event {
	// MessageStatus is the status callback's word; an inbound message says
	// SmsStatus=received (and MessageStatus=received where it is sent at all).
	st := p.messageStatus
	if st == nil {
		st = p.smsStatus
	}
	if st != nil {
		if status(st) == "received" {
			return event(exchange.KindMessageInbound, st)
		}
		return event(exchange.KindMessageStatus, st)
	}
	if p.body != nil {
		return event(exchange.KindMessageInbound, []byte("received"))
	}
	return event(exchange.KindMessageStatus, nil)
}

// classifyCall tells the request that asks for cXML instructions (the first
// fetch of an inbound call, and the action URLs of <Gather>, <Dial>,
// <Record>) from a status callback that only reports.
//
// SignalWire's voice request (the phone number's "when a call comes in" URL)
// carries CallSid, AccountSid, From, To, CallStatus (ringing for inbound,
// in-progress for an outbound-api call that was answered), ApiVersion,
// Direction, ForwardedFrom, CallerName, ParentCallSid. Status callbacks
// (StatusCallback on a call, a number's "call status changes" URL) carry the
// same plus Timestamp, CallbackSource=call-progress-events and
// SequenceNumber, and CallDuration once the call has ended; the number-level
// "inbound call status" callback has Timestamp and CallDuration. So any of
// those four marks a status callback; without them, a CallStatus that no
// live call can be asked about (queued, initiated, completed, busy, failed,
// no-answer, canceled) still is one; otherwise the request wants cXML.
func (p *params) classifyCall() exchange.Event {
	if p.callbackSource != nil || p.sequenceNumber != nil || p.timestamp != nil || p.callDuration != nil {
		return event(exchange.KindCallStatus, p.callStatus)
	}
	// The asynchronous answering-machine-detection callback reports
	// AnsweredBy without a CallStatus; the synchronous one arrives on the
	// call's own URL, with CallStatus, and wants cXML like any answer.
	if p.answeredBy != nil && p.callStatus == nil {
		return event(exchange.KindCallStatus, p.answeredBy)
	}
	// Action requests: <Record> reports the Digits that ended it too, so it
	// is decided before <Gather>.
	switch {
	case p.recordingURL != nil:
		return exchange.Event{Kind: exchange.KindCallInbound, Detail: "record"}
	case p.dialCallStatus != nil:
		return exchange.Event{Kind: exchange.KindCallInbound, Detail: "dial"}
	case p.digits != nil || p.speechResult != nil:
		return exchange.Event{Kind: exchange.KindCallInbound, Detail: "gather"}
	}
	switch status(p.callStatus) {
	case "ringing", "in-progress", "":
		return event(exchange.KindCallInbound, p.callStatus)
	}
	return event(exchange.KindCallStatus, p.callStatus)
}

// known status words, returned as constants so the common case allocates
// nothing.
var statusWords = []string{
	"queued", "initiated", "ringing", "in-progress", "completed", "busy", "failed",
	"no-answer", "canceled", "answered", "sending", "sent", "delivered", "undelivered",
	"received", "receiving", "accepted", "scheduled", "read", "processing", "absent",
	"paused", "stopped", "created", "ending", "ended", "human", "machine_start", "fax",
}

// IsDetail says whether w is an event detail SignalWire sends (a status
// word such as ringing or delivered, or the action a cXML callback
// reports), case-insensitively: `list --event ringing` accepts these as
// the live view's event: does, and still calls a typo a usage error.
func IsDetail(w string) bool {
	for _, d := range statusWords {
		if strings.EqualFold(w, d) {
			return true
		}
	}
	return strings.EqualFold(w, "record") || strings.EqualFold(w, "dial") || strings.EqualFold(w, "gather")
}

// status returns the decoded status word, without allocating for the known
// ones.
func status(raw []byte) string {
	for _, w := range statusWords {
		if string(raw) == w {
			return w
		}
	}
	s := string(raw)
	if strings.ContainsAny(s, "%+") {
		if u, err := url.QueryUnescape(s); err == nil {
			s = u
		}
	}
	if len(s) > maxDetail {
		s = s[:maxDetail]
	}
	return s
}

func event(k exchange.Kind, detail []byte) exchange.Event {
	if detail == nil {
		return exchange.Event{Kind: k}
	}
	return exchange.Event{Kind: k, Detail: status(detail)}
}

// jsonPayload is the union of the JSON shapes SignalWire posts: a SWML
// fetch ({"call": {...}, "vars", "envs", "params"}), a SWML messaging fetch
// ({"message": {...}}), and a RELAY / Call Fabric event
// ({"event_type": "calling.call.state", "params": {"call_state": ...}}).
type jsonPayload struct {
	EventType string          `json:"event_type"`
	Call      *jsonCall       `json:"call"`
	Message   *jsonMessage    `json:"message"`
	Params    json.RawMessage `json:"params"`
	// The JSON message status callback (RELAY, SWML send_sms status_callback):
	// {"id", "project_id", "status", "number_of_segments", ...}.
	Status           string          `json:"status"`
	NumberOfSegments json.RawMessage `json:"number_of_segments"`
}

type jsonCall struct {
	CallState string `json:"call_state"`
	Direction string `json:"direction"`
}

type jsonMessage struct {
	Direction string `json:"direction"`
	Status    string `json:"status"`
}

type relayParams struct {
	CallState string `json:"call_state"`
}

func classifyJSON(body []byte) exchange.Event {
	var v jsonPayload
	if err := json.Unmarshal(body, &v); err != nil {
		return exchange.Event{Kind: exchange.KindUnknown}
	}
	switch {
	case v.EventType == "calling.call.state":
		var p relayParams
		_ = json.Unmarshal(v.Params, &p) // absent or odd params: still the event, without detail
		return jsonEvent(exchange.KindRelayCallState, p.CallState)
	case v.EventType != "":
		// Another RELAY event: say which, so it is not a bare "unknown".
		return jsonEvent(exchange.KindUnknown, v.EventType)
	case v.Call != nil:
		return jsonEvent(exchange.KindSWMLCall, v.Call.CallState)
	case v.Message != nil:
		return jsonEvent(exchange.KindSWMLMessage, v.Message.Direction)
	case v.Status != "" && v.NumberOfSegments != nil:
		return jsonEvent(exchange.KindMessageStatus, v.Status)
	}
	return exchange.Event{Kind: exchange.KindUnknown}
}

func jsonEvent(k exchange.Kind, detail string) exchange.Event {
	if len(detail) > maxDetail {
		detail = detail[:maxDetail]
	}
	return exchange.Event{Kind: k, Detail: detail}
}
