package exchange

import "unicode/utf8"

// EscapeControls rewrites, in JSON text, every C1 control (U+0080–U+009F)
// and every bidirectional control (U+200E, U+200F, U+202A–U+202E,
// U+2066–U+2069) as a \uXXXX escape: the same decoded value, still valid
// JSON, but nothing a terminal acts on when `listen --json` or `show --json`
// is read there — encoding/json writes these runes raw, and a sender chooses
// them. b must be JSON encoding/json wrote (valid UTF-8: outside strings only
// ASCII), so such a rune can only be inside a string. b is rewritten in a
// new slice only when it holds one.
func EscapeControls(b []byte) []byte {
	i := firstControl(b)
	if i < 0 {
		return b
	}
	out := make([]byte, 0, len(b)+16)
	for i >= 0 {
		r, size := utf8.DecodeRune(b[i:])
		out = append(out, b[:i]...)
		out = appendRuneEscape(out, r)
		b = b[i+size:]
		i = firstControl(b)
	}
	return append(out, b...)
}

// escapedRune says whether r is one EscapeControls and AppendJSON escape.
func escapedRune(r rune) bool {
	return r >= 0x80 && r <= 0x9f || r == 0x200e || r == 0x200f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

func appendRuneEscape(b []byte, r rune) []byte {
	return append(b, '\\', 'u', hexDigits[r>>12&0xF], hexDigits[r>>8&0xF], hexDigits[r>>4&0xF], hexDigits[r&0xF])
}

// firstControl is the offset of the first escapedRune in b, or -1: only a
// 0xC2 (C1) or 0xE2 (bidi) byte can start one, so only those are decoded.
func firstControl(b []byte) int {
	for j := 0; j < len(b); j++ {
		if c := b[j]; c == 0xc2 || c == 0xe2 {
			if r, _ := utf8.DecodeRune(b[j:]); escapedRune(r) {
				return j
			}
		}
	}
	return -1
}
