// Package jsonwalk walks valid JSON (json.Valid has said so) without
// decoding it: the per-webhook fast paths of the classifier and the
// response check read a few members of a SWML or RELAY document this way
// instead of decoding it into structs. Each helper answers only what it is
// certain encoding/json would agree with; callers fall back to the decoder
// otherwise.
package jsonwalk

import "bytes"

// PlainString is the content of a JSON string without escapes or
// non-ASCII bytes, which decodes to exactly its bytes.
func PlainString(v []byte) (string, bool) {
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

// EachMember calls fn with each member of the JSON object at the start of
// p (valid JSON, checked by the caller) until fn returns false; it returns
// false then, or when a member name has an escape or a non-ASCII byte.
func EachMember(p []byte, fn func(name, value []byte) bool) bool {
	p = SkipSpace(p[1:]) // past '{'
	for len(p) > 0 && p[0] != '}' {
		if p[0] == ',' {
			p = SkipSpace(p[1:])
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
		p = SkipSpace(p[end+1:])
		p = SkipSpace(p[1:]) // past ':'
		n := ValueLen(p)
		if n <= 0 || !fn(name, p[:n]) {
			return false
		}
		p = SkipSpace(p[n:])
	}
	return true
}

// ValueLen is the length of the valid JSON value at the start of p.
func ValueLen(p []byte) int {
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

func SkipSpace(p []byte) []byte {
	for len(p) > 0 && (p[0] == ' ' || p[0] == '\t' || p[0] == '\r' || p[0] == '\n') {
		p = p[1:]
	}
	return p
}

// ASCIIFold is strings.EqualFold for an ASCII name and a lower-case want.
func ASCIIFold(name []byte, want string) bool {
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
