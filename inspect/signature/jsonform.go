package signature

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
)

// JSONFormNote is the Note of a JSON webhook whose signature is the
// compatibility (form) scheme over the body's top-level keys: not what
// SignalWire sends for JSON, but @signalwire/web-api's validateRequest falls
// back to it when the hex check fails, so a developer's handler accepts it.
const JSONFormNote = "signed with the compatibility (form) scheme over the JSON body's top-level keys, not as hex of the raw body; @signalwire/web-api's validateRequest accepts that as its fallback"

// jsonFormParams turns a JSON body into the parameters
// @signalwire/web-api's fallback signs: JSON.parse, then the compatibility
// API's getExpectedTwilioSignature over the result — Object.keys sorted in
// UTF-16 order, each value as JavaScript's `key + value` makes it (strings
// as decoded, numbers as Number#toString, null and booleans as words, an
// object as "[object Object]", an array as key+element for each element,
// nested arrays flattened). ok is false for a body that is not a JSON
// object: web-api rejects what is not JSON, and swhook does not claim the
// other top-level values' rare edges.
func jsonFormParams(body []byte) (params []Param, ok bool) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return nil, false
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return nil, false
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareUTF16)
	params = make([]Param, 0, len(keys))
	for _, k := range keys {
		var v any
		if json.Unmarshal(m[k], &v) != nil {
			return nil, false
		}
		params = appendJSParam(params, k, v)
	}
	return params, true
}

// appendJSParam is the compatibility API's toFormUrlEncodedParam.
func appendJSParam(params []Param, key string, v any) []Param {
	if a, isArray := v.([]any); isArray {
		for _, e := range a {
			params = appendJSParam(params, key, e)
		}
		return params
	}
	return append(params, Param{Key: key, Value: jsString(v)})
}

// jsString is String(v) in JavaScript for a value JSON.parse made.
func jsString(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	case string:
		return v
	case float64:
		return jsNumber(v)
	default:
		return "[object Object]"
	}
}

// jsNumber is Number#toString: the shortest round-tripping digits, in
// plain notation from 1e-6 up to (not including) 1e21 and exponential outside it.
func jsNumber(f float64) string {
	switch {
	case f == 0:
		return "0"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	if a := math.Abs(f); a >= 1e-6 && a < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // 1.5e-07, 1e+21
	mant, exp, _ := strings.Cut(s, "e")
	sign, digits := exp[:1], strings.TrimLeft(exp[1:], "0")
	return mant + "e" + sign + digits
}

// compareUTF16 orders strings as JavaScript's default sort does: by UTF-16
// code units, which differs from byte order only past U+FFFF.
func compareUTF16(a, b string) int {
	ar, br := []rune(a), []rune(b)
	for i := 0; i < len(ar) && i < len(br); i++ {
		if ar[i] == br[i] {
			continue
		}
		return slices.Compare(utf16.Encode(ar[i:i+1]), utf16.Encode(br[i:i+1]))
	}
	return len(ar) - len(br)
}
