package swml

import (
	"context"
	"strings"

	doc "github.com/swhook/swhook/inspect/swml"
	"github.com/swhook/swhook/replay/call"
)

// Inbound is the message a pretend sender sends to a SWML messaging URL.
type Inbound struct {
	Body  string
	Media []string
}

// Message sends an inbound message's SWML fetch to the session's URL and
// runs the messaging document: reply, receive, switch, request, transfer,
// execute, goto, %{} substitution (no JavaScript, as on SignalWire).
func Message(ctx context.Context, s *call.Session, in Inbound, opt Options) error {
	r, err := newRunner(s, doc.Messaging, opt)
	if err != nil {
		return err
	}
	sid := s.UUID()
	media := []any{}
	for _, u := range in.Media {
		media = append(media, map[string]any{"url": u, "content_type": "application/octet-stream", "size": 0})
	}
	typ := "sms"
	if len(in.Media) > 0 {
		typ = "mms"
	}
	r.sc.call = map[string]any{
		"message_id": sid, "project_id": s.AccountSid(), "space_id": r.space, "direction": "inbound",
		"type": typ, "from": s.From(), "to": s.To(), "body": in.Body, "media": media,
		"segments": float64(call.Segments(in.Body)), "timestamp": s.Clock().Now().UTC().Format("2006-01-02T15:04:05.000Z"),
	}
	s.Emit(call.Event{Type: call.EvMessage, From: s.From(), To: s.To(), URL: s.VoiceURL(), Text: in.Body, MessageSid: sid})
	d, u, ok := r.fetch(ctx, s.VoiceURL(), nil, "SWML messaging document")
	if ok {
		switch {
		case d.HasReply:
			r.reply(ctx, d.Reply, "reply")
		case d.Receive:
			r.trace("receive: the message is accepted without a reply")
		default:
			r.run(ctx, d, u)
		}
	}
	s.Emit(call.Event{Type: call.EvEnd, Status: "done", MessageSid: sid, Errors: len(s.Errors()), Stopped: stoppedText(s)})
	return nil
}

func stoppedText(s *call.Session) string {
	if s.Failed() && len(s.Errors()) == 0 {
		return "stopped"
	}
	return ""
}

func (r *runner) messagingStep(ctx context.Context, st doc.Step, section string, depth int) flow {
	p := st.Path + "." + st.Method
	switch st.Method {
	case "label":
		return flow{}
	case "receive":
		r.trace("receive: the message is accepted without a reply")
		return flow{}
	case "reply":
		return r.reply(ctx, st.Params, p)
	case "switch":
		return r.switchStep(ctx, st, p, section, depth)
	case "goto":
		return r.gotoStep(st, p)
	case "execute":
		return r.execute(ctx, st, p, depth)
	case "return":
		v, f, ok := r.expand(st.Params, p)
		if !ok {
			return f
		}
		return flow{kind: returned, value: v}
	case "transfer":
		v, f, ok := r.expand(params(st.Params), p)
		if !ok {
			return f
		}
		m := v.(map[string]any)
		dest := strings.TrimSpace(str(m, "dest"))
		if !doc.IsURL(dest) {
			return r.fail(doc.MsgTransferFailed, p, "transfer.dest must be a URL, not %q", dest)
		}
		r.xfers++
		if r.xfers > MaxTransfers {
			return r.fail(doc.MsgTransferFailed, p, "more than %d transfers", MaxTransfers)
		}
		next, err := r.s.Resolve(r.docURL, dest)
		if err != nil {
			return r.fail(doc.MsgTransferFailed, p, "%s", err)
		}
		r.trace("transfer to %s", next)
		pr := params(m["params"])
		nd, nu, ok := r.fetch(ctx, next, pr, "transfer dest")
		if !ok {
			return flow{kind: ended}
		}
		r.setParams(pr)
		switch {
		case nd.HasReply:
			r.reply(ctx, nd.Reply, "reply")
			return flow{kind: ended}
		case nd.Receive:
			return flow{kind: ended}
		}
		return flow{kind: transferred, doc: nd, section: "main", url: nu}
	case "request":
		return r.request(ctx, st, p)
	}
	return r.fail(doc.MsgUnsupportedMethod, st.Path, "%q is not a messaging SWML method", st.Method)
}

// reply sends the reply message: a string, an object, or an inline switch
// choosing one.
func (r *runner) reply(ctx context.Context, v any, p string) flow {
	if m, ok := v.(map[string]any); ok {
		if sw, ok := m["switch"].(map[string]any); ok {
			name := str(sw, "variable")
			val, _ := r.sc.lookup(strings.TrimSpace(name))
			got := transform(str(sw, "transform"), text(val))
			c, ok := params(sw["case"])[got]
			key := got
			if !ok {
				c, ok = sw["default"]
				key = "default"
			}
			if !ok {
				r.sc.vars["reply_result"] = "failed"
				return r.fail(doc.MsgSwitchNoMatch, p, "%s is %q: no case matches and there is no default", name, got)
			}
			r.trace("reply switch %s = %q → %s", name, got, key)
			v = c
		}
	}
	e, err := r.sc.expand(v)
	if err != nil {
		return r.fail(doc.MsgReplyBodyOrMedia, p, "%s", err)
	}
	body, to, from := "", r.s.From(), r.s.To()
	var media []any
	switch x := e.(type) {
	case string:
		body = x
	case map[string]any:
		body = str(x, "body")
		media, _ = x["media"].([]any)
		if t := str(x, "to"); t != "" {
			to = t
		}
		if f := str(x, "from"); f != "" {
			from = f
		}
		if str(x, "status_url") != "" {
			defer r.s.Emit(call.Event{Type: call.EvNote, Text: "reply status_url: swhook does not send the reply's delivery callbacks in messaging SWML"})
		}
	}
	if body == "" && len(media) == 0 {
		r.sc.vars["reply_result"] = "failed"
		return r.fail(doc.MsgReplyBodyOrMedia, p, "the reply has no body and no media")
	}
	if len(media) > 8 {
		r.sc.vars["reply_result"] = "failed"
		return r.fail(doc.MsgReplyMediaLimit, p, "%d media; the limit is 8", len(media))
	}
	id := r.s.UUID()
	r.sc.vars["reply_result"] = "queued"
	r.sc.vars["reply_message_id"] = id
	shown := body
	if len(media) > 0 {
		shown += " (+media)"
	}
	r.s.Emit(call.Event{Type: call.EvSMS, From: from, To: to, Text: shown, Status: "queued", MessageSid: id})
	return flow{}
}
