// Package pretty turns a webhook body into something a person can read —
// form parameters as a table, JSON and XML indented — for `swhook show` and
// the live view's detail pane. It never changes what is stored or sent.
//
// Everything here is tolerant: a webhook body is whatever someone sent, and
// a body that cannot be prettified is shown as it is rather than hidden
// behind an error.
package pretty

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/swhook/swhook/inspect/signature"
)

// Param is one form parameter, in submission order.
type Param struct {
	Name, Value string
}

// Params parses a form-encoded body (or a query string, with contentType
// "") into its parameters, in order, values decoded. Order and repeats are
// kept because SignalWire's form signature depends on them. Malformed
// escapes ("%zz", a lone "%") are kept literally rather than failing the
// whole body. ok is false when the body is not a form: another content type,
// or (with no content type) text that does not look like one.
func Params(contentType string, body []byte) (params []Param, ok bool) {
	switch mediaType(contentType) {
	case "application/x-www-form-urlencoded":
	case "":
		if !looksLikeForm(body) {
			return nil, false
		}
	default:
		return nil, false
	}
	// The signature check reads the form the same way; sharing its parser
	// means the table shows exactly the parameters that were signed.
	parsed, _ := signature.ParseForm(string(body))
	for _, p := range parsed {
		params = append(params, Param{Name: p.Key, Value: p.Value})
	}
	return params, true
}

// looksLikeForm says whether a body with no content type reads as
// name=value pairs: printable ASCII without spaces, and an '='.
func looksLikeForm(b []byte) bool {
	if len(b) == 0 || bytes.IndexByte(b, '=') < 0 {
		return false
	}
	for _, c := range b {
		if c <= ' ' || c >= 0x7f || c == '{' || c == '<' || c == '"' {
			return false
		}
	}
	return true
}

func mediaType(contentType string) string {
	if contentType == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt, _, _ = strings.Cut(contentType, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
	}
	return mt
}

// hexLimit is how much of a binary body the hex dump shows: enough to
// recognise a file type, short enough for a screen.
const hexLimit = 256

// Body returns the body indented for reading according to its content type
// (form, JSON, XML; anything else as text, binary as a hex dump excerpt).
// The result is not yet terminal-safe: pass it through termsafe.Text.
func Body(contentType string, body []byte) string {
	if len(body) == 0 {
		return ""
	}
	if isBinary(body) {
		return hexDump(body)
	}
	mt := mediaType(contentType)
	switch {
	case mt == "application/x-www-form-urlencoded":
		if params, _ := Params(mt, body); len(params) > 0 {
			return formTable(params)
		}
	case isJSONType(mt):
		if s, ok := indentJSON(body); ok {
			return s
		}
	case isXMLType(mt):
		if s, ok := indentXML(body); ok {
			return s
		}
	case mt == "" || mt == "text/plain" || mt == "application/octet-stream":
		// Sniff: people and SDKs often send JSON or XML without saying so.
		t := bytes.TrimSpace(body)
		switch {
		case len(t) > 0 && (t[0] == '{' || t[0] == '['):
			if s, ok := indentJSON(body); ok {
				return s
			}
		case len(t) > 0 && t[0] == '<':
			if s, ok := indentXML(body); ok {
				return s
			}
		case mt == "":
			if params, ok := Params("", body); ok && len(params) > 0 {
				return formTable(params)
			}
		}
	}
	return string(body)
}

func isJSONType(mt string) bool {
	return mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json")
}

func isXMLType(mt string) bool {
	return mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml")
}

// isBinary says a body is not text: invalid UTF-8, or control bytes other
// than whitespace.
func isBinary(b []byte) bool {
	if !utf8.Valid(b) {
		return true
	}
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' {
			return true
		}
	}
	return false
}

func hexDump(b []byte) string {
	n := min(len(b), hexLimit)
	s := hex.Dump(b[:n])
	if len(b) > n {
		return fmt.Sprintf("%s… binary, %d bytes (first %d shown)", s, len(b), n)
	}
	return fmt.Sprintf("%sbinary, %d bytes", s, len(b))
}

// maxNameWidth keeps one absurdly long parameter name from pushing every
// value off the screen.
const maxNameWidth = 32

// FormTable lines parameters up as "Name  Value", a value's extra lines
// indented under its first: the Parameters section of `swhook show`, which
// is the parsed form whatever bytes the body holds (a control byte in a
// value would make Body a hex dump). Not yet terminal-safe, as Body.
func FormTable(params []Param) string { return formTable(params) }

// formTable lines parameters up as "Name  Value"; a value's extra lines are
// indented under its first.
func formTable(params []Param) string {
	w := 0
	for _, p := range params {
		w = max(w, min(utf8.RuneCountInString(p.Name), maxNameWidth))
	}
	var b strings.Builder
	pad := strings.Repeat(" ", w+2)
	for i, p := range params {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.Name)
		if n := utf8.RuneCountInString(p.Name); n < w+2 {
			b.WriteString(pad[:w+2-n])
		} else {
			b.WriteString("  ")
		}
		b.WriteString(strings.ReplaceAll(p.Value, "\n", "\n"+pad))
	}
	return b.String()
}

func indentJSON(body []byte) (string, bool) {
	var out bytes.Buffer
	if err := json.Indent(&out, bytes.TrimSpace(body), "", "  "); err != nil {
		return "", false
	}
	return out.String(), true
}

// indentXML re-lays out well-formed XML one element per line, text-only
// elements on one line. It reads raw tokens (no namespace rewriting) and
// checks nesting itself; anything not well-formed is reported !ok so the
// caller shows it as sent.
func indentXML(body []byte) (string, bool) {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	d.Entity = xml.HTMLEntity
	var (
		out      strings.Builder
		stack    []string
		pending  *xml.StartElement // a start tag not yet closed with '>'
		text     string            // text seen since pending
		sawRoot  bool
		children = []bool{} // per open element: has it child elements
	)
	indent := func(depth int) {
		if out.Len() > 0 {
			out.WriteByte('\n')
		}
		out.WriteString(strings.Repeat("  ", depth))
	}
	flush := func() {
		if pending != nil {
			out.WriteByte('>')
			if text != "" {
				indent(len(stack))
				writeEscaped(&out, text)
			}
			pending, text = nil, ""
		}
	}
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", false
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 && sawRoot {
				return "", false // two roots
			}
			sawRoot = true
			flush()
			if len(children) > 0 {
				children[len(children)-1] = true
			}
			indent(len(stack))
			out.WriteString("<" + qname(t.Name))
			for _, a := range t.Attr {
				out.WriteString(" " + qname(a.Name) + `="`)
				writeEscaped(&out, a.Value)
				out.WriteByte('"')
			}
			tc := t
			pending = &tc
			stack = append(stack, qname(t.Name))
			children = append(children, false)
		case xml.EndElement:
			if len(stack) == 0 || stack[len(stack)-1] != qname(t.Name) {
				return "", false
			}
			stack = stack[:len(stack)-1]
			hadChildren := children[len(children)-1]
			children = children[:len(children)-1]
			switch {
			case pending != nil && text == "":
				out.WriteString("/>")
				pending = nil
			case pending != nil:
				out.WriteByte('>')
				writeEscaped(&out, text)
				out.WriteString("</" + qname(t.Name) + ">")
				pending, text = nil, ""
			default:
				if hadChildren {
					indent(len(stack))
				}
				out.WriteString("</" + qname(t.Name) + ">")
			}
		case xml.CharData:
			s := strings.TrimSpace(string(t))
			if s == "" {
				continue
			}
			if len(stack) == 0 {
				return "", false // text outside the root
			}
			if pending != nil && !children[len(children)-1] {
				text += s
				continue
			}
			flush()
			indent(len(stack))
			writeEscaped(&out, s)
		case xml.Comment:
			flush()
			indent(len(stack))
			out.WriteString("<!--" + string(t) + "-->")
		case xml.ProcInst:
			flush()
			indent(len(stack))
			out.WriteString("<?" + t.Target)
			if len(t.Inst) > 0 {
				out.WriteString(" " + string(t.Inst))
			}
			out.WriteString("?>")
		case xml.Directive:
			flush()
			indent(len(stack))
			out.WriteString("<!" + string(t) + ">")
		}
	}
	if len(stack) > 0 || !sawRoot {
		return "", false
	}
	return out.String(), true
}

func qname(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

func writeEscaped(b *strings.Builder, s string) {
	var buf bytes.Buffer
	_ = xml.EscapeText(&buf, []byte(s))
	// EscapeText turns newlines into &#xA;; keep them readable.
	b.WriteString(strings.ReplaceAll(buf.String(), "&#xA;", "\n"))
}
