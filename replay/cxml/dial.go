package cxml

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/swhook/swhook/inspect/delivery"
	"github.com/swhook/swhook/replay/call"
)

// talkTime is how long a pretend answered Dial lasts.
const talkTime = 10 * time.Second

// ringTime is how long a pretend Dial rings before it is answered.
const ringTime = 4 * time.Second

func (v *voice) dial(ctx context.Context, n *Node, base string) (outcome, bool) {
	s := v.s
	timeout := time.Duration(intAttr(n, "timeout", 30)) * time.Second
	timeLimit := time.Duration(intAttr(n, "timeLimit", 14400)) * time.Second
	type party struct {
		node   *Node
		target string
	}
	var parties []party
	if len(n.Children) == 0 && n.Text != "" {
		parties = append(parties, party{n, n.Text})
	}
	for _, c := range n.Children {
		switch c.Name {
		case "Number", "Sip", "Client", "Verto":
			parties = append(parties, party{c, c.Text})
		case "Queue":
			parties = append(parties, party{c, "queue " + c.Text})
		case "Conference":
			parties = append(parties, party{c, "conference " + c.Text})
		default:
			s.Fail(delivery.Errorf(delivery.CodeParse, "<%s> cannot be nested in <Dial>", c.Name))
			return outcome{end: true, status: "completed", why: "SignalWire ends a call whose document it cannot run"}, false
		}
	}
	if len(parties) == 0 {
		s.Fail(delivery.New(delivery.CodeParse, "<Dial> with nothing to dial"))
		return outcome{end: true, status: "completed"}, false
	}
	targets := make([]string, len(parties))
	for i, p := range parties {
		targets[i] = p.target
	}
	who := strings.Join(targets, ", ")
	result, err := s.Caller().Dial(ctx, who)
	if err != nil {
		return outcome{end: true, status: "canceled", why: err.Error()}, false
	}
	childSid := s.UUID()
	conference := parties[0].node.Name == "Conference"
	if conference && result == "completed" {
		result = "answered" // DialCallStatus for a conference
	}
	talk := time.Duration(0)
	switch result {
	case "completed", "answered":
		s.Wait(ctx, ringTime)
		talk = min(talkTime, timeLimit)
	case "no-answer":
		s.Wait(ctx, timeout)
	case "busy", "failed", "canceled":
	}
	note := ""
	if conference {
		note = "joins the conference"
	}
	s.Emit(call.Event{Type: call.EvDial, To: who, Outcome: result, Text: note})
	for _, p := range parties {
		if p.node.Name == "Number" || p.node.Name == "Sip" {
			if u := p.node.Attr("url", ""); u != "" {
				s.Skip(p.node.Name+" url", "the dialled party's whisper document is not fetched")
			}
			v.partyCallbacks(ctx, p.node, base, childSid, p.target, result, talk)
		}
		if p.node.Name == "Conference" {
			if p.node.Attr("statusCallback", "") != "" {
				s.Skip("Conference statusCallback", "conference events are not emulated")
			}
		}
	}
	s.Wait(ctx, talk)
	recURL := ""
	if rec := n.Attr("record", "do-not-record"); rec != "do-not-record" && rec != "false" && talk > 0 {
		recURL = s.RecordingURL(s.UUID())
	}
	if !n.Has("action") {
		return outcome{}, true
	}
	u, ok := v.resolve(base, n.Attr("action", ""))
	if !ok {
		return outcome{end: true, status: "completed"}, false
	}
	extra := [][2]string{{"DialCallStatus", result}, {"DialCallSid", childSid}, {"DialCallDuration", strconv.Itoa(int(talk / time.Second))}}
	if recURL != "" {
		extra = append(extra, [2]string{"RecordingUrl", recURL})
	}
	return outcome{next: &next{method: method(n, "method"), url: u, label: "Dial action", params: s.Params(extra)}}, false
}

// partyCallbacks sends a <Number statusCallback>'s events for the child
// leg: initiated, ringing, answered, completed (default completed only).
func (v *voice) partyCallbacks(ctx context.Context, p *Node, base, childSid, to, result string, talk time.Duration) {
	s := v.s
	cb := p.Attr("statusCallback", "")
	if cb == "" {
		return
	}
	u, ok := v.resolve(base, cb)
	if !ok {
		return
	}
	want := strings.Fields(p.Attr("statusCallbackEvent", "completed"))
	if len(want) == 0 {
		want = []string{"completed"}
	}
	type step struct{ event, status string }
	steps := []step{{"initiated", "initiated"}, {"ringing", "ringing"}}
	final := result
	switch result {
	case "completed", "answered":
		steps = append(steps, step{"answered", "in-progress"})
		final = "completed"
	}
	steps = append(steps, step{"completed", final})
	if result == "failed" {
		steps = []step{{"initiated", "initiated"}, {"completed", "failed"}}
	}
	seq := 0
	for _, st := range steps {
		if !contains(want, st.event) {
			continue
		}
		form := [][2]string{
			{"AccountSid", s.AccountSid()}, {"ApiVersion", call.APIVersion}, {"CallSid", childSid},
			{"CallStatus", st.status}, {"Direction", "outbound-dial"}, {"From", s.From()}, {"To", to},
			{"ParentCallSid", s.CallSid()}, {"Timestamp", s.Timestamp()}, {"CallbackSource", "call-progress-events"},
			{"SequenceNumber", strconv.Itoa(seq)},
		}
		if st.event == "completed" {
			form = append(form, [2]string{"CallDuration", strconv.Itoa(int(talk / time.Second))})
		}
		seq++
		s.Fetch(ctx, call.Request{Purpose: delivery.StatusCallback, Method: method(p, "statusCallbackMethod"), URL: u,
			Label: "Number status " + st.event, Form: form})
	}
}

func (v *voice) enqueue(ctx context.Context, n *Node, base string) (outcome, bool) {
	s := v.s
	queue := n.Text
	qsid := s.UUID()
	s.Emit(call.Event{Type: call.EvEnqueue, Text: "waiting in queue " + queue})
	result := "bridged"
	if w := n.Attr("waitUrl", ""); w != "" {
		u, ok := v.resolve(base, w)
		if !ok {
			return outcome{end: true, status: "completed"}, false
		}
		doc, wbase, ok := v.fetch(ctx, &next{method: method(n, "waitUrlMethod"), url: u, label: "Enqueue waitUrl",
			params: s.Params([][2]string{{"QueuePosition", "1"}, {"QueueSid", qsid}, {"QueueTime", "0"}, {"AvgQueueTime", "0"}, {"CurrentQueueSize", "1"}})})
		if !ok {
			result = "error"
		} else {
			o := v.run(ctx, doc, wbase, true)
			switch {
			case o.leave:
				result = "leave"
			case o.end:
				return o, false
			case o.next != nil:
				s.Skip("Redirect in a wait document", "followed as the caller's next document")
				return o, false
			}
		}
	}
	if result == "bridged" {
		outcomeDial, err := s.Caller().Dial(ctx, "the agent answering queue "+queue)
		if err != nil {
			return outcome{end: true, status: "canceled", why: err.Error()}, false
		}
		if outcomeDial != "completed" && outcomeDial != "answered" {
			result = "hangup"
		}
		s.Emit(call.Event{Type: call.EvDial, To: "queue " + queue, Outcome: result})
	}
	if !n.Has("action") {
		if result == "bridged" {
			return outcome{end: true, status: "completed", why: "bridged to an agent, who hung up"}, false
		}
		return outcome{}, true
	}
	u, ok := v.resolve(base, n.Attr("action", ""))
	if !ok {
		return outcome{end: true, status: "completed"}, false
	}
	return outcome{next: &next{method: method(n, "method"), url: u, label: "Enqueue action",
		params: s.Params([][2]string{{"QueueResult", result}, {"QueueSid", qsid}, {"QueueTime", "0"}})}}, false
}

func (v *voice) sms(ctx context.Context, n *Node, base string) (outcome, bool) {
	s := v.s
	// During an inbound call, to defaults to the caller, from to the
	// called number.
	to, from := n.Attr("to", s.From()), n.Attr("from", s.To())
	sid := s.UUID()
	s.Emit(call.Event{Type: call.EvSMS, To: to, From: from, Text: n.Text, Status: "sent"})
	sms := func(status string) [][2]string {
		return s.Params([][2]string{{"SmsSid", sid}, {"SmsStatus", status}})
	}
	if cb := n.Attr("statusCallback", ""); cb != "" {
		if u, ok := v.resolve(base, cb); ok {
			s.Fetch(ctx, call.Request{Purpose: delivery.StatusCallback, Method: http.MethodPost, URL: u, Label: "Sms status sent", Form: sms("sent")})
		}
	}
	if !n.Has("action") {
		return outcome{}, true
	}
	u, ok := v.resolve(base, n.Attr("action", ""))
	if !ok {
		return outcome{end: true, status: "completed"}, false
	}
	return outcome{next: &next{method: method(n, "method"), url: u, label: "Sms action", params: sms("sending")}}, false
}
