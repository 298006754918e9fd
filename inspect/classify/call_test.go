package classify

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/swhook/swhook/inspect/exchange"
)

// Every captured sample names the call or message it belongs to, by the
// identity SignalWire put in it; a call's webhooks (the fetch, its actions,
// its recording and status callbacks) all name the same call.
func TestCallIdentityOfSamples(t *testing.T) {
	const (
		cxmlCall = "b3877c40-da60-4998-90ad-b792e98472ca"
		relay    = "2c8e6b1a-5f3d-4e2a-9b7c-1d0e9f8a7b6c"
		msg      = "0a059168-ead0-41af-9d1f-343dae832527"
	)
	want := map[string]exchange.CallRef{
		"call_inbound.txtar":               {ID: cxmlCall},
		"call_inbound_get.txtar":           {ID: cxmlCall},
		"call_outbound_api.txtar":          {ID: cxmlCall},
		"call_status_completed.txtar":      {ID: cxmlCall},
		"call_status_number.txtar":         {ID: cxmlCall},
		"call_status_ringing.txtar":        {ID: cxmlCall},
		"dial_action.txtar":                {ID: cxmlCall}, // DialCallSid names the child; the action is the parent's
		"gather_action.txtar":              {ID: cxmlCall},
		"record_action.txtar":              {ID: cxmlCall},
		"recording_status.txtar":           {ID: cxmlCall},
		"transcription.txtar":              {ID: cxmlCall},
		"message_inbound.txtar":            {ID: msg},
		"message_status.txtar":             {ID: msg},
		"message_status_undelivered.txtar": {ID: msg},
		"mms_inbound.txtar":                {ID: "5b3e0b7a-2f6c-4b5c-9f1e-1d2c3b4a5f6e"},
		"message_status_json.txtar":        {ID: "a1b2c3d4-e5f6-7890-abcd-ef1234567890"},
		"relay_call_state.txtar":           {ID: relay},
		"relay_other_event.txtar":          {ID: "2c8e6b1a"},
		"swml_call.txtar":                  {ID: relay},
		"swml_message.txtar":               {ID: msg},
		"fax_inbound.txtar":                {},
		"fax_status.txtar":                 {},
		"unknown_form.txtar":               {},
		"unknown_json.txtar":               {},
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	for _, f := range files {
		name := filepath.Base(f)
		w, ok := want[name]
		if !ok {
			t.Errorf("%s: no expected call identity", name)
			continue
		}
		if got := Call(loadRequest(t, name)); got != w {
			t.Errorf("%s: %+v, want %+v", name, got, w)
		}
	}
}

// A <Dial>ed leg's status callback names its own CallSid and the call that
// dialled it; it groups under the parent. Escaped and oversized values are
// decoded and bounded.
func TestCallIdentityChildLegAndBounds(t *testing.T) {
	form := func(body string) exchange.CallRef {
		return Call(Request{Method: "POST", ContentType: "application/x-www-form-urlencoded", Body: []byte(body)})
	}
	if got := form("CallSid=child-1&ParentCallSid=parent-1&CallStatus=completed"); got != (exchange.CallRef{ID: "child-1", Parent: "parent-1"}) || got.Group() != "parent-1" {
		t.Errorf("child leg: %+v", got)
	}
	if got := form("CallSid=a%2Bb&MessageSid=m"); got.ID != "a+b" {
		t.Errorf("escaped CallSid: %+v (a message sent during a call belongs to the call)", got)
	}
	if got := form("CallSid=" + strings.Repeat("x", 5000)); len(got.ID) != maxCallID {
		t.Errorf("oversized CallSid kept %d bytes", len(got.ID))
	}
	if got := Call(Request{Method: "GET", Query: "CallSid=q1&CallStatus=ringing"}); got.ID != "q1" {
		t.Errorf("GET webhook: %+v", got)
	}
	js := func(body string) exchange.CallRef {
		return Call(Request{Method: "POST", ContentType: "application/json", Body: []byte(body)})
	}
	if got := js(`{"event_type":"calling.call.state","params":{"call_id":"c2","parent":{"call_id":"c1"},"call_state":"ended"}}`); got != (exchange.CallRef{ID: "c2", Parent: "c1"}) {
		t.Errorf("RELAY child leg: %+v", got)
	}
	if got := js(`{"call":{"call_id":"s1"},"params":{"call_id":"other"}}`); got.ID != "s1" {
		t.Errorf("SWML fetch: call.call_id first: %+v", got)
	}
	if got := js(`{"call":`); got != (exchange.CallRef{}) {
		t.Errorf("broken JSON: %+v", got)
	}
}

func FuzzCall(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	for _, name := range files {
		b, _ := os.ReadFile(name)
		f.Add(string(b), "application/x-www-form-urlencoded")
		f.Add(string(b), "application/json")
	}
	f.Fuzz(func(t *testing.T, body, ct string) {
		ref := Call(Request{Method: "POST", ContentType: ct, Body: []byte(body)})
		if len(ref.ID) > maxCallID || len(ref.Parent) > maxCallID {
			t.Fatalf("unbounded identity %d/%d", len(ref.ID), len(ref.Parent))
		}
		if ref.Parent != "" && (ref.ID == "" || ref.Parent == ref.ID) {
			t.Fatalf("parent without its own leg: %+v", ref)
		}
	})
}

// BenchmarkCall is the call identity every save reads from a cXML voice
// webhook's form body (store.encode).
func BenchmarkCall(b *testing.B) {
	r := Request{Method: "POST", ContentType: "application/x-www-form-urlencoded", Body: []byte(
		"AccountSid=AC0123456789abcdef0123456789abcdef&ApiVersion=2010-04-01&CallSid=CA0123456789abcdef0123456789abcdef" +
			"&CallStatus=ringing&Called=%2B15559870000&Caller=%2B15551230000&Direction=inbound&From=%2B15551230000" +
			"&To=%2B15559870000&ForwardedFrom=&CallerName=&HasRecording=false&ParentCallSid=")}
	b.ReportAllocs()
	for b.Loop() {
		if Call(r).ID == "" {
			b.Fatal("no call")
		}
	}
}

// scanPairs is formCall.scan as it was written first, every pair split:
// the reference the "Sid" search must agree with.
func (c *formCall) scanPairs(s []byte) {
	for len(s) > 0 {
		var pair []byte
		pair, s, _ = bytes.Cut(s, []byte("&"))
		k, v, _ := bytes.Cut(pair, []byte("="))
		var slot *formValue
		switch string(k) {
		case "CallSid":
			slot = &c.callSid
		case "ParentCallSid":
			slot = &c.parentCallSid
		case "MessageSid":
			slot = &c.messageSid
		case "SmsSid":
			slot = &c.smsSid
		case "SmsMessageSid":
			slot = &c.smsMessageSid
		default:
			continue
		}
		*slot = formValue{raw: v, set: true}
	}
}

func requireScanAgrees(t *testing.T, s string) {
	t.Helper()
	var got, want formCall
	got.scan([]byte(s))
	want.scanPairs([]byte(s))
	for i, pair := range [][2]formValue{
		{got.callSid, want.callSid}, {got.parentCallSid, want.parentCallSid}, {got.messageSid, want.messageSid},
		{got.smsSid, want.smsSid}, {got.smsMessageSid, want.smsMessageSid},
	} {
		if pair[0].set != pair[1].set || !bytes.Equal(pair[0].raw, pair[1].raw) {
			t.Fatalf("%q: parameter %d is %q (set %v), splitting pairs gives %q (set %v)",
				s, i, pair[0].raw, pair[0].set, pair[1].raw, pair[1].set)
		}
	}
}

func TestCallScanAgreesWithSplittingPairs(t *testing.T) {
	for _, s := range []string{
		"", "CallSid", "CallSid=", "CallSid=a", "&CallSid=a&", "CallSid=a=b&x=1", "CallSid&x", "xCallSid=1",
		"ParentCallSid=P&CallSid=C", "CallSid=1&CallSid=2", "a=CallSid=1", "a=&CallSid=1", "=CallSid=1",
		"SmsMessageSid=S&MessageSid=M&SmsSid=s", "MessageSidSid=1", "CallSidx=1", "Sid=1&Sid", "SidSid=1&CallSidSid=2",
		"CallSid=x&ParentCallSid", "AccountSid=AC&CallSid=CA&x=Sid&y=CallSid",
	} {
		requireScanAgrees(t, s)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	for _, name := range files {
		b, _ := os.ReadFile(name)
		requireScanAgrees(t, string(b))
	}
}

// FuzzCallScanAgrees: the "Sid" search reads the same parameters as
// splitting every pair, whatever the form holds.
func FuzzCallScanAgrees(f *testing.F) {
	f.Add("CallSid=a&ParentCallSid=b&MessageSid=c&SmsSid=d&SmsMessageSid=e")
	f.Add("x=CallSid&CallSid&&=Sid=&SidSid")
	files, _ := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	for _, name := range files {
		b, _ := os.ReadFile(name)
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, s string) { requireScanAgrees(t, s) })
}
