package cxml

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/swhook/swhook/inspect/delivery"
	"github.com/swhook/swhook/replay/call"
)

// Voice verbs SignalWire runs and the ones swhook names as skipped.
var (
	skipped = map[string]string{
		"Connect": "media streams and AI agents need a real call",
		"Stream":  "media streams need a real call",
		"Pay":     "payments need a real call",
		"AI":      "AI agents need a real call",
		"Refer":   "SIP REFER needs a real SIP leg",
		"Echo":    "echo needs real audio",
		"Start":   "background streams and transcription need real audio",
		"Stop":    "background streams and transcription need real audio",
		"Denoise": "noise reduction needs real audio",
	}
	known = map[string]bool{"Say": true, "Play": true, "Pause": true, "Gather": true, "Record": true,
		"Dial": true, "Redirect": true, "Hangup": true, "Reject": true, "Enqueue": true, "Leave": true, "Sms": true}
)

// next is the request that replaces the current document.
type next struct {
	method, url, label string
	params             [][2]string
	after              func(context.Context) // callbacks sent once the action answered
}

// outcome of running one document.
type outcome struct {
	next   *next
	end    bool   // the call ended (Hangup, Reject, caller hung up)
	status string // the final status when end
	why    string
	leave  bool // <Leave> in a queue's wait document
}

// Voice plays the call: it fetches the voice URL and runs what the
// handler answers until the call ends. The session holds the result
// (s.Failed() for the exit status).
func Voice(ctx context.Context, s *call.Session) {
	v := &voice{s: s}
	s.Ring(ctx)
	n := &next{method: http.MethodPost, url: s.VoiceURL(), label: "voice URL"}
	for n != nil {
		if err := ctx.Err(); err != nil {
			s.Hangup(ctx, "canceled", "interrupted")
			return
		}
		doc, base, ok := v.fetch(ctx, n)
		if !ok {
			s.Hangup(ctx, v.failStatus(), "SignalWire ends a call whose document it cannot run")
			return
		}
		if n.after != nil {
			n.after(ctx)
		}
		o := v.run(ctx, doc, base, false)
		switch {
		case o.next != nil:
			n = o.next
		default:
			if !o.end {
				o.status, o.why = "completed", "the document ran out"
			}
			s.Hangup(ctx, o.status, o.why)
			return
		}
	}
}

type voice struct {
	s *call.Session
}

func (v *voice) failStatus() string {
	if v.s.Status() == "ringing" {
		return "failed"
	}
	return "completed"
}

// fetch requests a document and parses it (12100 when it does not parse,
// which makes SignalWire try the fallback URL).
func (v *voice) fetch(ctx context.Context, n *next) (*Node, string, bool) {
	params := n.params
	if params == nil {
		params = v.s.Params(nil)
	}
	return fetchDoc(ctx, v.s, n, params)
}

// fetchDoc requests n's document with params, for a call and a message
// alike: its answer must parse as cXML (else 12100, and the fallback URL).
// It returns the document and the URL it came from (the base of its
// relative URLs).
func fetchDoc(ctx context.Context, s *call.Session, n *next, params [][2]string) (*Node, string, bool) {
	var doc *Node
	res := s.Fetch(ctx, call.Request{
		Purpose: delivery.Action, Method: n.method, URL: n.url, Form: params, Label: n.label,
		Check: func(a call.Answer) *delivery.Error {
			d, err := Parse(a.Body)
			doc = d
			return err
		},
	})
	if !res.OK() {
		return nil, "", false
	}
	return doc, res.URL, true
}

// run executes a document's verbs in order.
func (v *voice) run(ctx context.Context, doc *Node, base string, inQueue bool) outcome {
	s := v.s
	for _, verb := range doc.Children {
		if s.CallerHungUp() {
			return outcome{end: true, status: "completed", why: "the caller hung up (--hangup-after)"}
		}
		if why, ok := skipped[verb.Name]; ok {
			s.Answer(ctx)
			s.Skip(verb.Name, why)
			continue
		}
		if !known[verb.Name] {
			s.Fail(delivery.Errorf(delivery.CodeParse, "<%s> is not a cXML voice verb%s", verb.Name, verbHint(verb.Name)))
			return outcome{end: true, status: v.failStatus(), why: "SignalWire ends a call whose document it cannot run"}
		}
		if verb.Name != "Reject" && verb.Name != "Redirect" && verb.Name != "Leave" {
			s.Answer(ctx)
		}
		var o outcome
		var cont bool
		switch verb.Name {
		case "Say":
			v.say(ctx, verb)
			cont = true
		case "Play":
			v.play(ctx, verb)
			cont = true
		case "Pause":
			v.pause(ctx, verb)
			cont = true
		case "Gather":
			o, cont = v.gather(ctx, verb, base)
		case "Record":
			o = v.record(ctx, verb, base)
		case "Dial":
			o, cont = v.dial(ctx, verb, base)
		case "Redirect":
			o = v.redirect(verb, base)
		case "Hangup":
			return outcome{end: true, status: "completed", why: "<Hangup>"}
		case "Reject":
			reason := verb.Attr("reason", "rejected")
			status := "no-answer"
			if reason == "busy" {
				status = "busy"
			}
			if s.Status() != "ringing" {
				s.Emit(call.Event{Type: call.EvNote, Text: "<Reject> after the call was answered only hangs up"})
				status = "completed"
			}
			return outcome{end: true, status: status, why: "<Reject reason=\"" + reason + "\">"}
		case "Enqueue":
			o, cont = v.enqueue(ctx, verb, base)
		case "Leave":
			if inQueue {
				return outcome{leave: true}
			}
			s.Emit(call.Event{Type: call.EvNote, Text: "<Leave> outside a queue does nothing"})
			cont = true
		case "Sms":
			o, cont = v.sms(ctx, verb, base)
		}
		if !cont {
			return o
		}
	}
	return outcome{}
}

func verbHint(name string) string {
	for k := range known {
		if strings.EqualFold(k, name) {
			return " (verbs are case-sensitive: <" + k + ">)"
		}
	}
	for k := range skipped {
		if strings.EqualFold(k, name) {
			return " (verbs are case-sensitive: <" + k + ">)"
		}
	}
	return ""
}

func intAttr(n *Node, name string, def int) int {
	v := n.Attr(name, "")
	if v == "" {
		return def
	}
	i, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return def
	}
	return i
}

func boolAttr(n *Node, name string, def bool) bool {
	switch strings.ToLower(n.Attr(name, "")) {
	case "true":
		return true
	case "false":
		return false
	}
	return def
}

// speechTime estimates how long text takes to say: about 2.5 words a second.
func speechTime(text string) time.Duration {
	w := len(strings.Fields(text))
	return time.Duration(w) * 400 * time.Millisecond
}

func (v *voice) say(ctx context.Context, n *Node) {
	loop := intAttr(n, "loop", 1)
	text := innerText(n)
	v.s.Emit(call.Event{Type: call.EvSay, Text: text, Loop: loop})
	times := max(loop, 1)
	v.s.Wait(ctx, time.Duration(times)*speechTime(text))
}

// innerText is an element's text including SSML children's text.
func innerText(n *Node) string {
	if len(n.Children) == 0 {
		return n.Text
	}
	var parts []string
	if n.Text != "" {
		parts = append(parts, n.Text)
	}
	for _, c := range n.Children {
		if t := innerText(c); t != "" {
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, " ")
}

func (v *voice) play(ctx context.Context, n *Node) {
	if d := n.Attr("digits", ""); d != "" {
		v.s.Emit(call.Event{Type: call.EvPlay, Digits: d})
		return
	}
	loop := intAttr(n, "loop", 1)
	v.s.Emit(call.Event{Type: call.EvPlay, URL: n.Text, Loop: loop})
	v.s.Wait(ctx, time.Duration(max(loop, 1))*3*time.Second)
}

func (v *voice) pause(ctx context.Context, n *Node) {
	l := intAttr(n, "length", 1)
	v.s.Emit(call.Event{Type: call.EvPause, Seconds: float64(l)})
	v.s.Wait(ctx, time.Duration(l)*time.Second)
}

// method reads a verb's method attribute (default POST); SignalWire takes
// GET or POST, case-insensitively.
func method(n *Node, attr string) string {
	m := strings.ToUpper(strings.TrimSpace(n.Attr(attr, "POST")))
	if m == "" {
		return http.MethodPost
	}
	return m
}

func (v *voice) resolve(base, ref string) (string, bool) {
	u, err := v.s.Resolve(base, ref)
	if err != nil {
		v.s.Fail(delivery.Errorf(delivery.CodeNoURL, "%v", err))
		return "", false
	}
	return u, true
}

func (v *voice) gather(ctx context.Context, n *Node, base string) (outcome, bool) {
	s := v.s
	input := strings.Fields(n.Attr("input", "dtmf"))
	ask := call.Ask{Verb: "Gather", FinishOnKey: n.Attr("finishOnKey", "#"), NumDigits: intAttr(n, "numDigits", 0),
		Timeout: time.Duration(intAttr(n, "timeout", 5)) * time.Second}
	for _, i := range input {
		switch i {
		case "dtmf":
			ask.DTMF = true
		case "speech":
			ask.Speech = true
		}
	}
	for _, c := range n.Children {
		switch c.Name {
		case "Say":
			v.say(ctx, c)
		case "Play":
			v.play(ctx, c)
		case "Pause":
			v.pause(ctx, c)
		default:
			s.Fail(delivery.Errorf(delivery.CodeParse, "<%s> cannot be nested in <Gather> (only Say, Play, Pause)", c.Name))
			return outcome{end: true, status: "completed", why: "SignalWire ends a call whose document it cannot run"}, false
		}
	}
	s.Emit(call.Event{Type: call.EvGather, Text: describeGather(ask, n)})
	reply, err := s.Caller().Gather(ctx, ask)
	if errors.Is(err, call.ErrHungUp) {
		return outcome{end: true, status: "completed", why: err.Error()}, false
	}
	if err != nil {
		return outcome{end: true, status: "canceled", why: err.Error()}, false
	}
	digits, speech := "", ""
	if ask.DTMF {
		digits = collectDigits(reply.Digits, ask.NumDigits, ask.FinishOnKey)
	}
	if ask.Speech {
		speech = reply.Speech
	}
	if digits == "" && speech == "" {
		why := ""
		if reply.Digits != "" || reply.Speech != "" {
			why = "not what this Gather listens for"
		}
		s.Emit(call.Event{Type: call.EvInput, Text: why})
		s.Wait(ctx, ask.Timeout)
		if !boolAttr(n, "actionOnEmptyResult", false) {
			return outcome{}, true
		}
	} else {
		s.Emit(call.Event{Type: call.EvInput, Digits: digits, Speech: speech})
	}
	if s.CallerHungUp() {
		return outcome{end: true, status: "completed", why: "the caller hung up (--hangup-after)"}, false
	}
	u, ok := v.resolve(base, n.Attr("action", ""))
	if !ok {
		return outcome{end: true, status: "completed"}, false
	}
	extra := [][2]string{}
	if ask.DTMF {
		extra = append(extra, [2]string{"Digits", digits})
	}
	if speech != "" {
		extra = append(extra, [2]string{"SpeechResult", speech}, [2]string{"Confidence", "0.9"})
	}
	label := "Gather action"
	if !n.Has("action") {
		label = "Gather without action: the current document again"
	}
	return outcome{next: &next{method: method(n, "method"), url: u, label: label, params: s.Params(extra)}}, false
}

func describeGather(a call.Ask, n *Node) string {
	var what []string
	if a.DTMF {
		what = append(what, "keys")
	}
	if a.Speech {
		what = append(what, "speech")
	}
	s := "listening for " + strings.Join(what, " or ")
	if a.NumDigits > 0 {
		s += fmt.Sprintf(", %d digit", a.NumDigits)
		if a.NumDigits > 1 {
			s += "s"
		}
	}
	if a.DTMF && a.FinishOnKey != "" {
		s += ", " + a.FinishOnKey + " ends"
	}
	s += fmt.Sprintf(", %ds timeout", int(a.Timeout/time.Second))
	return s
}

// collectDigits is what a Gather keeps of the keys pressed: up to the
// finish key (not included) or numDigits, whichever comes first.
func collectDigits(keys string, numDigits int, finish string) string {
	var b strings.Builder
	for _, k := range keys {
		if finish != "" && strings.ContainsRune(finish, k) {
			break
		}
		b.WriteRune(k)
		if numDigits > 0 && b.Len() >= numDigits {
			break
		}
	}
	return b.String()
}

func (v *voice) record(ctx context.Context, n *Node, base string) outcome {
	s := v.s
	maxLen := intAttr(n, "maxLength", 3600)
	if maxLen <= 0 {
		maxLen = 3600
	}
	timeout := intAttr(n, "timeout", 5)
	finish := n.Attr("finishOnKey", "1234567890*#")
	if boolAttr(n, "playBeep", true) {
		s.Emit(call.Event{Type: call.EvPlay, Text: "beep", URL: "(beep)"})
	}
	events := strings.Fields(n.Attr("recordingStatusCallbackEvent", "completed"))
	rsc := n.Attr("recordingStatusCallback", "")
	secs, key, err := s.Caller().Record(ctx, call.Ask{Verb: "Record", DTMF: true, FinishOnKey: finish, Timeout: time.Duration(timeout) * time.Second})
	if err != nil {
		return outcome{end: true, status: "canceled", why: err.Error()}
	}
	if key != "" && !strings.Contains(finish, key) {
		key = ""
	}
	note := ""
	if secs > maxLen {
		secs, note = maxLen, fmt.Sprintf("cut at maxLength %ds", maxLen)
	}
	trim := n.Attr("trim", "trim-silence") != "do-not-trim"
	silent := secs == 0
	s.Emit(call.Event{Type: call.EvRecord, Seconds: float64(secs), Digits: key, Text: note})
	wait := time.Duration(secs) * time.Second
	if key == "" && secs < maxLen {
		wait += time.Duration(timeout) * time.Second
	}
	s.Wait(ctx, wait)

	sid := s.UUID()
	recURL := s.RecordingURL(sid)
	duration := secs
	if silent && trim {
		recURL, sid = "", ""
		s.Emit(call.Event{Type: call.EvNote, Text: "nothing was said, so with trim-silence SignalWire saves no recording"})
	}
	u, ok := v.resolve(base, n.Attr("action", ""))
	if !ok {
		return outcome{end: true, status: "completed"}
	}
	label := "Record action"
	if !n.Has("action") {
		label = "Record without action: the current document again"
	}
	params := s.Params([][2]string{{"RecordingUrl", recURL}, {"RecordingDuration", strconv.Itoa(duration)}, {"Digits", key}})
	after := func(ctx context.Context) {
		if rsc != "" {
			status := "completed"
			if sid == "" {
				status = "absent"
			}
			if contains(events, status) {
				cb, ok := v.resolve(base, rsc)
				if ok {
					s.Fetch(ctx, call.Request{Purpose: delivery.StatusCallback, Method: method(n, "recordingStatusCallbackMethod"), URL: cb,
						Label: "recording status " + status, Form: v.recordingParams(sid, recURL, status, duration)})
				}
			}
		}
		tcb := n.Attr("transcribeCallback", "")
		if sid != "" && tcb != "" && boolAttr(n, "transcribe", true) {
			cb, ok := v.resolve(base, tcb)
			if !ok {
				return
			}
			tsid := s.UUID()
			text := fmt.Sprintf("This is a pretend voicemail from swhook, %d seconds long.", duration)
			s.Fetch(ctx, call.Request{Purpose: delivery.StatusCallback, Method: http.MethodPost, URL: cb, Label: "transcription",
				Form: s.Params([][2]string{{"TranscriptionSid", tsid}, {"TranscriptionText", text}, {"TranscriptionStatus", "completed"},
					{"TranscriptionUrl", s.LamlURL("/Transcriptions/" + tsid)}, {"RecordingSid", sid}, {"RecordingUrl", recURL}})})
		}
	}
	if rsc != "" && contains(events, "in-progress") && sid != "" {
		if cb, ok := v.resolve(base, rsc); ok {
			s.Fetch(ctx, call.Request{Purpose: delivery.StatusCallback, Method: method(n, "recordingStatusCallbackMethod"), URL: cb,
				Label: "recording status in-progress", Form: v.recordingParams(sid, recURL, "in-progress", 0)})
		}
	}
	return outcome{next: &next{method: method(n, "method"), url: u, label: label, params: params, after: after}}
}

func (v *voice) recordingParams(sid, recURL, status string, duration int) [][2]string {
	s := v.s
	return [][2]string{
		{"AccountSid", s.AccountSid()}, {"ApiVersion", call.APIVersion}, {"CallSid", s.CallSid()},
		{"RecordingSid", sid}, {"RecordingUrl", recURL}, {"RecordingStatus", status},
		{"RecordingDuration", strconv.Itoa(duration)}, {"RecordingChannels", "1"}, {"RecordingSource", "RecordVerb"},
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func (v *voice) redirect(n *Node, base string) outcome {
	u, ok := v.resolve(base, n.Text)
	if !ok {
		return outcome{end: true, status: "completed"}
	}
	v.s.Emit(call.Event{Type: call.EvRedirect, URL: u})
	return outcome{next: &next{method: method(n, "method"), url: u, label: "Redirect"}}
}
