package cxml

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/swhook/swhook/replay/call"
)

var fuzzSeeds = []string{
	`<Response><Say>hi</Say></Response>`,
	`<?xml version="1.0"?><Response><Gather numDigits="1" action="/a"><Say>x</Say><Pause length="1"/></Gather><Redirect>/b</Redirect></Response>`,
	`<Response><Record action="r" recordingStatusCallback="/s" transcribeCallback="/t"/></Response>`,
	`<Response><Dial action="/d" timeout="x"><Number statusCallback="/n" statusCallbackEvent="initiated ringing answered completed">+1555</Number><Conference>c</Conference></Dial></Response>`,
	`<Response><Enqueue waitUrl="/w" action="/e">q</Enqueue><Leave/><Sms action="/s">t</Sms><Reject reason="busy"/></Response>`,
	`<Response><Message action="/a" statusCallback="/s"><Body>b</Body><Media>m</Media></Message></Response>`,
	`<response/>`, `<Response><Say>`, `<Response></Response><Response/>`, "\xef\xbb\xbf<Response/>", ` <?xml version="1.0"?><Response/>`,
}

// FuzzParse: any bytes give a document or a 12100, never a panic.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		doc, err := Parse(b)
		if (doc == nil) == (err == nil) {
			t.Fatalf("doc %v and err %v", doc, err)
		}
		if doc != nil && doc.Name != "Response" {
			t.Fatalf("root %q", doc.Name)
		}
	})
}

// FuzzVoiceAndMessage: whatever the handler answers, the call and the
// message end, within --max-steps, without a panic.
func FuzzVoiceAndMessage(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	var doc atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml")
		w.Write(doc.Load().([]byte))
	}))
	defer srv.Close()
	f.Fuzz(func(t *testing.T, b []byte) {
		doc.Store(b)
		for _, message := range []bool{false, true} {
			ev := &call.Events{}
			caller, _ := call.NewScript([]string{"1", "speech:yes", "#"}, []string{"busy"}, 3, 0, nil)
			s, err := call.NewSession(call.Config{URL: srv.URL + "/v", Key: "k", MaxSteps: 4, Sink: ev, Caller: caller,
				StatusCallback: srv.URL + "/status", Rand: rand.New(rand.NewPCG(1, 1))})
			if err != nil {
				t.Fatal(err)
			}
			if message {
				Message(context.Background(), s, Inbound{Body: "hi"})
			} else {
				Voice(context.Background(), s)
			}
			s.Close()
			if n := len(ev.Of(call.EvEnd)); n != 1 {
				t.Fatalf("%d end events", n)
			}
			for _, e := range ev.List {
				call.Line(e)
			}
		}
	})
}
