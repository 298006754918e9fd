package classify

import (
	"bytes"
	"encoding/json"

	"github.com/swhook/swhook/inspect/exchange"
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
	p := skipJSONSpace(body)
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
	ok = eachMember(p, func(name, v []byte) bool {
		switch {
		case asciiFold(name, "event_type"):
			eventType, ok = plainString(v)
			return ok && once(fEventType)
		case asciiFold(name, "call"):
			callState, ok = memberString(v, "call_state", "direction")
			return ok && once(fCall)
		case asciiFold(name, "message"):
			msgDirection, ok = memberString(v, "direction", "status")
			return ok && once(fMessage)
		case asciiFold(name, "params"):
			if v[0] == '{' {
				relayState, ok = memberString(v, "call_state", "")
			} else {
				// Not an object: the decoder's error is ignored and the
				// relay event has no detail.
				ok = !bytes.Equal(v, []byte("null"))
			}
			return ok && once(fParams)
		case asciiFold(name, "status"):
			status, ok = plainString(v)
			return ok && once(fStatus)
		case asciiFold(name, "number_of_segments"):
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
	ok = eachMember(v, func(name, m []byte) bool {
		switch {
		case asciiFold(name, want):
			var good bool
			s, good = plainString(m)
			if !good || seenWant {
				return false
			}
			seenWant = true
		case other != "" && asciiFold(name, other):
			if _, good := plainString(m); !good || seenOther {
				return false
			}
			seenOther = true
		}
		return true
	})
	return s, ok
}

// plainString is the content of a JSON string without escapes or
// non-ASCII bytes, which decodes to exactly its bytes.
func plainString(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	for _, c := range v[1 : len(v)-1] {
		if c == '\\' || c >= 0x80 {
			return "", false
		}
	}
	return string(v[1 : len(v)-1]), true
}

// eachMember calls fn with each member of the JSON object at the start of
// p (valid JSON, checked by the caller) until fn returns false; it returns
// false then, or when a member name has an escape or a non-ASCII byte.
func eachMember(p []byte, fn func(name, value []byte) bool) bool {
	p = skipJSONSpace(p[1:]) // past '{'
	for len(p) > 0 && p[0] != '}' {
		if p[0] == ',' {
			p = skipJSONSpace(p[1:])
		}
		end := bytes.IndexByte(p[1:], '"') + 1 // p[0] is the name's '"'
		if end <= 0 {
			return false
		}
		name := p[1:end]
		for _, c := range name {
			if c == '\\' || c >= 0x80 {
				return false
			}
		}
		p = skipJSONSpace(p[end+1:])
		p = skipJSONSpace(p[1:]) // past ':'
		n := jsonValueLen(p)
		if n <= 0 || !fn(name, p[:n]) {
			return false
		}
		p = skipJSONSpace(p[n:])
	}
	return true
}

// jsonValueLen is the length of the valid JSON value at the start of p.
func jsonValueLen(p []byte) int {
	depth := 0
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '"':
			for i++; i < len(p) && p[i] != '"'; i++ {
				if p[i] == '\\' {
					i++
				}
			}
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i // the end of the enclosing object: a scalar ends here
			}
			depth--
			if depth == 0 {
				return i + 1
			}
		case ',', ' ', '\t', '\r', '\n':
			if depth == 0 {
				return i
			}
		}
	}
	return len(p)
}

func skipJSONSpace(p []byte) []byte {
	for len(p) > 0 && (p[0] == ' ' || p[0] == '\t' || p[0] == '\r' || p[0] == '\n') {
		p = p[1:]
	}
	return p
}

// asciiFold is strings.EqualFold for an ASCII name and a lower-case want.
func asciiFold(name []byte, want string) bool {
	if len(name) != len(want) {
		return false
	}
	for i, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != want[i] {
			return false
		}
	}
	return true
}
