package cxml

import (
	"context"
	"math/rand/v2"
	"net/url"
	"reflect"
	"testing"

	"github.com/swhook/swhook/replay/call"
)

func sendMessage(t *testing.T, a *app, in Inbound) (*call.Session, *call.Events) {
	t.Helper()
	ev := &call.Events{}
	s, err := call.NewSession(call.Config{URL: a.url("/sms"), Key: testKey, From: "+15551230000", To: "+15557654321",
		Sink: ev, Store: &memStore{}, Rand: rand.New(rand.NewPCG(3, 3))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	Message(context.Background(), s, in)
	return s, ev
}

func statuses(hs []hit) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.Form.Get("MessageStatus"))
	}
	return out
}

// TestSMSReply: the reply's status callbacks arrive queued, sent,
// delivered, each signed, and then its action.
func TestSMSReply(t *testing.T) {
	a := newApp(t)
	a.route("/sms", func(f url.Values) string {
		return Resp(E("Message", "action", "/after", "statusCallback", "/msgstatus").T("You said: " + f.Get("Body")))
	})
	a.route("/after", func(url.Values) string { return Resp() })
	s, ev := sendMessage(t, a, Inbound{Body: "hello"})
	if got, want := a.paths(), []string{"/sms", "/msgstatus", "/msgstatus", "/msgstatus", "/after"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("requests %v, want %v", got, want)
	}
	a.checkSigned("")
	in := a.to("/sms")[0].Form
	if in.Get("Body") != "hello" || in.Get("From") != "+15551230000" || in.Get("To") != "+15557654321" || in.Get("NumMedia") != "0" || in.Get("MessageSid") == "" {
		t.Errorf("inbound %v", in)
	}
	st := a.to("/msgstatus")
	if got := statuses(st); !reflect.DeepEqual(got, []string{"queued", "sent", "delivered"}) {
		t.Errorf("statuses %v", got)
	}
	if st[0].Form.Get("To") != "+15551230000" || st[0].Form.Get("From") != "+15557654321" || st[0].Form.Get("Body") != "You said: hello" {
		t.Errorf("status callback %v", st[0].Form)
	}
	if act := a.to("/after")[0].Form; act.Get("MessageStatus") != "sent" || act.Get("MessageSid") != st[0].Form.Get("MessageSid") {
		t.Errorf("action %v", act)
	}
	if sms := ev.Of(call.EvSMS); len(sms) != 1 || sms[0].Text != "You said: hello" {
		t.Errorf("replies %+v", sms)
	}
	if s.Failed() {
		t.Error(s.Errors())
	}
}

// TestMMSStopsAtSent: no delivery receipt for an MMS; an undelivered SMS
// carries its ErrorCode.
func TestMMSStopsAtSent(t *testing.T) {
	a := newApp(t)
	a.route("/sms", func(f url.Values) string {
		return Resp(E("Message", "statusCallback", "/mms").K(E("Body").T("pic"), E("Media").T("https://x.example/c.jpg")),
			E("Message", "statusCallback", "/sms2", "to", "+15550009999").T("copy"))
	})
	_, _ = sendMessage(t, a, Inbound{Body: "send a pic", Media: []string{"https://x.example/in.png"}, Outcome: "undelivered"})
	if in := a.to("/sms")[0].Form; in.Get("NumMedia") != "1" || in.Get("MediaContentType0") != "image/png" {
		t.Errorf("inbound %v", in)
	}
	if got := statuses(a.to("/mms")); !reflect.DeepEqual(got, []string{"queued", "sent"}) {
		t.Errorf("MMS statuses %v", got)
	}
	s2 := a.to("/sms2")
	if got := statuses(s2); !reflect.DeepEqual(got, []string{"queued", "sent", "undelivered"}) || s2[2].Form.Get("ErrorCode") != "30003" || s2[0].Form.Get("To") != "+15550009999" {
		t.Errorf("SMS statuses %v %v", got, s2)
	}
	a.checkSigned("")
}

// TestMessagingRedirect: <Redirect> fetches the next answer with the
// inbound message's parameters.
func TestMessagingRedirect(t *testing.T) {
	a := newApp(t)
	a.route("/sms", func(url.Values) string { return Resp(E("Redirect").T("/other")) })
	a.route("/other", func(f url.Values) string { return Resp(E("Message").T("from other: " + f.Get("Body"))) })
	s, ev := sendMessage(t, a, Inbound{Body: "ping"})
	if got := a.paths(); !reflect.DeepEqual(got, []string{"/sms", "/other"}) {
		t.Fatalf("requests %v", got)
	}
	if sms := ev.Of(call.EvSMS); len(sms) != 1 || sms[0].Text != "from other: ping" {
		t.Errorf("replies %+v", sms)
	}
	a.checkSigned("")
	if s.Failed() {
		t.Error(s.Errors())
	}
}
