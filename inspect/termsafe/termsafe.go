// Package termsafe makes text from the network safe to draw on a terminal.
// A webhook's path, headers and body are chosen by whoever sent them; without
// this, an OSC sequence in a path could re-title the terminal, move the
// cursor or write to the clipboard. Every string from a request passes
// through here before it reaches a screen.
package termsafe

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// String returns s with every control character, escape sequence introducer
// and invalid UTF-8 byte replaced by a visible stand-in, on one line:
// newlines and tabs become visible too. Use it for single-line fields.
func String(s string) string {
	return clean(s, false)
}

// Text is String for multi-line text (bodies): it keeps newlines and turns
// tabs into spaces, and cleans everything else.
func Text(s string) string {
	return clean(s, true)
}

func clean(s string, multiline bool) string {
	if isSafe(s, multiline) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString("\uFFFD")
		case multiline && r == '\n':
			b.WriteByte('\n')
		case multiline && r == '\t':
			b.WriteString("    ")
		case multiline && r == '\r':
			// A CR would let text overwrite what is already on the line.
		case r < 0x20:
			b.WriteRune(0x2400 + r) // ␛, ␊, ␀: the Control Pictures block
		case r == 0x7f:
			b.WriteRune('\u2421') // ␡
		case unsafeRune(r):
			b.WriteRune('\uFFFD')
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func isSafe(s string, multiline bool) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			if multiline && c == '\n' {
				continue
			}
			return false
		}
		if c >= 0x80 {
			// Decode the rest the slow way.
			for _, r := range s[i:] {
				if r == utf8.RuneError || unsafeRune(r) || r < 0x20 || r == 0x7f {
					return false
				}
			}
			return true
		}
	}
	return true
}

// unsafeRune reports runes terminals treat as controls (C1: 0x80–0x9f, where
// 0x9b is a one-byte CSI) and bidirectional overrides, which can make text
// read differently from what it is.
func unsafeRune(r rune) bool {
	if r >= 0x80 && r <= 0x9f {
		return true
	}
	switch r {
	case '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069':
		return true
	}
	return unicode.Is(unicode.Cc, r)
}
