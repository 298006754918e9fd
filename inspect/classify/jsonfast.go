package classify

import (
	"bytes"
	"encoding/json"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/jsonwalk"
)

// plainJSON classifies a JSON body the way classifyJSON does, without
// decoding it into structs: json.Valid, then one walk over the members that
// decide the kind — the decoder cost some ten allocations and a few
// microseconds on every SWML and RELAY webhook. ok is false whenever the
// walk is not certain to agree with the decoder, which then decides as
// before: a member name with an escape or a non-ASCII byte (encoding/json
// matches names by Unicode case folding), a deciding member given twice
// (the decoder merges repeated objects), a deciding value of an unexpected
// type or null, a string value with an escape or a non-ASCII byte. Names
// match case-insensitively, as encoding/json matches struct fields.
func plainJSON(body []byte) (ev exchange.Event, ok bool) {
	if !json.Valid(body) {
		return exchange.Event{}, false
	}
	p := jsonwalk.SkipSpace(body)
	if len(p) == 0 || p[0] != '{' {
		return exchange.Event{}, false
	}
	const (
		fEventType = 1 << iota
		fCall
		fMessage
		fParams
		fStatus
		fSegments
	)
	var seen int
	var eventType, status, callState, msgDirection, relayState string
	once := func(f int) bool {
		if seen&f != 0 {
			return false
		}
		seen |= f
		return true
	}
	ok = jsonwalk.EachMember(p, func(name, v []byte) bool {
		switch {
		case jsonwalk.ASCIIFold(name, "event_type"):
			eventType, ok = jsonwalk.PlainString(v)
			return ok && once(fEventType)
		case jsonwalk.ASCIIFold(name, "call"):
			callState, ok = memberString(v, "call_state", "direction")
			return ok && once(fCall)
		case jsonwalk.ASCIIFold(name, "message"):
			msgDirection, ok = memberString(v, "direction", "status")
			return ok && once(fMessage)
		case jsonwalk.ASCIIFold(name, "params"):
			if v[0] == '{' {
				relayState, ok = memberString(v, "call_state", "")
			} else {
				// Not an object: the decoder's error is ignored and the
				// relay event has no detail.
				ok = !bytes.Equal(v, []byte("null"))
			}
			return ok && once(fParams)
		case jsonwalk.ASCIIFold(name, "status"):
			status, ok = jsonwalk.PlainString(v)
			return ok && once(fStatus)
		case jsonwalk.ASCIIFold(name, "number_of_segments"):
			return !bytes.Equal(v, []byte("null")) && once(fSegments)
		}
		return true
	})
	if !ok {
		return exchange.Event{}, false
	}
	switch {
	case eventType == "calling.call.state":
		return jsonEvent(exchange.KindRelayCallState, relayState), true
	case eventType != "":
		return jsonEvent(exchange.KindUnknown, eventType), true
	case seen&fCall != 0:
		return jsonEvent(exchange.KindSWMLCall, callState), true
	case seen&fMessage != 0:
		return jsonEvent(exchange.KindSWMLMessage, msgDirection), true
	case status != "" && seen&fSegments != 0:
		return jsonEvent(exchange.KindMessageStatus, status), true
	}
	return exchange.Event{Kind: exchange.KindUnknown}, true
}

// memberString reads the object v for the string member want, checking
// that other, also a string field of the struct the decoder fills, is a
// plain string too (or absent); ok is false when v is not an object or the
// decoder's result is not certain.
func memberString(v []byte, want, other string) (s string, ok bool) {
	if v[0] != '{' {
		return "", false
	}
	var seenWant, seenOther bool
	ok = jsonwalk.EachMember(v, func(name, m []byte) bool {
		switch {
		case jsonwalk.ASCIIFold(name, want):
			var good bool
			s, good = jsonwalk.PlainString(m)
			if !good || seenWant {
				return false
			}
			seenWant = true
		case other != "" && jsonwalk.ASCIIFold(name, other):
			if _, good := jsonwalk.PlainString(m); !good || seenOther {
				return false
			}
			seenOther = true
		}
		return true
	})
	return s, ok
}
