package tui

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/swhook/swhook/inspect/exchange"
)

// skipHeaders are set by curl itself or by the tunnel on the way in;
// repeating them would lie about the request or break it.
var skipHeaders = map[string]bool{
	"Host": true, "Content-Length": true, "Connection": true, "Transfer-Encoding": true,
	"Accept-Encoding": true, "X-Forwarded-For": true, "X-Forwarded-Proto": true,
	"X-Forwarded-Host": true, "X-Forwarded-Port": true,
}

// Curl is a POSIX shell command that sends x's request again, byte for byte,
// to the URL its signature was checked against (so the signature still
// verifies). Every word is shell-quoted; a body that is not plain text is fed
// through printf so no byte is lost. The result may hold any byte the sender
// chose: sanitise it before drawing it.
func Curl(x *exchange.Exchange) string {
	r := x.Request
	var b strings.Builder
	body := []byte(r.Body)
	binary := len(body) > 0 && !plainText(string(body))
	if binary {
		b.WriteString("printf '%b' ")
		b.WriteString(octalQuote(body))
		b.WriteString(" | ")
	}
	b.WriteString("curl")
	method := r.Method
	if method == "" {
		method = http.MethodPost
	}
	if method != http.MethodGet || len(body) > 0 {
		b.WriteString(" -X " + shellQuote(method))
	}
	b.WriteString(" " + shellQuote(r.URL))
	names := make([]string, 0, len(r.Headers))
	for k := range r.Headers {
		if !skipHeaders[http.CanonicalHeaderKey(k)] {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range r.Headers[k] {
			b.WriteString(" \\\n  -H " + shellQuote(k+": "+v))
		}
	}
	switch {
	case binary:
		b.WriteString(" \\\n  --data-binary @-")
	case len(body) > 0:
		b.WriteString(" \\\n  --data-binary " + shellQuote(string(body)))
	}
	if r.Truncated {
		fmt.Fprintf(&b, "\n# warning: only %d of %d body bytes were captured", len(body), r.BodySize)
	}
	return b.String()
}

// plainText says s can sit inside single quotes as is: valid UTF-8 with no
// control characters but newline and tab.
func plainText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
			return false
		}
	}
	return true
}

// shellQuote quotes one word for a POSIX shell. Words with control bytes are
// built by printf at run time instead.
func shellQuote(s string) string {
	if !plainText(s) {
		return `"$(printf '%b' ` + octalQuote([]byte(s)) + `)"`
	}
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@%+=,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// octalQuote writes bytes for printf's %b: printable ASCII as is (quoted),
// everything else as \0ooo.
func octalQuote(p []byte) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, c := range p {
		switch {
		case c == '\'':
			b.WriteString(`\0047`)
		case c == '\\':
			b.WriteString(`\0134`)
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, `\0%03o`, c)
		}
	}
	b.WriteByte('\'')
	return b.String()
}
