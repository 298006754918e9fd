// Package logview writes a listen session for something other than a
// person at a full-screen terminal: one plain line per webhook for a pipe
// or a log file, or NDJSON for scripts. Everything that came from the
// network is sanitised (termsafe) before it is written as text.
package logview

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/human"
	"github.com/swhook/swhook/inspect/termsafe"
)

// Ready is what a session says first: where to send webhooks.
type Ready struct {
	PublicURL string // "" when there is no public URL (yet)
	LocalURL  string
	Forward   string // "" when swhook answers itself
	Respond   string // the file swhook answers with instead of its defaults
	KeySet    bool
	// Notes are one-line remarks shown after the addresses (plain only),
	// e.g. why there is no public tunnel.
	Notes []string
}

// TunnelEvent is a tunnel state change (tunnel.Status without the import,
// so this package stays below the tunnel layer).
type TunnelEvent struct {
	Time       time.Time
	State      string
	URL        string
	Message    string
	URLChanged bool
	PrevURL    string
}

// RejectedEvent is a request Go's HTTP server refused before swhook's
// handler saw it (inspect.Rejected without the import): no exchange, so
// this line is its only trace.
type RejectedEvent struct {
	Time   time.Time
	Peer   string
	Status int
	Reason string
}

// View is one output mode.
type View interface {
	Ready(r Ready) error
	Exchange(x *exchange.Exchange) error
	Tunnel(t TunnelEvent) error
	Rejected(r RejectedEvent) error
}

// Plain writes human-readable lines.
type Plain struct {
	mu      sync.Mutex
	w       io.Writer
	keySet  bool
	loc     *time.Location
	forward string // from Ready: a tunnel that comes up says where it leads
	buf     []byte // the line being written, reused (guarded by mu)
}

// Mapping is "public -> forward", the line a developer looks for first: the
// URL to paste into the dashboard and the handler it reaches.
func Mapping(from, forward string) string {
	return termsafe.String(from) + " -> " + termsafe.String(forward)
}

// NewPlain writes to w, showing times in loc (nil: local time).
func NewPlain(w io.Writer, keySet bool, loc *time.Location) *Plain {
	if loc == nil {
		loc = time.Local
	}
	return &Plain{w: w, keySet: keySet, loc: loc}
}

// Ready prints where to send webhooks, then what happens to them.
func (p *Plain) Ready(r Ready) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.forward = r.Forward
	var b strings.Builder
	shown := r.PublicURL
	if shown == "" {
		shown = r.LocalURL
	}
	fmt.Fprintf(&b, "Send webhooks to  %s\n", termsafe.String(shown))
	if r.Forward != "" {
		// The mapping the way ngrok prints it: which URL ends up where.
		fmt.Fprintf(&b, "Forwarding        %s\n", Mapping(shown, r.Forward))
	} else if r.Respond != "" {
		fmt.Fprintf(&b, "Forwarding        (none) swhook answers every webhook with %s\n", termsafe.String(r.Respond))
	} else {
		b.WriteString("Forwarding        (none) swhook answers itself: empty cXML, 200 for callbacks, hangup SWML\n")
	}
	if r.PublicURL != "" {
		fmt.Fprintf(&b, "Local listener    %s\n", termsafe.String(r.LocalURL))
	}
	if !r.KeySet {
		b.WriteString("Signing key       none: every badge will read \"unchecked\" (pass --signing-key or set $SIGNALWIRE_SIGNING_KEY)\n")
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "Note              %s\n", termsafe.String(n))
	}
	_, err := io.WriteString(p.w, b.String())
	return err
}

// Badge is the signature badge as plain text, in the vocabulary every
// view shares (inspect/human), so a log and the screen agree.
func Badge(s exchange.Signature) string { return human.SigBadge(s.Status) }

// Line is one exchange's summary line: time, method, path, event,
// signature badge, status, duration.
func Line(x *exchange.Exchange, keySet bool, loc *time.Location) string {
	return string(appendLine(make([]byte, 0, 128), x, keySet, loc))
}

// appendLine is Line appended to b. It runs once per webhook on the hot
// path, so it appends instead of going through fmt (the same text, column
// widths counted in runes as fmt counts them).
func appendLine(b []byte, x *exchange.Exchange, keySet bool, loc *time.Location) []byte {
	b = appendClock(b, x.Time.In(loc))
	b = append(b, ' ')
	// A short call label, so interleaved calls can be told apart.
	b = appendPadded(b, callLabel(x.Call.Group()), callLabelWidth)
	b = append(b, ' ')
	if x.ID != 0 {
		n := len(b)
		b = append(b, '#')
		b = strconv.AppendInt(b, x.ID, 10)
		b = padASCII(b, n, 6)
	} else {
		b = append(b, "#-    "...)
	}
	b = append(b, ' ')
	// The event column fits the longest kind and detail SignalWire sends
	// ("message.status undelivered"), so the badges line up.
	if m := x.Request.Method; plainASCII(m) {
		b = padASCII(append(b, m...), len(b), 6)
	} else {
		b = appendPadded(b, termsafe.String(m), 6)
	}
	b = append(b, ' ')
	b = appendPath(b, x.Request.Path, x.Request.Query)
	b = append(b, ' ')
	b = appendEvent(b, x.Event)
	b = append(b, ' ')
	b = appendBadge(b, x.Signature.Status)
	b = append(b, ' ')
	n := len(b)
	if b = human.AppendStatusText(b, x.Response); len(b) == n {
		b = append(b, '-')
	}
	b = padLeft(b, n, 3)
	b = append(b, ' ')
	n = len(b)
	b = appendTenths(b, x.Response.DurationMS)
	b = padLeft(b, n, 7)
	b = append(b, "ms"...)
	switch x.Source {
	case exchange.SourceReplay:
		if x.ReplayOf != 0 {
			b = append(b, "  (replay of #"...)
			b = strconv.AppendInt(b, x.ReplayOf, 10)
			b = append(b, ')')
		} else {
			b = append(b, "  (replay)"...)
		}
	case exchange.SourceTrigger:
		b = append(b, "  (trigger)"...)
	case exchange.SourceCall:
		b = append(b, "  (call)"...)
	}
	return b
}

// appendBadge is Badge padded to its column, without building the string.
func appendBadge(b []byte, s exchange.SignatureStatus) []byte {
	mark, word := human.SigMark(s), human.SigWord(s)
	b = append(b, mark...)
	b = append(b, ' ')
	b = append(b, word...)
	for n := utf8.RuneCountInString(mark) + 1 + utf8.RuneCountInString(word); n < human.SigBadgeWidth; n++ {
		b = append(b, ' ')
	}
	return b
}

// appendTenths is strconv.AppendFloat(b, v, 'f', 1, 64) for a duration:
// the common case in integer arithmetic, anything near a rounding tie (or
// negative, huge, not a number) through strconv, so the text is the same.
func appendTenths(b []byte, v float64) []byte {
	if v >= 0 && v < 1e9 && !math.Signbit(v) {
		// t is the exact 10v rounded once, and every tie k+0.5 below
		// 1e10 is a float, so t lies on the same side of each tie as 10v
		// or on it: only near one (a margin to spare) is strconv asked.
		t := v * 10
		f := math.Floor(t)
		if d := t - f; d < 0.5-1e-4 || d > 0.5+1e-4 {
			q := int64(f)
			if d > 0.5 {
				q++
			}
			b = strconv.AppendInt(b, q/10, 10)
			return append(b, '.', byte('0'+q%10))
		}
	}
	return strconv.AppendFloat(b, v, 'f', 1, 64)
}

// appendClock is t.AppendFormat(b, "15:04:05.000") without interpreting
// the layout: fractional seconds are truncated, as Format does.
func appendClock(b []byte, t time.Time) []byte {
	h, m, s := t.Clock()
	ms := t.Nanosecond() / 1e6
	return append(b, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+m/10), byte('0'+m%10), ':',
		byte('0'+s/10), byte('0'+s%10), '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
}

// plainASCII says whether s is printable ASCII only: termsafe leaves it as
// it is and every byte is one column, so it can be laid out without
// building the sanitised string first.
func plainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// appendPath is the path column: path?query cut to 60 runes, sanitised,
// padded to 28.
func appendPath(b []byte, path, query string) []byte {
	if !plainASCII(path) || !plainASCII(query) {
		if query != "" {
			path += "?" + query
		}
		return appendPadded(b, termsafe.String(truncate(path, 60)), 28)
	}
	from := len(b)
	b = append(b, path...)
	if query != "" {
		b = append(b, '?')
		b = append(b, query...)
	}
	if n := len(b) - from; n > 60 {
		b = append(b[:from+59], "…"...)
		return b // 60 columns: wider than the padding
	}
	for n := len(b) - from; n < 28; n++ {
		b = append(b, ' ')
	}
	return b
}

// appendEvent is the event column: kind and detail, sanitised, padded to
// 26 so the badges line up for the longest event SignalWire sends
// ("message.status undelivered").
func appendEvent(b []byte, e exchange.Event) []byte {
	kind := string(e.Kind)
	if kind == "" {
		kind = string(exchange.KindUnknown)
	}
	if !plainASCII(kind) || !plainASCII(e.Detail) {
		ev := kind
		if e.Detail != "" {
			ev += " " + e.Detail
		}
		return appendPadded(b, termsafe.String(ev), 26)
	}
	from := len(b)
	b = append(b, kind...)
	if e.Detail != "" {
		b = append(b, ' ')
		b = append(b, e.Detail...)
	}
	for n := len(b) - from; n < 26; n++ {
		b = append(b, ' ')
	}
	return b
}

// callLabelWidth is the call label's column: the first 8 characters of a
// call ID (a UUID's first group) tell a screenful of calls apart.
const callLabelWidth = 8

// callLabel is a call ID cut to the label column; "-" for a webhook that
// names no call.
func callLabel(id string) string {
	if id == "" {
		return "-"
	}
	if plainASCII(id) {
		if len(id) > callLabelWidth {
			return id[:callLabelWidth]
		}
		return id
	}
	r := []rune(termsafe.String(id))
	return string(r[:min(len(r), callLabelWidth)])
}

// appendPadded appends s and spaces up to width runes (fmt's %-Ns).
func appendPadded(b []byte, s string, width int) []byte {
	b = append(b, s...)
	for n := utf8.RuneCountInString(s); n < width; n++ {
		b = append(b, ' ')
	}
	return b
}

// padASCII fills b[from:], ASCII only, with trailing spaces up to width.
func padASCII(b []byte, from, width int) []byte {
	for n := len(b) - from; n < width; n++ {
		b = append(b, ' ')
	}
	return b
}

// padLeft right-aligns b[from:], ASCII only (digits, "ERR"), in width
// columns (fmt's %Ns).
func padLeft(b []byte, from, width int) []byte {
	n := len(b) - from
	if n >= width {
		return b
	}
	k := width - n
	b = append(b, make([]byte, k)...)
	copy(b[from+k:], b[from:len(b)-k])
	for i := from; i < from+k; i++ {
		b[i] = ' '
	}
	return b
}

// Warnings are the loud lines under an exchange: what a developer must fix.
func Warnings(x *exchange.Exchange) []string {
	var w []string
	if x.Response.Error != "" {
		w = append(w, "HANDLER ERROR: "+termsafe.String(x.Response.Error))
	}
	if x.Signature.Status == exchange.SigInvalid && x.Signature.Hint != "" {
		w = append(w, "signature: "+termsafe.String(x.Signature.Hint))
	}
	switch x.ResponseCheck.Status {
	case exchange.CheckWarning, exchange.CheckError:
		w = append(w, "ANSWER "+human.CheckBadge(x.ResponseCheck.Status)+": "+termsafe.String(x.ResponseCheck.Message))
	}
	if x.Request.Truncated {
		w = append(w, fmt.Sprintf("request body kept truncated: %d of %d bytes", len(x.Request.Body), x.Request.BodySize))
	}
	return w
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// Exchange prints the summary line and any warnings under it.
func (p *Plain) Exchange(x *exchange.Exchange) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	b := appendLine(p.buf[:0], x, p.keySet, p.loc)
	b = bytes.TrimRight(b, " ")
	b = append(b, '\n')
	for _, w := range Warnings(x) {
		b = append(b, "    !! "...)
		b = append(b, w...)
		b = append(b, '\n')
	}
	if cap(b) <= maxKeptLine {
		p.buf = b
	}
	_, err := p.w.Write(b)
	return err
}

// maxKeptLine bounds the line buffer a view keeps between webhooks: an
// exchange with a long warning must not pin its size for the session.
const maxKeptLine = 4 << 10

// Tunnel prints a tunnel state change.
func (p *Plain) Tunnel(t TunnelEvent) error {
	var b strings.Builder
	p.mu.Lock()
	forward := p.forward
	p.mu.Unlock()
	fmt.Fprintf(&b, "%s tunnel %s", t.Time.In(p.loc).Format("15:04:05.000"), termsafe.String(t.State))
	switch {
	case t.URL != "" && t.State == "up" && forward != "":
		b.WriteString(" " + Mapping(t.URL, forward))
	case t.URL != "":
		b.WriteString(" " + termsafe.String(t.URL))
	}
	if t.Message != "" {
		b.WriteString(": " + termsafe.String(t.Message))
	}
	b.WriteByte('\n')
	if t.URLChanged {
		fmt.Fprintf(&b, "    !! PUBLIC URL CHANGED from %s to %s: update the webhook URL in the SignalWire dashboard\n",
			termsafe.String(t.PrevURL), termsafe.String(t.URL))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err := io.WriteString(p.w, b.String())
	return err
}

// Rejected prints a request refused before swhook saw it, loudly: it is
// not in the store.
func (p *Plain) Rejected(r RejectedEvent) error {
	line := fmt.Sprintf("%s REJECTED %s from %s\n    !! refused by Go's HTTP server before swhook saw it: not forwarded, not stored\n",
		r.Time.In(p.loc).Format("15:04:05.000"), termsafe.String(r.Reason), termsafe.String(r.Peer))
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err := io.WriteString(p.w, line)
	return err
}

// NDJSON writes one JSON object per line: a "ready" line, then "exchange"
// and "tunnel" lines. JSON escapes control characters, so it needs no
// termsafe.
type NDJSON struct {
	mu  sync.Mutex
	w   io.Writer
	buf []byte // the line being written, reused (guarded by mu)
}

// NewNDJSON writes to w.
func NewNDJSON(w io.Writer) *NDJSON { return &NDJSON{w: w} }

func (n *NDJSON) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b = append(exchange.EscapeControls(b), '\n')
	n.mu.Lock()
	defer n.mu.Unlock()
	_, err = n.w.Write(b)
	return err
}

// Ready writes {"type":"ready","public_url":...,"local_url":...,"forward":...}.
func (n *NDJSON) Ready(r Ready) error {
	return n.write(struct {
		Type      string `json:"type"`
		PublicURL string `json:"public_url"`
		LocalURL  string `json:"local_url"`
		Forward   string `json:"forward"`
		KeySet    bool   `json:"signing_key_set"`
	}{"ready", r.PublicURL, r.LocalURL, r.Forward, r.KeySet})
}

// Exchange writes {"type":"exchange", ...the exchange's own fields}.
func (n *NDJSON) Exchange(x *exchange.Exchange) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	line := append(n.buf[:0], `{"type":"exchange",`...)
	if line, ok := exchange.AppendJSON(line, x); ok {
		// The object's '{' gives way to the "type" member written first.
		line = append(slices.Delete(line, len(`{"type":"exchange",`), len(`{"type":"exchange",{`)), '\n')
		if cap(line) <= maxKeptLine*16 {
			n.buf = line
		}
		_, err := n.w.Write(line)
		return err
	}
	return n.exchangeMarshal(x)
}

// exchangeMarshal is Exchange through json.Marshal, for what
// exchange.AppendJSON leaves to it; n.mu is held.
func (n *NDJSON) exchangeMarshal(x *exchange.Exchange) error {
	b, err := json.Marshal(x)
	if err != nil {
		return err
	}
	b = exchange.EscapeControls(b)
	line := make([]byte, 0, len(b)+20)
	line = append(line, `{"type":"exchange",`...)
	line = append(line, b[1:]...)
	line = append(line, '\n')
	_, err = n.w.Write(line)
	return err
}

// Tunnel writes {"type":"tunnel","state":...}.
func (n *NDJSON) Tunnel(t TunnelEvent) error {
	return n.write(struct {
		Type       string    `json:"type"`
		Time       time.Time `json:"time"`
		State      string    `json:"state"`
		URL        string    `json:"url,omitempty"`
		Message    string    `json:"message,omitempty"`
		URLChanged bool      `json:"url_changed,omitempty"`
		PrevURL    string    `json:"prev_url,omitempty"`
	}{"tunnel", t.Time.UTC(), t.State, t.URL, t.Message, t.URLChanged, t.PrevURL})
}

// Rejected writes {"type":"rejected","time":...,"peer":...,"status":431,"reason":...}.
func (n *NDJSON) Rejected(r RejectedEvent) error {
	return n.write(struct {
		Type   string    `json:"type"`
		Time   time.Time `json:"time"`
		Peer   string    `json:"peer"`
		Status int       `json:"status"`
		Reason string    `json:"reason"`
	}{"rejected", r.Time.UTC(), r.Peer, r.Status, r.Reason})
}
