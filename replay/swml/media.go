package swml

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	doc "github.com/swhook/swhook/inspect/swml"
	"github.com/swhook/swhook/replay/call"
)

func (r *runner) recordingURL(id string) string {
	return "https://example.signalwire.com/api/v1/recordings/" + id + "/download"
}

// record records in the foreground: the caller speaks (--record, the
// terminal, else silence), then record_url and record_result are set.
func (r *runner) record(ctx context.Context, st doc.Step, p string) flow {
	v, f, ok := r.expand(params(st.Params), p)
	if !ok {
		return f
	}
	m := v.(map[string]any)
	r.s.Answer(ctx)
	r.sc.call["call_state"] = "answered"
	terms := "#"
	if t, ok := m["terminators"]; ok {
		terms = text(t)
	}
	if boolean(m, "beep") {
		r.s.Emit(call.Event{Type: call.EvPlay, URL: "beep"})
	}
	status := str(m, "status_url")
	control, id := r.s.UUID(), r.s.UUID()
	if status != "" {
		r.event(ctx, status, "calling.call.record", map[string]any{"control_id": control, "state": "recording"})
	}
	secs, digits, err := r.s.Caller().Record(ctx, call.Ask{Verb: "record", FinishOnKey: terms, Timeout: seconds(num(m, "end_silence_timeout", 5))})
	if err != nil {
		return r.inputFailed(ctx, err)
	}
	if mx := num(m, "max_length", 0); mx > 0 && float64(secs) > mx {
		secs = int(mx)
	}
	r.s.Emit(call.Event{Type: call.EvRecord, Seconds: float64(secs), Digits: digits})
	r.s.Clock().Sleep(ctx, time.Duration(secs)*time.Second)
	url := r.recordingURL(id)
	state := "finished"
	if secs == 0 {
		state = "no_input"
	}
	r.sc.vars["record_url"] = url
	r.sc.vars["record_result"] = "success"
	r.trace("record_result = \"success\", record_url = %q", url)
	if status != "" {
		format := str(m, "format")
		if format == "" {
			format = "wav"
		}
		direction := str(m, "direction")
		if direction == "" {
			direction = "speak"
		}
		r.event(ctx, status, "calling.call.record", map[string]any{
			"control_id": control, "state": state, "url": url, "duration": secs, "size": secs * 16000,
			"recording_id": id, "record": map[string]any{"audio": map[string]any{"format": format, "direction": direction, "stereo": boolean(m, "stereo")}},
		})
	}
	return flow{}
}

// recordCall starts a background recording; it finishes at
// stop_record_call or when the call ends.
func (r *runner) recordCall(ctx context.Context, st doc.Step, p string) flow {
	v, f, ok := r.expand(params(st.Params), p)
	if !ok {
		return f
	}
	m := v.(map[string]any)
	control := str(m, "control_id")
	if control == "" {
		control = r.s.UUID()
	}
	url := r.recordingURL(r.s.UUID())
	r.sc.vars["record_call_url"] = url
	r.sc.vars["record_call_result"] = "success"
	r.sc.vars["record_control_id"] = control
	r.s.Emit(call.Event{Type: call.EvRecord, Text: "record_call started in the background, " + control})
	r.records = append(r.records, control)
	if u := str(m, "status_url"); u != "" {
		r.recStatus = append(r.recStatus, recStatus{control: control, url: u, rec: url, format: str(m, "format"), started: r.s.Clock().Now()})
		r.event(ctx, u, "calling.call.record", map[string]any{"control_id": control, "state": "recording"})
	}
	return flow{}
}

type recStatus struct {
	control, url, rec, format string
	started                   time.Time
}

func (r *runner) stopRecording(ctx context.Context, control string) {
	for i := 0; i < len(r.records); i++ {
		if control != "" && r.records[i] != control {
			continue
		}
		id := r.records[i]
		r.records = append(r.records[:i], r.records[i+1:]...)
		i--
		r.s.Emit(call.Event{Type: call.EvRecord, Text: "record_call " + id + " stopped"})
		for _, rs := range r.recStatus {
			if rs.control != id {
				continue
			}
			format := rs.format
			if format == "" {
				format = "wav"
			}
			d := r.s.Clock().Now().Sub(rs.started).Seconds()
			r.event(ctx, rs.url, "calling.call.record", map[string]any{"control_id": id, "state": "finished",
				"record": map[string]any{"url": rs.rec, "duration": d, "size": int(d * 16000), "format": format}})
		}
	}
}

func (r *runner) stopRecordings(ctx context.Context) { r.stopRecording(ctx, "") }

// ringTime and talkTime are how long a connected party rings and talks
// (as replay/cxml's Dial), on the call's clock.
const (
	ringTime = 4 * time.Second
	talkTime = 10 * time.Second
)

// connect dials the destination (its outcome from --dial, the terminal,
// else answered) and reports call_state_url events.
func (r *runner) connect(ctx context.Context, st doc.Step, p string) flow {
	v, f, ok := r.expand(params(st.Params), p)
	if !ok {
		return f
	}
	m := v.(map[string]any)
	to := str(m, "to")
	if to == "" {
		for _, k := range []string{"parallel", "serial", "serial_parallel"} {
			if list, ok := m[k].([]any); ok && len(list) > 0 {
				to = str(params(list[0]), "to")
				r.s.Emit(call.Event{Type: call.EvNote, Text: fmt.Sprintf("connect %s: only the first destination, %s, is dialled", k, to)})
				break
			}
		}
	}
	stateURL := str(m, "call_state_url")
	events := []string{"ended"}
	if list, ok := m["call_state_events"].([]any); ok {
		events = events[:0]
		for _, e := range list {
			events = append(events, text(e))
		}
	}
	from := str(m, "from")
	if from == "" {
		from = r.s.From()
	}
	state := func(cs, end string) {
		if stateURL == "" || !contains(events, cs) {
			return
		}
		pp := map[string]any{"call_state": cs, "direction": "outbound",
			"device": map[string]any{"type": "phone", "params": map[string]any{"from_number": from, "to_number": to}}}
		if end != "" {
			pp["end_reason"] = end
		} else {
			pp["end_reason"] = nil
		}
		r.event(ctx, stateURL, "calling.call.state", pp)
	}
	r.s.Answer(ctx)
	r.sc.call["call_state"] = "answered"
	state("created", "")
	state("ringing", "")
	outcome, err := r.s.Caller().Dial(ctx, to)
	if err != nil {
		r.s.Stop(fmt.Errorf("reading the dial outcome: %w", err))
		return flow{kind: ended}
	}
	result, reason, end := "connected", "", "hangup"
	switch outcome {
	case "busy":
		result, reason, end = "failed", "busy", "busy"
	case "no-answer":
		result, reason, end = "failed", "no_answer", "no_answer"
	case "failed":
		result, reason, end = "failed", "error", "error"
	case "canceled":
		result, reason, end = "failed", "cancel", "cancel"
	}
	// The same pretend durations as a cXML Dial: the other phone rings,
	// then (when answered) talks, on the call's clock.
	r.s.Clock().Sleep(ctx, ringTime)
	why := "connect_result " + result
	if reason != "" {
		why += ", " + reason
	}
	r.s.Emit(call.Event{Type: call.EvDial, To: to, Outcome: outcome, Text: why})
	if result == "connected" {
		state("answered", "")
		r.s.Clock().Sleep(ctx, talkTime)
	}
	state("ended", end)
	r.sc.vars["connect_result"] = result
	r.sc.vars["return_value"] = result
	if reason != "" {
		r.sc.vars["connect_failed_reason"] = reason
	} else {
		delete(r.sc.vars, "connect_failed_reason")
	}
	return flow{}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// request sends a real HTTP request and saves what came back.
func (r *runner) request(ctx context.Context, st doc.Step, p string) flow {
	v, f, ok := r.expand(params(st.Params), p)
	if !ok {
		return f
	}
	m := v.(map[string]any)
	for _, k := range []string{"request_response", "request_response_body", "request_response_code", "request_response_headers"} {
		delete(r.sc.vars, k)
	}
	if r.flavor == doc.Messaging {
		r.reqs++
		if r.reqs > MessagingMaxRequests {
			r.sc.vars["request_result"] = "limit_exceeded"
			r.s.Emit(call.Event{Type: call.EvNote, Text: fmt.Sprintf("request skipped: a messaging document may make %d requests", MessagingMaxRequests)})
			return flow{}
		}
	}
	url := str(m, "url")
	method := strings.ToUpper(str(m, "method"))
	if method == "" {
		method = http.MethodPost
		if r.flavor == doc.Calling {
			method = http.MethodGet
		}
	}
	var body []byte
	ct := ""
	switch b := m["body"].(type) {
	case nil:
	case string:
		body = []byte(b)
	default:
		body, _ = json.Marshal(b)
		ct = "application/json"
	}
	if ct == "" && len(body) > 0 {
		switch t := bytes.TrimSpace(body); {
		case len(t) > 0 && (t[0] == '{' || t[0] == '['):
			ct = "application/json"
		case len(t) > 0 && t[0] == '<':
			ct = "application/xml"
		default:
			ct = "text/plain"
		}
	}
	timeout := seconds(num(m, "timeout", 0))
	connect := seconds(num(m, "connect_timeout", 0))
	if r.flavor == doc.Messaging && (timeout <= 0 || timeout > 5*time.Second) {
		timeout = 5 * time.Second
	}
	rctx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		rctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	r.sc.vars["request_url"] = url
	req, err := http.NewRequestWithContext(rctx, method, url, bytes.NewReader(body))
	if err != nil {
		r.sc.vars["request_result"] = "failed"
		r.sc.vars["return_value"] = "failed"
		r.s.Emit(call.Event{Type: call.EvRequest, Label: "request", Method: method, URL: url, Error: err.Error()})
		return flow{}
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for k, hv := range params(m["headers"]) {
		req.Header.Set(k, text(hv))
	}
	req.Header.Set("User-Agent", call.UserAgent)
	client := r.http
	if client == nil {
		d := &net.Dialer{Timeout: connect}
		client = &http.Client{Transport: &http.Transport{DialContext: d.DialContext, Proxy: http.ProxyFromEnvironment}}
		defer client.CloseIdleConnections()
	}
	start := time.Now()
	resp, err := client.Do(req)
	ev := call.Event{Type: call.EvRequest, Label: "request", Method: method, URL: url}
	if err != nil {
		res := "failed"
		if rctx.Err() == context.DeadlineExceeded && r.flavor == doc.Messaging {
			res = "timeout"
		}
		r.sc.vars["request_result"] = res
		r.sc.vars["return_value"] = res
		ev.Error = err.Error()
		ev.DurationMS = float64(time.Since(start).Microseconds()) / 1000
		r.s.Emit(ev)
		return flow{}
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	ev.HTTPStatus, ev.ContentType = resp.StatusCode, resp.Header.Get("Content-Type")
	ev.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	r.s.Emit(ev)
	res := "success"
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		res = "failed"
	}
	r.sc.vars["request_result"] = res
	r.sc.vars["return_value"] = res
	r.sc.vars["request_response_code"] = float64(resp.StatusCode)
	r.sc.vars["request_response_body"] = string(data)
	hdrs := map[string]any{}
	n := 0
	for k, vs := range resp.Header {
		if n >= 64 {
			break
		}
		hdrs[strings.ToLower(strings.TrimSpace(k))] = strings.Join(vs, ", ")
		n++
	}
	r.sc.vars["request_response_headers"] = hdrs
	if boolean(m, "save_variables") {
		var parsed any
		if err := json.Unmarshal(data, &parsed); err == nil {
			r.sc.vars["request_response"] = plain(parsed)
			r.trace("saved the JSON answer as request_response.*")
		} else {
			r.s.Emit(call.Event{Type: call.EvNote, Text: "save_variables: the answer is not JSON, so no request_response.* variables"})
		}
	}
	return flow{}
}
