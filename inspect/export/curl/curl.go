// Package curl writes a captured request as a curl command a developer can
// paste into a shell. It is shared by `swhook show --curl` and the live
// view's copy key, so both hand out the same, tested command; it is a leaf
// (it imports only exchange and termsafe) so the screen can use it without
// importing replay.
package curl

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/termsafe"
)

// Command returns a POSIX shell command that sends r again with curl: same
// method, r.URL (the URL the signature was made for), headers — signature
// included — and exact body bytes. Text is single-quoted; anything a
// terminal could misread (control bytes, invalid UTF-8) is written as printf
// octal escapes, so the command is both exact and safe to print.
//
// It sends what came in and nothing else: curl's own Content-Type (which
// --data adds), User-Agent and Accept are removed (-H 'Name:') when the
// original lacked them, and an empty header value is kept (-H 'Name;'), so
// a handler's signature check and content negotiation see the original.
// Left out: headers the connection computes (Host, Content-Length,
// hop-by-hop) and Accept-Encoding, so curl prints a readable answer. A body
// that was captured only in part is sent as captured, with a comment line
// that says so, because a command that silently sends less would lie.
func Command(r exchange.Request) string {
	return command(r, r.ResendHeaders())
}

// ForExchange is Command for a stored exchange: it also leaves out the
// headers swhook's own path added on the way in — X-Forwarded-For, -Proto
// and -Host from swhook's tunnel (sent again through it, they would be
// added twice) and a Via entry naming swhook — so the command resends what
// the sender sent.
func ForExchange(x *exchange.Exchange) string {
	h := x.Request.ResendHeaders()
	if x.Source == exchange.SourceTunnel {
		for _, k := range []string{"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host"} {
			h.Del(k)
		}
	}
	if vias := h.Values("Via"); len(vias) > 0 {
		var keep []string
		for _, v := range vias {
			for _, e := range strings.Split(v, ",") {
				if e = strings.TrimSpace(e); e != "" && !strings.Contains(strings.ToLower(e), "swhook") {
					keep = append(keep, e)
				}
			}
		}
		h.Del("Via")
		if len(keep) > 0 {
			h.Set("Via", strings.Join(keep, ", "))
		}
	}
	return command(x.Request, h)
}

func command(r exchange.Request, h http.Header) string {
	method := r.Method
	if method == "" {
		method = http.MethodPost
	}
	safeBody := shellSafe(string(r.Body)) && !strings.HasPrefix(string(r.Body), "@")
	var b strings.Builder
	if len(r.Body) > 0 && !safeBody {
		b.WriteString("printf '" + printfEscape(r.Body) + "' | ")
	}
	b.WriteString("curl --globoff")
	if !(method == http.MethodGet && len(r.Body) == 0) && !(method == http.MethodPost && len(r.Body) > 0) {
		b.WriteString(" -X " + shellQuote(method))
	}
	b.WriteString(" --url " + shellQuote(r.URL)) // --url: a URL is never read as an option

	h.Del("Accept-Encoding")
	names := slices.Sorted(maps.Keys(h))
	for _, k := range names {
		for _, v := range h[k] {
			if v == "" {
				b.WriteString(" \\\n  -H " + shellQuote(k+";")) // curl's spelling of an empty value
				continue
			}
			b.WriteString(" \\\n  -H " + shellQuote(k+": "+v))
		}
	}
	// curl adds these itself (Content-Type only with a body); "Name:"
	// removes one the original did not carry.
	for _, k := range []string{"Accept", "Content-Type", "User-Agent"} {
		if _, ok := h[k]; !ok && (k != "Content-Type" || len(r.Body) > 0) {
			b.WriteString(" \\\n  -H " + shellQuote(k+":"))
		}
	}
	switch {
	case len(r.Body) == 0:
	case safeBody:
		// Single quotes keep newlines (a substitution would drop trailing
		// ones); a body starting with @ goes through stdin instead, as
		// --data-binary would read @name as a file.
		b.WriteString(" \\\n  --data-binary '" + strings.ReplaceAll(string(r.Body), "'", `'\''`) + "'")
	default:
		b.WriteString(" \\\n  --data-binary @-")
	}
	if r.Truncated {
		fmt.Fprintf(&b, "\n# warning: only %d of %d body bytes were captured", len(r.Body), r.BodySize)
	}
	return b.String()
}

// shellSafe reports whether s can be printed inside single quotes as is:
// valid UTF-8 that termsafe leaves unchanged (newlines allowed, no tabs or
// carriage returns, which termsafe would rewrite).
func shellSafe(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsAny(s, "\t\r") && termsafe.Text(s) == s
}

// shellQuote quotes s for a POSIX shell. Strings a terminal could misread
// become "$(printf '…')", which command substitution reproduces exactly
// (they never end in a newline: they are header values and URLs).
func shellQuote(s string) string {
	if shellSafe(s) && !strings.Contains(s, "\n") {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return `"$(printf '` + printfEscape([]byte(s)) + `')"`
}

// printfEscape writes b as a printf format that prints exactly b: printable
// ASCII as itself, everything else (and %, \ and ') as a \ooo escape.
func printfEscape(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		if c >= 0x20 && c < 0x7f && c != '%' && c != '\\' && c != '\'' {
			s.WriteByte(c)
			continue
		}
		fmt.Fprintf(&s, `\%03o`, c)
	}
	return s.String()
}
