package cxml

import (
	"context"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/swhook/swhook/inspect/delivery"
	"github.com/swhook/swhook/replay/call"
)

// Inbound is the message a pretend sender sends.
type Inbound struct {
	Body  string
	Media []string
	// Outcome is the last status of every reply: delivered (default),
	// undelivered or failed. An MMS never gets past sent.
	Outcome string
}

// Outcomes a reply can end in.
var Outcomes = []string{"delivered", "undelivered", "failed"}

// Message sends an inbound message webhook to the session's URL, runs the
// messaging answer and sends each reply's status callbacks in order.
func Message(ctx context.Context, s *call.Session, in Inbound) {
	m := &messenger{s: s, in: in, sid: s.UUID()}
	if m.in.Outcome == "" {
		m.in.Outcome = "delivered"
	}
	s.Emit(call.Event{Type: call.EvMessage, From: s.From(), To: s.To(), URL: s.VoiceURL(), Text: in.Body, MessageSid: m.sid})
	n := &next{method: http.MethodPost, url: s.VoiceURL(), label: "messaging URL", params: m.inboundParams()}
	for n != nil {
		doc, base, ok := m.fetch(ctx, n)
		if !ok {
			break
		}
		n = m.run(ctx, doc, base)
	}
	s.Emit(call.Event{Type: call.EvEnd, Status: "done", MessageSid: m.sid, Errors: len(s.Errors()), Stopped: stopped(s)})
}

type messenger struct {
	s   *call.Session
	in  Inbound
	sid string
}

func (m *messenger) inboundParams() [][2]string {
	s := m.s
	p := [][2]string{
		{"MessageSid", m.sid}, {"SmsSid", m.sid}, {"AccountSid", s.AccountSid()},
		{"From", s.From()}, {"To", s.To()}, {"Body", m.in.Body},
		{"NumMedia", strconv.Itoa(len(m.in.Media))}, {"NumSegments", strconv.Itoa(call.Segments(m.in.Body))},
		{"MessageStatus", "received"}, {"SmsStatus", "received"}, {"ApiVersion", call.APIVersion},
	}
	for i, u := range m.in.Media {
		p = append(p, [2]string{"MediaUrl" + strconv.Itoa(i), u}, [2]string{"MediaContentType" + strconv.Itoa(i), mediaType(u)})
	}
	return p
}

func mediaType(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	if t := mime.TypeByExtension(path.Ext(u)); t != "" {
		t, _, _ = strings.Cut(t, ";")
		return t
	}
	return "application/octet-stream"
}

func (m *messenger) fetch(ctx context.Context, n *next) (*Node, string, bool) {
	return fetchDoc(ctx, m.s, n, n.params)
}

func (m *messenger) run(ctx context.Context, doc *Node, base string) *next {
	s := m.s
	for _, verb := range doc.Children {
		switch verb.Name {
		case "Message":
			if n := m.reply(ctx, verb, base); n != nil {
				return n
			}
		case "Redirect":
			u, err := s.Resolve(base, verb.Text)
			if err != nil {
				s.Fail(delivery.Errorf(delivery.CodeNoURL, "%v", err))
				return nil
			}
			s.Emit(call.Event{Type: call.EvRedirect, URL: u})
			return &next{method: method(verb, "method"), url: u, label: "Redirect", params: m.inboundParams()}
		default:
			s.Fail(delivery.Errorf(delivery.CodeParse, "<%s> is not a messaging verb (Message, Redirect)%s", verb.Name, caseHint(verb.Name, "Message")))
			return nil
		}
	}
	return nil
}

// reply sends one <Message>: prints it, sends its status callbacks, and
// requests its action (whose answer replaces the document).
func (m *messenger) reply(ctx context.Context, n *Node, base string) *next {
	s := m.s
	body := n.Text
	var media []string
	for _, c := range n.Children {
		switch c.Name {
		case "Body":
			body = c.Text
		case "Media":
			media = append(media, c.Text)
		}
	}
	to, from := n.Attr("to", s.From()), n.Attr("from", s.To())
	sid := s.UUID()
	mms := len(media) > 0
	statuses := []string{"queued", "sent", m.in.Outcome}
	switch {
	case m.in.Outcome == "failed":
		statuses = []string{"queued", "failed"}
	case mms:
		statuses = []string{"queued", "sent"}
	}
	final := statuses[len(statuses)-1]
	text := body
	for _, u := range media {
		text += " [" + u + "]"
	}
	s.Emit(call.Event{Type: call.EvSMS, From: from, To: to, Text: strings.TrimSpace(text), Status: final, MessageSid: sid})
	if mms && m.in.Outcome == "delivered" {
		s.Emit(call.Event{Type: call.EvNote, Text: "an MMS stops at sent: carriers send no delivery receipt for MMS"})
	}
	params := func(status string) [][2]string {
		p := [][2]string{
			{"MessageSid", sid}, {"SmsSid", sid}, {"AccountSid", s.AccountSid()}, {"From", from}, {"To", to},
			{"Body", body}, {"MessageStatus", status}, {"SmsStatus", status},
			{"NumMedia", strconv.Itoa(len(media))}, {"NumSegments", strconv.Itoa(call.Segments(body))}, {"ApiVersion", call.APIVersion},
		}
		switch status {
		case "undelivered":
			p = append(p, [2]string{"ErrorCode", "30003"})
		case "failed":
			p = append(p, [2]string{"ErrorCode", "30008"})
		}
		return p
	}
	if cb := n.Attr("statusCallback", ""); cb != "" {
		u, err := s.Resolve(base, cb)
		if err != nil {
			s.Fail(delivery.Errorf(delivery.CodeNoURL, "%v", err))
		} else {
			for _, st := range statuses {
				s.Fetch(ctx, call.Request{Purpose: delivery.StatusCallback, Method: http.MethodPost, URL: u, Label: "message status " + st, Form: params(st)})
			}
		}
	}
	if !n.Has("action") {
		return nil
	}
	u, err := s.Resolve(base, n.Attr("action", ""))
	if err != nil {
		s.Fail(delivery.Errorf(delivery.CodeNoURL, "%v", err))
		return nil
	}
	st := "sent"
	if final == "failed" {
		st = "failed"
	}
	p := params(st)
	if st != "failed" {
		p = append(p, [2]string{"ErrorCode", ""})
	}
	return &next{method: method(n, "method"), url: u, label: "Message action", params: p}
}

func stopped(s *call.Session) string {
	if s.Failed() && len(s.Errors()) == 0 {
		return "stopped"
	}
	return ""
}
