package signature

import (
	"bytes"
	"slices"
	"strings"
)

// Param is one form parameter, decoded. Order matters: repeated keys keep the
// order they were submitted in, because that order is part of what is signed.
type Param struct {
	Key   string
	Value string
}

// ParseForm splits an application/x-www-form-urlencoded string into its
// parameters in submission order, decoding '+' and %XX escapes. It never
// fails: a body from the network may be malformed, and a check must still say
// something. A '%' that does not start a valid escape is kept as raw text and
// reported through malformed, which is what common validators (Node's
// querystring, Python's unquote) do too. Empty segments ("a=1&&b=2") are
// skipped; a segment without '=' is a key with an empty value.
func ParseForm(s string) (params []Param, malformed bool) {
	if s == "" {
		return nil, false
	}
	n := strings.Count(s, "&") + 1
	params = make([]Param, 0, n)
	for s != "" {
		var seg string
		if i := strings.IndexByte(s, '&'); i >= 0 {
			seg, s = s[:i], s[i+1:]
		} else {
			seg, s = s, ""
		}
		if seg == "" {
			continue
		}
		k, v, _ := strings.Cut(seg, "=")
		dk, bad1 := formUnescape(k)
		dv, bad2 := formUnescape(v)
		malformed = malformed || bad1 || bad2
		params = append(params, Param{Key: dk, Value: dv})
	}
	return params, malformed
}

// formUnescape decodes '+' as a space and valid %XX escapes; an invalid
// escape is kept literally and reported. It is appendFormUnescaped for a
// string, so ParseForm and the Verifier's own parser cannot disagree.
func formUnescape(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, false
	}
	b, bad := appendFormUnescaped(make([]byte, 0, len(s)), []byte(s))
	return string(b), bad
}

// appendFormUnescaped appends s decoded as formUnescape says to dst: the
// Verifier decodes a body's keys and values into one buffer with it.
func appendFormUnescaped(dst, s []byte) ([]byte, bool) {
	if bytes.IndexByte(s, '%') < 0 && bytes.IndexByte(s, '+') < 0 {
		return append(dst, s...), false
	}
	bad := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '+':
			dst = append(dst, ' ')
		case ch == '%':
			if i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
				dst = append(dst, unhex(s[i+1])<<4|unhex(s[i+2]))
				i += 2
			} else {
				bad = true
				dst = append(dst, '%')
			}
		default:
			dst = append(dst, ch)
		}
	}
	return dst, bad
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func isLowerHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// sortedParams returns the parameters sorted by key in byte order, repeated
// keys in submission order (a stable sort): the order SignalWire signs in.
// Senders usually post their parameters already sorted, so that case costs
// no copy; p itself is never reordered.
func sortedParams(p []Param) []Param {
	if slices.IsSortedFunc(p, byKey) {
		return p
	}
	out := slices.Clone(p)
	slices.SortStableFunc(out, byKey)
	return out
}

func byKey(a, b Param) int { return strings.Compare(a.Key, b.Key) }

func byKeyValue(a, b Param) int {
	if c := strings.Compare(a.Key, b.Key); c != 0 {
		return c
	}
	return strings.Compare(a.Value, b.Value)
}

// valueSortedParams sorts by key, then by value: what Twilio's helper
// libraries do with repeated keys. Accepting it as well costs nothing when
// keys are unique and lets swhook agree with those validators.
func valueSortedParams(p []Param) []Param {
	if slices.IsSortedFunc(p, byKeyValue) {
		return p
	}
	out := slices.Clone(p)
	slices.SortStableFunc(out, byKeyValue)
	return out
}
