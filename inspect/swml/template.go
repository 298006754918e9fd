package swml

import (
	"errors"
	"strings"

	"github.com/dop251/goja/parser"
)

// Part is a piece of a string value: literal text, or a ${...} / %{...}
// placeholder.
type Part struct {
	Lit string
	// Expr is the placeholder's body, trimmed; empty for literal text.
	Expr string
	// Path says Expr is a plain variable path (call.from,
	// request_response.items[0].name), looked up rather than evaluated.
	Path bool
}

// HasExpression says whether s holds a placeholder, whose value is known
// only when the call runs.
func HasExpression(s string) bool {
	return strings.Contains(s, "${") || strings.Contains(s, "%{")
}

// SplitTemplate cuts s into literal text and placeholders. In calling SWML
// ${...} and %{...} are the same; a body that is not a plain path is
// JavaScript. Messaging SWML knows only %{path}: anything else stays text.
func SplitTemplate(s string, f Flavor) ([]Part, error) {
	if !HasExpression(s) {
		return []Part{{Lit: s}}, nil
	}
	var parts []Part
	var lit strings.Builder
	for i := 0; i < len(s); {
		c := s[i]
		if (c == '$' || c == '%') && i+1 < len(s) && s[i+1] == '{' && !(f == Messaging && c == '$') {
			end := matchBrace(s, i+2)
			if end < 0 {
				if f == Messaging {
					lit.WriteString(s[i:])
					break
				}
				return nil, errors.New("unterminated " + string(c) + "{ (no closing })")
			}
			body := strings.TrimSpace(s[i+2 : end])
			path := IsPath(body)
			if f == Messaging && !path {
				lit.WriteString(s[i : end+1])
				i = end + 1
				continue
			}
			if lit.Len() > 0 {
				parts = append(parts, Part{Lit: lit.String()})
				lit.Reset()
			}
			parts = append(parts, Part{Expr: body, Path: path})
			i = end + 1
			continue
		}
		lit.WriteByte(c)
		i++
	}
	if lit.Len() > 0 {
		parts = append(parts, Part{Lit: lit.String()})
	}
	return parts, nil
}

// matchBrace finds the } closing a placeholder whose body starts at i,
// skipping nested braces and JavaScript string literals.
func matchBrace(s string, i int) int {
	depth := 0
	for ; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'', '"', '`':
			j := i + 1
			for ; j < len(s) && s[j] != c; j++ {
				if s[j] == '\\' {
					j++
				}
			}
			if j >= len(s) {
				return -1
			}
			i = j
		case '{':
			depth++
		case '}':
			if depth == 0 {
				return i
			}
			depth--
		}
	}
	return -1
}

// IsPath says whether s is a plain variable path: names joined by dots
// (a name after a dot may hold '-', as request_response_headers.content-type
// does) with [N] indexes.
func IsPath(s string) bool {
	if s == "" {
		return false
	}
	first := true
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '.' && !first:
			i++
			if i >= len(s) || !nameStart(s[i]) {
				return false
			}
			for i < len(s) && (nameByte(s[i]) || s[i] == '-') {
				i++
			}
		case c == '[' && !first:
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j == i+1 || j >= len(s) || s[j] != ']' {
				return false
			}
			i = j + 1
		case first && nameStart(c):
			for i < len(s) && nameByte(s[i]) {
				i++
			}
			first = false
		default:
			return false
		}
	}
	return true
}

func nameStart(c byte) bool {
	return c == '_' || c == '$' || (c|0x20) >= 'a' && (c|0x20) <= 'z'
}

func nameByte(c byte) bool {
	return nameStart(c) || c >= '0' && c <= '9'
}

// MaxExpression is the size SignalWire asks expressions to stay under.
const MaxExpression = 1024

// checkJS says whether src parses as a JavaScript expression.
func checkJS(src string) error {
	if len(src) > 64<<10 {
		return errors.New("expression too long to check")
	}
	_, err := parser.ParseFile(nil, "", "("+src+"\n)", 0)
	if err != nil {
		return errors.New(firstLine(jsErrorText(err)))
	}
	return nil
}

func jsErrorText(err error) string {
	var list parser.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		return list[0].Message
	}
	return err.Error()
}
