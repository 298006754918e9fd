package call

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/human"
	"github.com/swhook/swhook/inspect/termsafe"
)

// Event types: what the transcript says, one event per line. Interpreters
// may add their own types; TextSink prints unknown ones by their Text.
const (
	EvCall     = "call"     // the call starts (URL, From, To, CallSid)
	EvMessage  = "message"  // an inbound message is sent (From, To, Text = body)
	EvRequest  = "request"  // one HTTP request and its answer
	EvRetry    = "retry"    // a status callback is tried again
	EvFallback = "fallback" // the fallback URL is requested
	EvError    = "error"    // a SignalWire error (Code, Name, Detail, Why)
	EvStop     = "stop"     // swhook stopped the call (--max-steps)
	EvNote     = "note"     // something worth knowing that is not an error
	EvSay      = "say"      // the caller hears speech (Text, Loop)
	EvPlay     = "play"     // the caller hears audio (URL) or DTMF (Digits)
	EvPause    = "pause"    // silence (Seconds)
	EvGather   = "gather"   // the call listens (Text describes for what)
	EvInput    = "input"    // what the caller pressed or said (Digits, Speech; both empty: nothing)
	EvRecord   = "record"   // a recording (Seconds, Digits)
	EvDial     = "dial"     // a dialled party and the outcome (To, Outcome)
	EvRedirect = "redirect" // the document moves to URL
	EvSMS      = "sms"      // a message the call or the messaging answer sends (To, From, Text)
	EvEnqueue  = "enqueue"  // the caller waits in a queue (Text = queue)
	EvSkip     = "skip"     // a verb swhook does not emulate (Verb, Text)
	EvHangup   = "hangup"   // the call ends (Status, Text = why)
	EvEnd      = "end"      // the summary: Status, DurationS, Errors, Stopped
)

// Event is one transcript line. In --json each is one object, with a type.
type Event struct {
	Type        string  `json:"type"`
	T           float64 `json:"t"` // seconds since the call started, on its clock
	Text        string  `json:"text,omitempty"`
	Verb        string  `json:"verb,omitempty"`
	Label       string  `json:"label,omitempty"`
	Method      string  `json:"method,omitempty"`
	URL         string  `json:"url,omitempty"`
	HTTPStatus  int     `json:"http_status,omitempty"`
	ContentType string  `json:"content_type,omitempty"`
	DurationMS  float64 `json:"duration_ms,omitempty"`
	ExchangeID  int64   `json:"exchange_id,omitempty"`
	Attempt     int     `json:"attempt,omitempty"`
	Error       string  `json:"error,omitempty"`
	Code        int     `json:"code,omitempty"`
	Name        string  `json:"name,omitempty"`
	Detail      string  `json:"detail,omitempty"`
	Why         string  `json:"why,omitempty"`
	Digits      string  `json:"digits,omitempty"`
	Speech      string  `json:"speech,omitempty"`
	Seconds     float64 `json:"seconds,omitempty"`
	Loop        int     `json:"loop,omitempty"`
	Outcome     string  `json:"outcome,omitempty"`
	Status      string  `json:"status,omitempty"`
	DurationS   int     `json:"duration_s,omitempty"`
	From        string  `json:"from,omitempty"`
	To          string  `json:"to,omitempty"`
	CallSid     string  `json:"call_sid,omitempty"`
	MessageSid  string  `json:"message_sid,omitempty"`
	Errors      int     `json:"errors,omitempty"`
	Stopped     string  `json:"stopped,omitempty"`
}

// Sink receives a call's events in order.
type Sink interface{ Emit(Event) }

// Discard drops events.
type Discard struct{}

func (Discard) Emit(Event) {}

// Events collects events (tests, benchmarks).
type Events struct{ List []Event }

func (e *Events) Emit(ev Event) { e.List = append(e.List, ev) }

// Of returns the events of one type.
func (e *Events) Of(typ string) []Event {
	var out []Event
	for _, ev := range e.List {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

// JSONSink writes one JSON object a line, terminal-safe as every JSON
// output is (exchange.EscapeControls) while each value stays what the
// handler sent once decoded.
type JSONSink struct{ W io.Writer }

func (j JSONSink) Emit(ev Event) {
	b, err := json.Marshal(ev)
	if err != nil {
		return
	}
	j.W.Write(append(exchange.EscapeControls(b), '\n'))
}

func sanitize(ev Event) Event {
	for _, p := range []*string{&ev.Text, &ev.Verb, &ev.Label, &ev.Method, &ev.URL, &ev.ContentType, &ev.Error,
		&ev.Detail, &ev.Digits, &ev.Speech, &ev.Outcome, &ev.Status, &ev.From, &ev.To, &ev.CallSid, &ev.MessageSid, &ev.Stopped, &ev.Name, &ev.Why} {
		*p = termsafe.String(*p)
	}
	return ev
}

// TextSink writes the transcript a person reads like a call.
type TextSink struct{ W io.Writer }

func (t TextSink) Emit(ev Event) {
	line := Line(sanitize(ev))
	if line != "" {
		fmt.Fprintln(t.W, line)
	}
}

// Line is the transcript line of an event ("" for none).
func Line(ev Event) string {
	at := fmt.Sprintf("%6.1fs  ", ev.T)
	switch ev.Type {
	// The header's ID is on a line of its own: with it, the first line
	// overran 80 columns and broke the URL.
	case EvCall:
		return fmt.Sprintf("call from %s to %s → %s\n  CallSid %s", ev.From, ev.To, ev.URL, ev.CallSid)
	case EvMessage:
		return fmt.Sprintf("message from %s to %s → %s\n  %q  MessageSid %s", ev.From, ev.To, ev.URL, ev.Text, ev.MessageSid)
	case EvRequest:
		s := at + "→ " + ev.Method + " " + ev.URL
		if ev.Label != "" {
			s += " (" + ev.Label
			if ev.Attempt > 1 {
				s += fmt.Sprintf(", attempt %d", ev.Attempt)
			}
			s += ")"
		}
		if ev.Error != "" {
			s += "  no answer: " + oneLine(ev.Error)
		} else {
			s += fmt.Sprintf("  %d", ev.HTTPStatus)
			if ev.ContentType != "" {
				s += " " + ev.ContentType
			}
		}
		if d := human.Duration(time.Duration(ev.DurationMS * float64(time.Millisecond))); d != "" {
			s += "  " + d
		}
		if ev.ExchangeID != 0 {
			s += fmt.Sprintf("  #%d", ev.ExchangeID)
		}
		return s
	case EvRetry:
		return at + fmt.Sprintf("  ↻ %s failed (%d), trying again: attempt %d", ev.Label, ev.Code, ev.Attempt)
	case EvFallback:
		return at + "  ↪ " + ev.Text + ": " + ev.URL
	case EvError:
		s := at + fmt.Sprintf("✗ %d %s", ev.Code, ev.Name)
		if ev.Code == 0 {
			s = at + "✗ " + ev.Name // a SWML error: named, not numbered
		}
		if ev.Detail != "" {
			s += ": " + ev.Detail
		}
		if ev.Why != "" {
			s += " — " + ev.Why
		}
		return s
	case EvStop:
		return at + "✗ " + ev.Text
	case EvNote:
		return at + "  note: " + ev.Text
	case EvSay:
		s := at + "🔊 " + fmt.Sprintf("%q", ev.Text)
		if ev.Loop > 1 {
			s += fmt.Sprintf(" ×%d", ev.Loop)
		}
		return s
	case EvPlay:
		if ev.Text == "beep" {
			return at + "🔊 beep"
		}
		if ev.Digits != "" {
			return at + "🔊 DTMF tones " + ev.Digits
		}
		s := at + "🔊 ♪ " + ev.URL
		if ev.Loop > 1 {
			s += fmt.Sprintf(" ×%d", ev.Loop)
		}
		return s
	case EvPause:
		return at + fmt.Sprintf("… %gs of silence", ev.Seconds)
	case EvGather:
		return at + "⌨ " + ev.Text
	case EvInput:
		switch {
		case ev.Digits != "" && ev.Speech != "":
			return at + fmt.Sprintf("☎ caller pressed %s and said %q", ev.Digits, ev.Speech)
		case ev.Digits != "":
			return at + "☎ caller pressed " + ev.Digits
		case ev.Speech != "":
			return at + fmt.Sprintf("☎ caller said %q", ev.Speech)
		}
		return at + "☎ caller did nothing" + suffix(ev.Text)
	case EvRecord:
		s := at + fmt.Sprintf("● recording: caller spoke %gs", ev.Seconds)
		if ev.Digits != "" {
			s += ", ended with " + ev.Digits
		}
		return s + suffix(ev.Text)
	case EvDial:
		return at + fmt.Sprintf("☏ dial %s → %s", ev.To, ev.Outcome) + suffix(ev.Text)
	case EvRedirect:
		return at + "↪ redirect to " + ev.URL
	case EvSMS:
		return at + fmt.Sprintf("✉ %s → %s: %q", ev.From, ev.To, ev.Text) + suffix(ev.Status)
	case EvEnqueue:
		return at + "⧗ " + ev.Text
	case EvSkip:
		if ev.Verb != "" && ev.Verb[0] >= 'a' && ev.Verb[0] <= 'z' {
			return at + fmt.Sprintf("⤼ %s skipped: %s", ev.Verb, ev.Text) // a SWML method, not a cXML <Verb>
		}
		return at + fmt.Sprintf("⤼ <%s> skipped: %s", ev.Verb, ev.Text)
	case EvHangup:
		s := at + fmt.Sprintf("☎ hangup (%s)", ev.Status)
		if ev.Text != "" {
			s += ": " + ev.Text
		}
		return s
	case EvEnd:
		s := fmt.Sprintf("call ended: %s, %ds", ev.Status, ev.DurationS)
		if ev.MessageSid != "" {
			s = "message done"
		}
		switch {
		case ev.Stopped != "":
			s += ", stopped by swhook"
		case ev.Errors == 1:
			s += ", 1 SignalWire error"
		case ev.Errors > 1:
			s += fmt.Sprintf(", %d SignalWire errors", ev.Errors)
		default:
			s += ", no SignalWire errors"
		}
		return s
	}
	if ev.Text != "" {
		return at + ev.Text
	}
	return ""
}

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func oneLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
