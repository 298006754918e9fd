package swml

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/swhook/swhook/inspect/delivery"
	doc "github.com/swhook/swhook/inspect/swml"
	"github.com/swhook/swhook/replay/call"
)

// skipped are the calling methods swhook does not emulate; the call goes
// on past them, as it would when they end at once.
var skipped = map[string]string{
	"ai":              "AI agents are not emulated; SWAIG web_hook_url functions are not called",
	"ai_sidecar":      "AI sidecars are not emulated",
	"amazon_bedrock":  "Bedrock agents are not emulated",
	"denoise":         "noise reduction has nothing to emulate",
	"stop_denoise":    "noise reduction has nothing to emulate",
	"detect_machine":  "answering-machine detection is not emulated",
	"enter_queue":     "queues are not emulated",
	"join_conference": "conferences are not emulated",
	"join_room":       "video rooms are not emulated",
	"live_transcribe": "live transcription is not emulated",
	"live_translate":  "live translation is not emulated",
	"pay":             "payments are not emulated",
	"receive_fax":     "faxes are not emulated",
	"send_fax":        "faxes are not emulated",
	"sip_refer":       "SIP REFER is not emulated",
	"stream":          "media streams are not emulated",
	"stop_stream":     "media streams are not emulated",
	"tap":             "media taps are not emulated",
	"stop_tap":        "media taps are not emulated",
	"transcribe":      "transcription is not emulated",
	"transcribe_stop": "transcription is not emulated",
	"user_event":      "user events go to SignalWire's SDK clients, not to a webhook",
}

func (r *runner) step(ctx context.Context, st doc.Step, section string, depth int) flow {
	p := st.Path + "." + st.Method
	if r.flavor == doc.Messaging {
		return r.messagingStep(ctx, st, section, depth)
	}
	switch st.Method {
	case "label":
		return flow{}
	case "answer":
		r.s.Answer(ctx)
		r.sc.call["call_state"] = "answered"
		r.sc.vars["answer_result"] = "success"
		r.trace("answer")
		return flow{}
	case "hangup":
		m, f, ok := r.expand(params(st.Params), p)
		if !ok {
			return f
		}
		why := "hangup"
		if reason := str(m.(map[string]any), "reason"); reason != "" {
			why += ": " + reason
		}
		r.hangup(ctx, "completed", why)
		return flow{kind: ended}
	case "play":
		return r.play(ctx, st, p)
	case "prompt":
		return r.prompt(ctx, st, p)
	case "set":
		for _, k := range slices.Sorted(maps.Keys(params(st.Params))) {
			v, f, ok := r.expand(params(st.Params)[k], p+"."+k)
			if !ok {
				return f
			}
			r.sc.vars[k] = v
			r.trace("set %s = %s", k, quoteValue(v))
		}
		return flow{}
	case "unset":
		var names []string
		switch x := st.Params.(type) {
		case string:
			names = []string{x}
		case []any:
			for _, e := range x {
				names = append(names, text(e))
			}
		}
		for _, n := range names {
			delete(r.sc.vars, n)
		}
		r.trace("unset %s", strings.Join(names, ", "))
		return flow{}
	case "switch":
		return r.switchStep(ctx, st, p, section, depth)
	case "cond":
		return r.cond(ctx, st, p, section, depth)
	case "goto":
		return r.gotoStep(st, p)
	case "execute":
		return r.execute(ctx, st, p, depth)
	case "return":
		v, f, ok := r.expand(st.Params, p)
		if !ok {
			return f
		}
		r.trace("return %s", quoteValue(v))
		return flow{kind: returned, value: v}
	case "transfer":
		return r.transfer(ctx, st, p)
	case "request":
		return r.request(ctx, st, p)
	case "record":
		return r.record(ctx, st, p)
	case "record_call":
		return r.recordCall(ctx, st, p)
	case "stop_record_call":
		m, f, ok := r.expand(params(st.Params), p)
		if !ok {
			return f
		}
		id := str(m.(map[string]any), "control_id")
		r.stopRecording(ctx, id)
		return flow{}
	case "connect":
		return r.connect(ctx, st, p)
	case "sleep":
		var ms float64
		switch x := st.Params.(type) {
		case float64:
			ms = x
		default:
			m, f, ok := r.expand(params(st.Params), p)
			if !ok {
				return f
			}
			ms = num(m.(map[string]any), "duration", 0)
		}
		if ms < 0 {
			r.s.Emit(call.Event{Type: call.EvPause, Text: "forever"})
			r.hangup(ctx, "completed", "sleep -1 never ends: the caller hangs up")
			return flow{kind: ended}
		}
		r.s.Emit(call.Event{Type: call.EvPause, Seconds: ms / 1000})
		r.s.Clock().Sleep(ctx, time.Duration(ms)*time.Millisecond)
		return flow{}
	case "send_digits":
		m, f, ok := r.expand(params(st.Params), p)
		if !ok {
			return f
		}
		r.s.Emit(call.Event{Type: call.EvPlay, Digits: str(m.(map[string]any), "digits")})
		return flow{}
	case "send_sms":
		m, f, ok := r.expand(params(st.Params), p)
		if !ok {
			return f
		}
		mm := m.(map[string]any)
		body := str(mm, "body")
		if media, ok := mm["media"].([]any); ok && len(media) > 0 {
			body += fmt.Sprintf(" (+%d media)", len(media))
		}
		r.s.Emit(call.Event{Type: call.EvSMS, From: str(mm, "from_number"), To: str(mm, "to_number"), Text: body, Status: "queued"})
		return flow{}
	}
	if why, ok := skipped[st.Method]; ok {
		r.s.Skip(st.Method, why)
		return flow{}
	}
	r.s.Skip(st.Method, "not emulated")
	return flow{}
}

// quoteValue is a value as the transcript shows it: quoted when a string,
// cut to one readable line.
func quoteValue(v any) string {
	var out string
	switch x := v.(type) {
	case string:
		out = fmt.Sprintf("%q", x)
	case nil:
		out = "null"
	default:
		out = text(v)
	}
	if len(out) > 120 {
		n := 120
		for n > 0 && !utf8.RuneStart(out[n]) {
			n--
		}
		out = out[:n] + "…"
	}
	return out
}

// sounds are a play's or a prompt's playable sounds: URLs, say:TEXT,
// silence:SECONDS, ring:SECONDS[:COUNTRY].
func (r *runner) sounds(ctx context.Context, list []string) {
	for _, u := range list {
		t := strings.TrimSpace(u)
		switch {
		case strings.HasPrefix(t, "say:"):
			r.s.Emit(call.Event{Type: call.EvSay, Text: strings.TrimSpace(strings.TrimPrefix(t, "say:"))})
		case strings.HasPrefix(t, "silence:"):
			var sec float64
			fmt.Sscan(strings.TrimSpace(strings.TrimPrefix(t, "silence:")), &sec)
			r.s.Emit(call.Event{Type: call.EvPause, Seconds: sec})
			r.s.Clock().Sleep(ctx, seconds(sec))
		default:
			r.s.Emit(call.Event{Type: call.EvPlay, URL: t})
		}
	}
}

func soundList(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, text(e))
		}
		return out
	}
	return nil
}

func (r *runner) play(ctx context.Context, st doc.Step, p string) flow {
	v, f, ok := r.expand(st.Params, p)
	if !ok {
		return f
	}
	var list []string
	status := ""
	switch x := v.(type) {
	case string:
		list = []string{x}
	case map[string]any:
		if u, ok := x["url"]; ok {
			list = soundList(u)
		} else {
			list = soundList(x["urls"])
		}
		status = str(x, "status_url")
	}
	r.s.Answer(ctx)
	r.sc.call["call_state"] = "answered"
	control := r.s.UUID()
	if status != "" {
		r.event(ctx, status, "calling.call.play", map[string]any{"control_id": control, "state": "playing"})
	}
	r.sounds(ctx, list)
	if status != "" {
		r.event(ctx, status, "calling.call.play", map[string]any{"control_id": control, "state": "finished"})
	}
	return flow{}
}

// prompt plays its sounds and collects digits or speech from the caller.
func (r *runner) prompt(ctx context.Context, st doc.Step, p string) flow {
	v, f, ok := r.expand(params(st.Params), p)
	if !ok {
		return f
	}
	m := v.(map[string]any)
	r.s.Answer(ctx)
	r.sc.call["call_state"] = "answered"
	r.sounds(ctx, soundList(m["play"]))
	_, st1 := m["speech_timeout"]
	_, st2 := m["speech_end_timeout"]
	_, st3 := m["speech_language"]
	_, st4 := m["speech_hints"]
	speech := st1 || st2 || st3 || st4
	_, d1 := m["max_digits"]
	_, d2 := m["terminators"]
	_, d3 := m["digit_timeout"]
	_, d4 := m["initial_timeout"]
	dtmf := !speech || d1 || d2 || d3 || d4
	maxDigits := int(num(m, "max_digits", 1))
	if maxDigits < 1 {
		maxDigits = 1
	}
	terms := str(m, "terminators")
	ask := call.Ask{Verb: "prompt", DTMF: dtmf, Speech: speech, NumDigits: maxDigits, FinishOnKey: terms, Timeout: seconds(num(m, "initial_timeout", 5))}
	var wants []string
	if dtmf {
		w := fmt.Sprintf("up to %d digit(s)", maxDigits)
		if terms != "" {
			w += " ending with " + terms
		}
		wants = append(wants, w)
	}
	if speech {
		wants = append(wants, "speech")
	}
	r.s.Emit(call.Event{Type: call.EvGather, Text: "prompt waits for " + strings.Join(wants, " or ")})
	reply, err := r.s.Caller().Gather(ctx, ask)
	if err != nil {
		return r.inputFailed(ctx, err)
	}
	r.s.Emit(call.Event{Type: call.EvInput, Digits: reply.Digits, Speech: reply.Speech})
	for _, k := range []string{"prompt_value", "prompt_value_raw", "prompt_digit_terminator", "prompt_speech_confidence"} {
		delete(r.sc.vars, k)
	}
	result := map[string]any{}
	switch {
	case reply.Digits != "" && dtmf:
		digits, term := reply.Digits, ""
		for i, c := range digits {
			if strings.ContainsRune(terms, c) {
				digits, term = digits[:i], string(c)
				break
			}
		}
		if len(digits) > maxDigits {
			digits = digits[:maxDigits]
		}
		r.sc.vars["prompt_result"] = "match_digits"
		r.sc.vars["prompt_value"] = digits
		r.sc.vars["prompt_value_raw"] = digits
		if term != "" {
			r.sc.vars["prompt_digit_terminator"] = term
		}
		result = map[string]any{"type": "digit", "params": map[string]any{"digits": digits, "terminator": term}}
	case reply.Speech != "" && speech:
		r.sc.vars["prompt_result"] = "match_speech"
		r.sc.vars["prompt_value"] = reply.Speech
		r.sc.vars["prompt_value_raw"] = reply.Speech
		r.sc.vars["prompt_speech_confidence"] = 0.95
		result = map[string]any{"type": "speech", "params": map[string]any{"text": reply.Speech, "confidence": 0.95}}
	case !reply.Silent():
		r.sc.vars["prompt_result"] = "no_match"
		result = map[string]any{"type": "no_match"}
		r.s.Emit(call.Event{Type: call.EvNote, Text: "the prompt does not listen for that kind of input"})
	default:
		r.sc.vars["prompt_result"] = "no_input"
		result = map[string]any{"type": "no_input"}
	}
	r.trace("prompt_result = %q, prompt_value = %q", text(r.sc.vars["prompt_result"]), text(r.sc.vars["prompt_value"]))
	if u := str(m, "status_url"); u != "" {
		r.event(ctx, u, "calling.call.collect", map[string]any{"control_id": r.s.UUID(), "result": result})
	}
	return flow{}
}

func (r *runner) switchStep(ctx context.Context, st doc.Step, p, section string, depth int) flow {
	m := params(st.Params)
	name, err := r.sc.str(m["variable"])
	if err != nil {
		return r.fail(doc.ErrJSEval, p+".variable", "%s", err)
	}
	val, _ := r.sc.lookup(strings.TrimSpace(name))
	got := text(val)
	if r.flavor == doc.Messaging {
		got = transform(str(m, "transform"), got)
	}
	cases := params(m["case"])
	key, branch := "", any(nil)
	if c, ok := cases[got]; ok {
		key, branch = got, c
	} else if d, ok := m["default"]; ok {
		key, branch = "default", d
	}
	if branch == nil {
		if r.flavor == doc.Messaging {
			return r.fail(doc.MsgSwitchNoMatch, p, "%s is %q: no case matches and there is no default", name, got)
		}
		return r.fail(doc.ErrMethodNoMatch, p, "%s is %q: no case matches and there is no default", name, got)
	}
	r.trace("switch %s = %q → %s", name, got, key)
	steps, err := doc.StepsOf(branch, p+".case."+key, r.flavor)
	if err != nil {
		return r.fail(named(err).Named, "", "%s", named(err).Detail)
	}
	return r.list(ctx, steps, section, depth+1)
}

func transform(t, v string) string {
	switch t {
	case "lowercase":
		return strings.ToLower(v)
	case "uppercase":
		return strings.ToUpper(v)
	case "trim":
		return strings.TrimSpace(v)
	case "lowercase_trim":
		return strings.ToLower(strings.TrimSpace(v))
	case "uppercase_trim":
		return strings.ToUpper(strings.TrimSpace(v))
	}
	return v
}

// when evaluates a cond or goto condition: JavaScript over the variables
// (placeholders in it are substituted first).
func (r *runner) when(src string) (bool, error) {
	if doc.HasExpression(src) {
		s, err := r.sc.str(src)
		if err != nil {
			return false, err
		}
		src = s
	}
	v, err := r.sc.js.eval(src)
	if err != nil {
		return false, err
	}
	return truthy(v), nil
}

func (r *runner) cond(ctx context.Context, st doc.Step, p, section string, depth int) flow {
	list, _ := st.Params.([]any)
	for i, e := range list {
		c := params(e)
		cp := fmt.Sprintf("%s[%d]", p, i)
		if els, ok := c["else"]; ok {
			r.trace("cond → else")
			return r.nested(ctx, els, cp+".else", section, depth)
		}
		w := text(c["when"])
		ok, err := r.when(w)
		if err != nil {
			return r.fail(doc.ErrJSEval, cp+".when", "%s: %s", w, err)
		}
		if ok {
			r.trace("cond %s → then", w)
			return r.nested(ctx, c["then"], cp+".then", section, depth)
		}
	}
	r.trace("cond: no condition holds")
	return flow{}
}

func (r *runner) nested(ctx context.Context, v any, path, section string, depth int) flow {
	steps, err := doc.StepsOf(v, path, r.flavor)
	if err != nil {
		e := named(err)
		return r.fail(e.Named, "", "%s", e.Detail)
	}
	return r.list(ctx, steps, section, depth+1)
}

func (r *runner) gotoStep(st doc.Step, p string) flow {
	m := params(st.Params)
	label := str(m, "label")
	if w, ok := m["when"].(string); ok && r.flavor == doc.Calling {
		ok, err := r.when(w)
		if err != nil {
			return r.fail(doc.ErrJSEval, p+".when", "%s: %s", w, err)
		}
		if !ok {
			return flow{}
		}
	}
	max := int(num(m, "max", gotoDefaultMax))
	key := fmt.Sprintf("%d:%s", r.docGen, st.Path)
	if r.gotos[key] >= max {
		r.trace("goto %s: already jumped %d time(s) (max %d), going on", label, max, max)
		return flow{}
	}
	r.gotos[key]++
	r.trace("goto %s (%d of %d)", label, r.gotos[key], max)
	return flow{kind: jump, label: label}
}

// destination reads a transfer's or an execute's dest: a section, a URL,
// or an inline SWML document.
func (r *runner) destination(ctx context.Context, m map[string]any, p, method string, pr map[string]any) (d *doc.Document, section, u string, f flow, ok bool) {
	dest := strings.TrimSpace(str(m, "dest"))
	switch {
	case dest == "":
		return nil, "", "", r.fail(doc.ErrMethodParameterMissing, p, "%s needs dest", method), false
	case doc.IsURL(dest):
		next, err := r.s.Resolve(r.docURL, dest)
		if err != nil {
			return nil, "", "", r.fail(doc.ErrParse, p, "dest %q: %s", dest, err), false
		}
		r.trace("%s to %s", method, next)
		nd, nu, ok := r.fetch(ctx, next, pr, method+" dest")
		if !ok {
			return nil, "", "", flow{kind: ended}, false
		}
		return nd, "main", nu, flow{}, true
	case strings.HasPrefix(dest, "{"):
		nd, err := doc.Parse([]byte(dest), r.flavor)
		if err != nil {
			e := named(err)
			return nil, "", "", r.fail(e.Named, p+".dest", "inline SWML: %s", e.Detail), false
		}
		r.trace("%s to an inline document", method)
		return nd, "main", r.docURL, flow{}, true
	case strings.HasPrefix(dest, "relay:"):
		r.s.Skip(method, "relay applications are not emulated")
		return nil, "", "", flow{kind: ended}, false
	}
	if _, ok := r.doc.Sections[dest]; !ok {
		return nil, "", "", r.fail(doc.ErrSectionUndefined, p, "%s.dest %q is not a section of this document, nor a URL", method, dest), false
	}
	r.trace("%s to section %s", method, dest)
	return nil, dest, "", flow{}, true
}

func (r *runner) transfer(ctx context.Context, st doc.Step, p string) flow {
	v, f, ok := r.expand(params(st.Params), p)
	if !ok {
		return f
	}
	m := v.(map[string]any)
	r.xfers++
	if r.xfers > MaxTransfers {
		return r.fail(doc.ErrTooManyTransfers, p, "more than %d transfers in one call", MaxTransfers)
	}
	pr := params(m["params"])
	d, section, u, f, ok := r.destination(ctx, m, p, "transfer", pr)
	if !ok {
		return f
	}
	r.setParams(pr)
	return flow{kind: transferred, doc: d, section: section, url: u}
}

func (r *runner) execute(ctx context.Context, st doc.Step, p string, depth int) flow {
	raw := params(st.Params)
	m := map[string]any{}
	for _, k := range []string{"dest", "params"} {
		if x, ok := raw[k]; ok {
			e, f, ok := r.expand(x, p+"."+k)
			if !ok {
				return f
			}
			m[k] = e
		}
	}
	pr := params(m["params"])
	d, section, u, f, ok := r.destination(ctx, m, p, "execute", pr)
	if !ok {
		return f
	}
	saved, savedDoc, savedURL, savedGen := r.sc.params, r.doc, r.docURL, r.docGen
	r.setParams(pr)
	if d != nil {
		r.doc, r.docURL, r.docGen = d, u, r.docGen+1000
	}
	f = r.list(ctx, r.doc.Sections[section], section, depth+1)
	r.setParams(saved)
	if d != nil {
		r.doc, r.docURL, r.docGen = savedDoc, savedURL, savedGen
	}
	switch f.kind {
	case ended, transferred:
		return f
	case returned:
		r.sc.vars["return_value"] = f.value
	}
	if on, ok := raw["on_return"]; ok {
		return r.nested(ctx, on, p+".on_return", "", depth)
	}
	return flow{}
}

// event sends a SWML status callback: JSON {event_type, params}, signed as
// SignalWire signs JSON, retried as status callbacks are.
func (r *runner) event(ctx context.Context, url, typ string, p map[string]any) {
	p["call_id"] = r.s.CallSid()
	p["node_id"] = r.node
	body, _ := json.Marshal(map[string]any{
		"event_type": typ, "event_channel": r.channel,
		"timestamp":  float64(r.s.Clock().Now().UnixMilli()) / 1000,
		"project_id": r.s.AccountSid(), "space_id": r.space, "params": p,
	})
	label := typ
	if st, ok := p["state"].(string); ok {
		label += " " + st
	} else if st, ok := p["call_state"].(string); ok {
		label += " " + st
	}
	r.s.Fetch(ctx, call.Request{Purpose: delivery.StatusCallback, Method: http.MethodPost, URL: url, Body: body, ContentType: "application/json", Label: label})
}

// inputFailed ends the call when the caller's input could not be had.
// Ctrl-C at the keypad is the caller hanging up, as in cXML: a completed
// call, not a failure; anything else (an interrupted swhook) stops it.
func (r *runner) inputFailed(ctx context.Context, err error) flow {
	if errors.Is(err, call.ErrHungUp) {
		r.hangup(ctx, "completed", err.Error())
		return flow{kind: ended}
	}
	r.s.Stop(fmt.Errorf("reading the caller's input: %w", err))
	return flow{kind: ended}
}
