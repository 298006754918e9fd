package exchange

import (
	"encoding/base64"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// AppendJSON appends x's JSON object exactly as json.Marshal writes it and
// EscapeControls then makes it terminal-safe — same fields, order, omissions
// and escaping (HTML-safe, U+2028/2029, invalid UTF-8 as U+FFFD, C1 and bidi
// controls as \u escapes) — without reflection, the nested Marshal calls
// of Request and Response, or re-compacting their output: `listen --json`
// writes one per webhook and the store one per Save, and Marshal cost ten
// times more than either needs. ok is false for what json.Marshal refuses
// or writes through a path this does not copy (a duration that is not a
// finite number, a time it cannot write as RFC 3339); the caller then uses
// json.Marshal.
func AppendJSON(b []byte, x *Exchange) ([]byte, bool) {
	if math.IsInf(x.Response.DurationMS, 0) || math.IsNaN(x.Response.DurationMS) {
		return b, false
	}
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, x.ID, 10)
	b = append(b, `,"time":`...)
	var ok bool
	if b, ok = appendTimeJSON(b, x.Time); !ok {
		return b, false
	}
	b = append(b, `,"source":`...)
	b = appendJSONString(b, string(x.Source))
	if x.ReplayOf != 0 {
		b = append(b, `,"replay_of":`...)
		b = strconv.AppendInt(b, x.ReplayOf, 10)
	}
	if x.Forward != "" {
		b = append(b, `,"forward":`...)
		b = appendJSONString(b, x.Forward)
	}
	if x.Listener != "" {
		b = append(b, `,"listener":`...)
		b = appendJSONString(b, x.Listener)
	}
	if x.Call != (CallRef{}) {
		b = append(b, `,"call":{"id":`...)
		b = appendJSONString(b, x.Call.ID)
		if x.Call.Parent != "" {
			b = append(b, `,"parent":`...)
			b = appendJSONString(b, x.Call.Parent)
		}
		b = append(b, '}')
	}

	q := &x.Request
	b = append(b, `,"request":{"method":`...)
	b = appendJSONString(b, q.Method)
	b = append(b, `,"url":`...)
	b = appendJSONString(b, q.URL)
	b = append(b, `,"path":`...)
	b = appendJSONString(b, q.Path)
	if q.Query != "" {
		b = append(b, `,"query":`...)
		b = appendJSONString(b, q.Query)
	}
	if q.Host != "" {
		b = append(b, `,"host":`...)
		b = appendJSONString(b, q.Host)
	}
	b = append(b, `,"headers":`...)
	b = appendHeaderJSON(b, q.Headers)
	b = append(b, `,"body_size":`...)
	b = strconv.AppendInt(b, q.BodySize, 10)
	b = append(b, `,"truncated":`...)
	b = strconv.AppendBool(b, q.Truncated)
	if q.RemoteAddr != "" {
		b = append(b, `,"remote_addr":`...)
		b = appendJSONString(b, q.RemoteAddr)
	}
	b = appendBodyJSON(b, q.Body)
	b = append(b, '}')

	b = append(b, `,"event":{"kind":`...)
	b = appendJSONString(b, string(x.Event.Kind))
	if x.Event.Detail != "" {
		b = append(b, `,"detail":`...)
		b = appendJSONString(b, x.Event.Detail)
	}
	b = append(b, '}')

	s := &x.Signature
	b = append(b, `,"signature":{"status":`...)
	b = appendJSONString(b, string(s.Status))
	if s.Scheme != "" {
		b = append(b, `,"scheme":`...)
		b = appendJSONString(b, s.Scheme)
	}
	if s.Header != "" {
		b = append(b, `,"header":`...)
		b = appendJSONString(b, s.Header)
	}
	if s.Hint != "" {
		b = append(b, `,"hint":`...)
		b = appendJSONString(b, s.Hint)
	}
	b = append(b, '}')

	r := &x.Response
	b = append(b, `,"response":{"status":`...)
	b = strconv.AppendInt(b, int64(r.Status), 10)
	if len(r.Headers) > 0 {
		b = append(b, `,"headers":`...)
		b = appendHeaderJSON(b, r.Headers)
	}
	b = append(b, `,"body_size":`...)
	b = strconv.AppendInt(b, r.BodySize, 10)
	if r.Truncated {
		b = append(b, `,"truncated":true`...)
	}
	b = append(b, `,"duration_ms":`...)
	b = appendFloatJSON(b, r.DurationMS)
	if r.Error != "" {
		b = append(b, `,"error":`...)
		b = appendJSONString(b, r.Error)
	}
	b = append(b, `,"forwarded":`...)
	b = strconv.AppendBool(b, r.Forwarded)
	b = appendBodyJSON(b, r.Body)
	b = append(b, '}')

	b = append(b, `,"response_check":{"status":`...)
	b = appendJSONString(b, string(x.ResponseCheck.Status))
	if x.ResponseCheck.Message != "" {
		b = append(b, `,"message":`...)
		b = appendJSONString(b, x.ResponseCheck.Message)
	}
	return append(b, `}}`...), true
}

// appendBodyJSON is the "body" and "body_encoding" members Request's and
// Response's MarshalJSON add: the text when it is UTF-8, else its base64.
func appendBodyJSON(b []byte, body Body) []byte {
	b = append(b, `,"body":`...)
	if utf8.Valid(body) {
		b = appendJSONString(b, []byte(body))
		return append(b, `,"body_encoding":"`+EncodingUTF8+`"`...)
	}
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, body) // no character base64 uses needs escaping
	return append(b, `","body_encoding":"`+EncodingBase64+`"`...)
}

// appendHeaderJSON writes a header map as json.Marshal does: null when nil,
// keys sorted, a nil value list as null.
func appendHeaderJSON(b []byte, h http.Header) []byte {
	if h == nil {
		return append(b, "null"...)
	}
	var small [16]string
	keys := small[:0]
	for k := range h {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, strings.Compare)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		vs := h[k]
		if vs == nil {
			b = append(b, "null"...)
			continue
		}
		b = append(b, '[')
		for j, v := range vs {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, v)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendTimeJSON is time.Time's MarshalJSON; ok is false for the times it
// refuses (a year outside 0-9999, a zone offset of 24 hours or more).
func appendTimeJSON(b []byte, t time.Time) ([]byte, bool) {
	b = append(b, '"')
	n0 := len(b)
	b = t.AppendFormat(b, time.RFC3339Nano)
	if len(b)-n0 < len("2006-01-02T15:04:05Z") || b[n0+4] != '-' {
		return b, false
	}
	if b[len(b)-1] != 'Z' {
		c := b[len(b)-len("Z07:00")]
		h := 10*(b[len(b)-5]-'0') + (b[len(b)-4] - '0')
		if '0' <= c && c <= '9' || h >= 24 {
			return b, false
		}
	}
	return append(b, '"'), true
}

// appendFloatJSON writes a finite float64 as json.Marshal does (ES6 number
// formatting).
func appendFloatJSON(b []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 to e-9, as encoding/json cleans it up
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// AppendJSONString appends s as a JSON string exactly as AppendJSON writes
// its strings (HTML-safe, invalid UTF-8 as U+FFFD, C1 and bidi controls as
// \u escapes), for a writer of another JSON shape of an exchange's values —
// the store's summary — whose strings must decode to what AppendJSON's do.
func AppendJSONString(b []byte, s string) []byte { return appendJSONString(b, s) }

const hexDigits = "0123456789abcdef"

// appendJSONString is encoding/json's string encoding with HTML escaping,
// as json.Marshal uses it, and EscapeControls' escapes.
func appendJSONString[S string | []byte](b []byte, s S) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		n := min(len(s)-i, utf8.UTFMax)
		r, size := utf8.DecodeRuneInString(string(s[i : i+n])) // at most 4 bytes: no allocation
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		case escapedRune(r):
			b = append(b, s[start:i]...)
			b = appendRuneEscape(b, r)
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
