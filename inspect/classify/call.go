package classify

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"

	"github.com/swhook/swhook/inspect/exchange"
)

// maxCallID bounds an identity: SignalWire's are UUIDs (36 bytes), Twilio's
// 34; a hostile sender must not put a megabyte into an indexed column.
const maxCallID = 128

// maxCallBody bounds the body Call reads.
const maxCallBody = 256 << 10

// Call names the call or message r belongs to, from the identities
// SignalWire's webhooks carry:
//
//   - cXML voice: CallSid; a <Dial>ed leg also carries ParentCallSid (its
//     status callbacks too), which becomes Parent.
//   - cXML messaging: MessageSid, else SmsSid / SmsMessageSid. (A message
//     sent during a call has both; it belongs to the call.)
//   - SWML: call.call_id of the document fetch (with call.parent_call_id
//     or call.parent.call_id for a child leg), message.id for messaging.
//   - RELAY / Call Fabric events: params.call_id (params.parent.call_id
//     or params.parent_call_id naming the parent); a JSON message status
//     callback's id.
//
// It never fails: a webhook naming none has the zero CallRef.
func Call(r Request) exchange.CallRef {
	if len(r.Body) > maxCallBody {
		// No webhook SignalWire sends is this large (an upload through the
		// listener is not a call's): not worth scanning on the save path.
		r.Body = nil
	}
	mt := mediaType(r.ContentType)
	if isJSON(mt, r.Body) {
		return jsonCallRef(r.Body)
	}
	var c formCall
	c.scan([]byte(r.Query))
	if !strings.EqualFold(r.Method, "GET") && isForm(mt) {
		c.scan(r.Body)
	}
	ref := exchange.CallRef{ID: c.callSid.String(), Parent: c.parentCallSid.String()}
	if ref.ID == "" {
		ref.ID = firstOf(c.messageSid.String(), c.smsSid.String(), c.smsMessageSid.String())
	}
	if ref.ID == "" {
		ref.ID, ref.Parent = ref.Parent, ""
	}
	if ref.Parent == ref.ID {
		ref.Parent = ""
	}
	return ref
}

// formCall holds the raw values of the identity parameters, still in the
// scanned bytes: only the ones Call returns become strings (the body is
// not copied whole on every save).
type formCall struct {
	callSid, parentCallSid, messageSid, smsSid, smsMessageSid formValue
}

// formValue is a parameter's raw (form-encoded) value; set says it was seen.
type formValue struct {
	raw []byte
	set bool
}

// String is the value decoded and clipped, as Call returns it.
func (v formValue) String() string {
	if !v.set {
		return ""
	}
	s := string(v.raw)
	if bytes.ContainsAny(v.raw, "%+") {
		if u, err := url.QueryUnescape(s); err == nil {
			s = u
		}
	}
	return clip(s)
}

// scan reads the identity parameters of the form-encoded s: of the pairs
// split at '&', those whose key (up to the first '=') is one of the names,
// the last of each winning. Every name ends in "Sid", so it looks for that
// (bytes.Index, vectorised) and checks the key around a find, instead of
// splitting every pair of a body that holds two or three of them. "Sid"
// cannot overlap itself, so no key is skipped. FuzzCallScanAgrees holds it
// to splitting every pair.
func (c *formCall) scan(s []byte) {
	for from := 0; ; {
		i := bytes.Index(s[from:], sidSuffix)
		if i < 0 {
			return
		}
		end := from + i + len(sidSuffix) // where the key ends, if it is one
		from = end
		if end < len(s) && s[end] != '=' && s[end] != '&' {
			continue
		}
		slot := c.slotEnding(s, end)
		if slot == nil {
			continue
		}
		var v []byte
		if end < len(s) && s[end] == '=' {
			v = s[end+1:]
			if j := bytes.IndexByte(v, '&'); j >= 0 {
				v = v[:j]
			}
		}
		*slot = formValue{raw: v, set: true}
	}
}

var sidSuffix = []byte("Sid")

// slotEnding is the slot of the name that is the whole key of a pair
// ending at s[end] (the pair starting at s's start or after an '&'), or nil.
func (c *formCall) slotEnding(s []byte, end int) *formValue {
	for _, n := range [...]struct {
		name string
		slot *formValue
	}{
		{"CallSid", &c.callSid}, {"ParentCallSid", &c.parentCallSid}, {"MessageSid", &c.messageSid},
		{"SmsSid", &c.smsSid}, {"SmsMessageSid", &c.smsMessageSid},
	} {
		start := end - len(n.name)
		if start >= 0 && string(s[start:end]) == n.name && (start == 0 || s[start-1] == '&') {
			return n.slot
		}
	}
	return nil
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > maxCallID {
		s = s[:maxCallID]
	}
	return s
}

type jsonIdentity struct {
	CallID       string      `json:"call_id"`
	ParentCallID string      `json:"parent_call_id"`
	Parent       *jsonParent `json:"parent"`
	ID           string      `json:"id"`
}

type jsonParent struct {
	CallID string `json:"call_id"`
}

func (j *jsonIdentity) parent() string {
	if j == nil {
		return ""
	}
	if j.ParentCallID != "" {
		return j.ParentCallID
	}
	if j.Parent != nil {
		return j.Parent.CallID
	}
	return ""
}

func jsonCallRef(body []byte) exchange.CallRef {
	if !bytes.Contains(body, []byte(`"call_id"`)) && !bytes.Contains(body, []byte(`"id"`)) {
		return exchange.CallRef{}
	}
	var v struct {
		Call             *jsonIdentity   `json:"call"`
		Message          *jsonIdentity   `json:"message"`
		Params           *jsonIdentity   `json:"params"`
		ID               string          `json:"id"`
		Status           string          `json:"status"`
		NumberOfSegments json.RawMessage `json:"number_of_segments"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return exchange.CallRef{}
	}
	var ref exchange.CallRef
	switch {
	case v.Call != nil && v.Call.CallID != "":
		ref = exchange.CallRef{ID: v.Call.CallID, Parent: v.Call.parent()}
	case v.Params != nil && v.Params.CallID != "":
		ref = exchange.CallRef{ID: v.Params.CallID, Parent: v.Params.parent()}
	case v.Message != nil && v.Message.ID != "":
		ref = exchange.CallRef{ID: v.Message.ID}
	case v.Status != "" && v.NumberOfSegments != nil && v.ID != "":
		ref = exchange.CallRef{ID: v.ID}
	}
	ref.ID, ref.Parent = clip(ref.ID), clip(ref.Parent)
	if ref.ID == "" {
		ref.ID, ref.Parent = ref.Parent, ""
	}
	if ref.Parent == ref.ID {
		ref.Parent = ""
	}
	return ref
}
