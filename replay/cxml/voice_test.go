package cxml

import (
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/delivery"
	"github.com/swhook/swhook/inspect/signature/signaturetest"
	"github.com/swhook/swhook/replay/call"
)

// TestMenu: Gather → action → Dial busy → action → Say, Hangup, and the
// completed status callback.
func TestMenu(t *testing.T) {
	a := newApp(t)
	a.route("/voice", func(url.Values) string {
		return Resp(E("Gather", "action", "/menu", "numDigits", "1").K(E("Say").T("Press 1 for sales, 2 for support.")), E("Say").T("We did not hear you. Goodbye."))
	})
	a.route("/menu", func(f url.Values) string {
		if f.Get("Digits") != "1" {
			return Resp(E("Say").T("wrong"), E("Hangup"))
		}
		return Resp(E("Say").T("Connecting you to sales."), E("Dial", "action", "/dialed", "timeout", "20").K(E("Number").T("+15550001111")))
	})
	a.route("/dialed", func(f url.Values) string {
		return Resp(E("Say").T("Sales is "+f.Get("DialCallStatus")+". Goodbye."), E("Hangup"), E("Say").T("never"))
	})
	r := play(t, call.Config{URL: a.url("/voice"), StatusCallback: a.url("/status"), From: "+15551230000", To: "+15557654321"}, []string{"1"}, []string{"busy"}, -1)
	if got, want := a.paths(), []string{"/voice", "/menu", "/dialed", "/status"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("requests %v, want %v\n%s", got, want, r.out)
	}
	a.checkSigned(r.s.CallSid())
	t.Log("\n" + r.out)
	if got, want := r.said(), []string{"Press 1 for sales, 2 for support.", "Connecting you to sales.", "Sales is busy. Goodbye."}; !reflect.DeepEqual(got, want) {
		t.Errorf("said %q, want %q", got, want)
	}
	first := a.to("/voice")[0].Form
	if first.Get("CallStatus") != "ringing" || first.Get("Direction") != "inbound" || first.Get("From") != "+15551230000" || first.Get("To") != "+15557654321" || first.Get("ApiVersion") != "2010-04-01" || first.Get("AccountSid") == "" {
		t.Errorf("voice URL parameters %v", first)
	}
	if m := a.to("/menu")[0].Form; m.Get("Digits") != "1" || m.Get("CallStatus") != "in-progress" {
		t.Errorf("Gather action %v", m)
	}
	d := a.to("/dialed")[0].Form
	if d.Get("DialCallStatus") != "busy" || d.Get("DialCallSid") == "" || d.Get("DialCallDuration") != "0" {
		t.Errorf("Dial action %v", d)
	}
	st := a.to("/status")[0].Form
	dur, _ := strconv.Atoi(st.Get("CallDuration"))
	if st.Get("CallStatus") != "completed" || dur <= 0 || st.Get("SequenceNumber") != "0" || st.Get("Timestamp") == "" {
		t.Errorf("status callback %v", st)
	}
	if r.s.Failed() {
		t.Errorf("failed: %v\n%s", r.s.Errors(), r.out)
	}
	if len(r.st.xs) != 4 {
		t.Errorf("stored %d exchanges, want 4", len(r.st.xs))
	}
	for _, want := range []string{"caller pressed 1", "dial +15550001111 → busy", "hangup (completed)", "(status callback completed)"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("transcript lacks %q:\n%s", want, r.out)
		}
	}
}

// TestVoicemail: Record → action, then the recording status and the
// transcription callbacks.
func TestVoicemail(t *testing.T) {
	a := newApp(t)
	a.route("/voice", func(url.Values) string {
		return Resp(E("Say").T("Leave a message after the beep."),
			E("Record", "action", "/recorded", "maxLength", "30", "finishOnKey", "#",
				"recordingStatusCallback", "/recording", "transcribe", "true", "transcribeCallback", "/transcribed"),
			E("Say").T("never reached"))
	})
	a.route("/recorded", func(f url.Values) string { return Resp(E("Say").T("Thanks."), E("Hangup")) })
	r := play(t, call.Config{URL: a.url("/voice")}, []string{"#"}, nil, 12)
	if got, want := a.paths(), []string{"/voice", "/recorded", "/recording", "/transcribed"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("requests %v, want %v\n%s", got, want, r.out)
	}
	a.checkSigned(r.s.CallSid())
	rec := a.to("/recorded")[0].Form
	if rec.Get("RecordingDuration") != "12" || !strings.Contains(rec.Get("RecordingUrl"), "/Recordings/") || rec.Get("Digits") != "#" {
		t.Errorf("Record action %v", rec)
	}
	rs := a.to("/recording")[0].Form
	if rs.Get("RecordingStatus") != "completed" || rs.Get("RecordingUrl") != rec.Get("RecordingUrl") || rs.Get("RecordingSid") == "" || rs.Get("RecordingDuration") != "12" {
		t.Errorf("recording status %v", rs)
	}
	tr := a.to("/transcribed")[0].Form
	if tr.Get("TranscriptionText") == "" || tr.Get("TranscriptionStatus") != "completed" || tr.Get("RecordingSid") != rs.Get("RecordingSid") {
		t.Errorf("transcription %v", tr)
	}
	if got := r.said(); len(got) != 2 || got[1] != "Thanks." {
		t.Errorf("said %q", got)
	}
	if r.s.Failed() {
		t.Error(r.s.Errors())
	}
}

// TestBadChoiceThenSilence: a wrong key redirects to the menu again; a
// silent caller then falls through to the verb after the Gather.
func TestBadChoiceThenSilence(t *testing.T) {
	a := newApp(t)
	a.route("/voice", func(url.Values) string {
		return Resp(E("Gather", "action", "/choice", "numDigits", "1").K(E("Say").T("Press 1.")), E("Say").T("No input. Goodbye."))
	})
	a.route("/choice", func(f url.Values) string {
		if f.Get("Digits") == "1" {
			return Resp(E("Say").T("ok"))
		}
		return Resp(E("Say").T("That is not a choice."), E("Redirect").T("/voice"))
	})
	r := play(t, call.Config{URL: a.url("/voice")}, []string{"9"}, nil, -1)
	if got, want := a.paths(), []string{"/voice", "/choice", "/voice"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("requests %v, want %v\n%s", got, want, r.out)
	}
	a.checkSigned(r.s.CallSid())
	if got, want := r.said(), []string{"Press 1.", "That is not a choice.", "Press 1.", "No input. Goodbye."}; !reflect.DeepEqual(got, want) {
		t.Errorf("said %q, want %q", got, want)
	}
	if in := r.ev.Of(call.EvInput); len(in) != 2 || in[0].Digits != "9" || in[1].Digits != "" {
		t.Errorf("inputs %+v", in)
	}
	if r.s.Failed() || r.s.Status() != "completed" {
		t.Errorf("status %s, errors %v", r.s.Status(), r.s.Errors())
	}
}

// TestRelativeAndAbsoluteURLs: a relative action resolves against the
// document's URL; an absolute one goes to another server.
func TestRelativeAndAbsoluteURLs(t *testing.T) {
	a, b := newApp(t), newApp(t)
	a.route("/ivr/start", func(url.Values) string {
		return Resp(E("Gather", "action", "next?step=2", "numDigits", "1").K(E("Say").T("Press a key.")))
	})
	a.route("/ivr/next", func(url.Values) string { return Resp(E("Redirect").T(b.url("/elsewhere"))) })
	b.route("/elsewhere", func(url.Values) string { return Resp(E("Say").T("Elsewhere."), E("Hangup")) })
	r := play(t, call.Config{URL: a.url("/ivr/start")}, []string{"5"}, nil, -1)
	if got, want := a.paths(), []string{"/ivr/start", "/ivr/next"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("requests %v, want %v\n%s", got, want, r.out)
	}
	if got := b.paths(); len(got) != 1 || got[0] != "/elsewhere" {
		t.Fatalf("other server saw %v", got)
	}
	a.checkSigned(r.s.CallSid())
	b.checkSigned(r.s.CallSid())
	if r.s.Failed() {
		t.Error(r.s.Errors())
	}
}

// TestGETAction: method="GET" sends the parameters in the query, signed
// over the URL.
func TestGETAction(t *testing.T) {
	a := newApp(t)
	a.route("/voice", func(url.Values) string {
		return Resp(E("Gather", "action", "/got", "method", "GET", "finishOnKey", "#").K(E("Say").T("Account number, then pound.")))
	})
	a.route("/got", func(f url.Values) string { return Resp(E("Say").T("You entered " + f.Get("Digits"))) })
	r := play(t, call.Config{URL: a.url("/voice")}, []string{"1234#"}, nil, -1)
	g := a.to("/got")
	if len(g) != 1 || g[0].Method != "GET" || g[0].Form.Get("Digits") != "1234" || g[0].Form.Get("CallSid") != r.s.CallSid() {
		t.Fatalf("GET action %+v\n%s", g, r.out)
	}
	a.checkSigned(r.s.CallSid())
	if got := r.said(); got[len(got)-1] != "You entered 1234" {
		t.Errorf("said %q", got)
	}
}

// TestInvalidXML: a document that does not parse is 12100 and ends the
// call (failed: it was never answered).
func TestInvalidXML(t *testing.T) {
	a := newApp(t)
	a.route("/voice", func(url.Values) string { return "<Response><Say>hi</Response>" })
	r := play(t, call.Config{URL: a.url("/voice")}, nil, nil, -1)
	if got := r.codes(); !reflect.DeepEqual(got, []int{delivery.CodeParse}) {
		t.Fatalf("errors %v, want [12100]\n%s", got, r.out)
	}
	if !r.s.Failed() || r.s.Status() != "failed" || !strings.Contains(r.out, "12100 document parse error") {
		t.Errorf("status %s\n%s", r.s.Status(), r.out)
	}
	for _, doc := range []string{"<response/>", "<Response><say>x</say></Response>", "", "<Gather/>"} {
		a.route("/voice", func(url.Values) string { return doc })
		if r := play(t, call.Config{URL: a.url("/voice")}, nil, nil, -1); !reflect.DeepEqual(r.codes(), []int{delivery.CodeParse}) {
			t.Errorf("%q: errors %v, want 12100", doc, r.codes())
		}
	}
}

// TestSlowHandler: an answer after 5 s is 11200 after 5 s; with #rt=8000
// in the URL the same answer is in time.
func TestSlowHandler(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 11 s")
	}
	a := newApp(t)
	a.route("/voice", func(url.Values) string { return Resp(E("Say").T("Finally.")) })
	a.delay["/voice"] = 5500 * time.Millisecond
	start := time.Now()
	r := play(t, call.Config{URL: a.url("/voice")}, nil, nil, -1)
	took := time.Since(start)
	if !reflect.DeepEqual(r.codes(), []int{delivery.CodeTimeout}) || len(r.said()) != 0 {
		t.Fatalf("errors %v, said %q\n%s", r.codes(), r.said(), r.out)
	}
	if took < 5*time.Second || took > 5400*time.Millisecond {
		t.Errorf("gave up after %s, want 5 s", took)
	}
	r = play(t, call.Config{URL: a.url("/voice#rt=8000")}, nil, nil, -1)
	if r.s.Failed() || len(r.said()) != 1 {
		t.Fatalf("#rt=8000: errors %v\n%s", r.codes(), r.out)
	}
}

// TestFallbackURL: the voice URL fails, the fallback's document runs with
// the same parameters; the failure is still SignalWire's error.
func TestFallbackURL(t *testing.T) {
	a := newApp(t)
	a.status["/voice"] = 500
	a.route("/fallback", func(url.Values) string { return Resp(E("Say").T("We are having trouble."), E("Hangup")) })
	r := play(t, call.Config{URL: a.url("/voice"), FallbackURL: a.url("/fallback")}, nil, nil, -1)
	if got, want := a.paths(), []string{"/voice", "/fallback"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("requests %v, want %v\n%s", got, want, r.out)
	}
	a.checkSigned(r.s.CallSid())
	if fb := a.to("/fallback")[0].Form; fb.Get("CallSid") != r.s.CallSid() || fb.Get("CallStatus") != "ringing" {
		t.Errorf("fallback parameters %v", fb)
	}
	if got := r.said(); !reflect.DeepEqual(got, []string{"We are having trouble."}) {
		t.Errorf("said %q", got)
	}
	if !reflect.DeepEqual(r.codes(), []int{delivery.CodeHTTPStatus}) {
		t.Errorf("errors %v, want [11217]", r.codes())
	}
}

// TestRedirectLoop: --max-steps stops a Redirect to itself.
func TestRedirectLoop(t *testing.T) {
	a := newApp(t)
	a.route("/loop", func(url.Values) string { return Resp(E("Say").T("again"), E("Redirect").T("/loop")) })
	r := play(t, call.Config{URL: a.url("/loop"), MaxSteps: 5}, nil, nil, -1)
	if n := len(a.paths()); n != 5 {
		t.Fatalf("%d requests, want 5\n%s", n, r.out)
	}
	if !r.s.Failed() || len(r.ev.Of(call.EvStop)) != 1 || !strings.Contains(r.out, "--max-steps 5") {
		t.Errorf("not stopped clearly:\n%s", r.out)
	}
}

// TestSkippedAndSms: verbs swhook cannot emulate are named, not errors;
// <Sms> during a call goes to the caller by default.
func TestSkippedAndSms(t *testing.T) {
	a := newApp(t)
	a.route("/voice", func(url.Values) string {
		return Resp(E("Connect").K(E("Stream", "url", "wss://x.example/s")), E("Sms", "statusCallback", "/smsstatus").T("Your code is 1234"), E("Pause", "length", "2"), E("Play", "loop", "2").T("https://x.example/a.mp3"))
	})
	r := play(t, call.Config{URL: a.url("/voice"), From: "+15551230000", To: "+15557654321"}, nil, nil, -1)
	if r.s.Failed() {
		t.Fatal(r.s.Errors(), r.out)
	}
	if sk := r.ev.Of(call.EvSkip); len(sk) != 1 || sk[0].Verb != "Connect" {
		t.Errorf("skips %+v", sk)
	}
	if sms := r.ev.Of(call.EvSMS); len(sms) != 1 || sms[0].To != "+15551230000" || sms[0].From != "+15557654321" {
		t.Errorf("sms %+v", sms)
	}
	if h := a.to("/smsstatus"); len(h) != 1 || h[0].Form.Get("SmsStatus") != "sent" {
		t.Errorf("sms status %+v", h)
	}
	if p := r.ev.Of(call.EvPause); len(p) != 1 || p[0].Seconds != 2 {
		t.Errorf("pause %+v", p)
	}
}

// TestRejectAndReadsNoFurther: Reject ends the call unanswered.
func TestReject(t *testing.T) {
	a := newApp(t)
	a.route("/voice", func(url.Values) string { return Resp(E("Reject", "reason", "busy"), E("Say").T("never")) })
	r := play(t, call.Config{URL: a.url("/voice"), StatusCallback: a.url("/status")}, nil, nil, -1)
	if r.s.Status() != "busy" || len(r.said()) != 0 {
		t.Errorf("status %s said %q", r.s.Status(), r.said())
	}
	if st := a.to("/status"); len(st) != 1 || st[0].Form.Get("CallStatus") != "busy" || st[0].Form.Get("CallDuration") != "0" {
		t.Errorf("status callback %+v", st)
	}
}

func TestCollectDigits(t *testing.T) {
	for _, c := range []struct {
		keys   string
		n      int
		finish string
		want   string
	}{{"12#", 0, "#", "12"}, {"123", 1, "#", "1"}, {"#", 0, "#", ""}, {"12*3", 0, "*", "12"}, {"99", 0, "", "99"}} {
		if got := collectDigits(c.keys, c.n, c.finish); got != c.want {
			t.Errorf("collectDigits(%q, %d, %q) = %q, want %q", c.keys, c.n, c.finish, got, c.want)
		}
	}
}

// TestStatusEventsAndNumberCallbacks: every call event asked for, in
// order with its SequenceNumber; the dialled Number's own events name the
// child leg and its parent.
func TestStatusEventsAndNumberCallbacks(t *testing.T) {
	a := newApp(t)
	a.route("/voice", func(url.Values) string {
		return Resp(E("Dial", "action", "/dialed").K(E("Number", "statusCallback", "/leg", "statusCallbackEvent", "initiated ringing answered completed").T("+15550002222")))
	})
	a.route("/dialed", func(f url.Values) string { return Resp(E("Hangup")) })
	r := play(t, call.Config{URL: a.url("/voice"), StatusCallback: a.url("/status"), StatusEvents: []string{"initiated", "ringing", "answered", "completed"}}, nil, nil, -1)
	a.checkSigned(r.s.CallSid())
	st := a.to("/status")
	var got []string
	for i, h := range st {
		got = append(got, h.Form.Get("CallStatus"))
		if h.Form.Get("SequenceNumber") != strconv.Itoa(i) {
			t.Errorf("callback %d: SequenceNumber %q", i, h.Form.Get("SequenceNumber"))
		}
	}
	if want := []string{"initiated", "ringing", "in-progress", "completed"}; !reflect.DeepEqual(got, want) {
		t.Errorf("call statuses %v, want %v", got, want)
	}
	leg := a.to("/leg")
	got = nil
	for _, h := range leg {
		got = append(got, h.Form.Get("CallStatus"))
		if h.Form.Get("ParentCallSid") != r.s.CallSid() || h.Form.Get("Direction") != "outbound-dial" || h.Form.Get("To") != "+15550002222" {
			t.Errorf("leg callback %v", h.Form)
		}
	}
	if want := []string{"initiated", "ringing", "in-progress", "completed"}; !reflect.DeepEqual(got, want) {
		t.Errorf("leg statuses %v, want %v", got, want)
	}
	d := a.to("/dialed")[0].Form
	if d.Get("DialCallStatus") != "completed" || d.Get("DialCallSid") != leg[0].Form.Get("CallSid") || d.Get("DialCallDuration") != "10" {
		t.Errorf("Dial action %v", d)
	}
}

// TestEnqueueLeave: the wait document plays, <Leave> takes the caller out
// and the action learns QueueResult=leave.
func TestEnqueueLeave(t *testing.T) {
	a := newApp(t)
	a.route("/voice", func(url.Values) string {
		return Resp(E("Enqueue", "waitUrl", "/wait", "action", "/left").T("support"))
	})
	a.route("/wait", func(f url.Values) string {
		return Resp(E("Say").T("You are number "+f.Get("QueuePosition")+"."), E("Leave"))
	})
	a.route("/left", func(f url.Values) string { return Resp(E("Say").T("Result " + f.Get("QueueResult"))) })
	r := play(t, call.Config{URL: a.url("/voice")}, nil, nil, -1)
	if got, want := r.said(), []string{"You are number 1.", "Result leave"}; !reflect.DeepEqual(got, want) {
		t.Errorf("said %q, want %q\n%s", got, want, r.out)
	}
	a.checkSigned(r.s.CallSid())
}

// TestSignURL: requests are signed for the public URL the handler
// verifies against, path by path, and presented as from behind a proxy.
func TestSignURL(t *testing.T) {
	a := newApp(t)
	a.route("/voice", func(url.Values) string { return Resp(E("Redirect").T("/next")) })
	a.route("/next", func(url.Values) string { return Resp(E("Hangup")) })
	ev, st := &call.Events{}, &memStore{}
	s, err := call.NewSession(call.Config{URL: a.url("/voice"), SignURL: "https://abc.ngrok.example/voice", Key: testKey, Sink: ev, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	Voice(t.Context(), s)
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.hits) != 2 {
		t.Fatalf("%d requests", len(a.hits))
	}
	for _, h := range a.hits {
		if h.Valid {
			t.Errorf("%s verifies at the local URL; it was to be signed for the public one", h.Path)
		}
	}
	for _, x := range st.xs {
		public := "https://abc.ngrok.example" + x.Request.Path
		if !signaturetest.Valid(testKey, x.Request.Method, public, x.Request.Headers, x.Request.Body) {
			t.Errorf("%s does not verify at %s", x.Request.Path, public)
		}
		if x.Request.Headers.Get("X-Forwarded-Host") != "abc.ngrok.example" || x.Request.Headers.Get("X-Forwarded-Proto") != "https" {
			t.Errorf("%s: not presented as the public URL: %v", x.Request.Path, x.Request.Headers)
		}
	}
	if s.Failed() {
		t.Error(s.Errors())
	}
}

// TestHangupAfterAndSpeech: the caller says a word at a speech Gather,
// then hangs up during a long pause: what follows never plays, and the
// call completes.
func TestHangupAfterAndSpeech(t *testing.T) {
	a := newApp(t)
	a.route("/voice", func(url.Values) string {
		return Resp(E("Gather", "input", "speech dtmf", "action", "/said").K(E("Say").T("Say sales or support.")))
	})
	a.route("/said", func(f url.Values) string {
		return Resp(E("Say").T("You said "+f.Get("SpeechResult")), E("Pause", "length", "60"), E("Say").T("still there?"))
	})
	caller, err := call.NewScript([]string{"speech:sales"}, nil, -1, 30*time.Second, nil)
	if err != nil {
		t.Fatal(err)
	}
	ev := &call.Events{}
	s, err := call.NewSession(call.Config{URL: a.url("/voice"), Key: testKey, Caller: caller, Sink: ev, StatusCallback: a.url("/status")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	Voice(t.Context(), s)
	said := a.to("/said")
	if len(said) != 1 || said[0].Form.Get("SpeechResult") != "sales" || said[0].Form.Get("Confidence") == "" {
		t.Fatalf("Gather action %+v", said)
	}
	var texts []string
	for _, e := range ev.Of(call.EvSay) {
		texts = append(texts, e.Text)
	}
	if want := []string{"Say sales or support.", "You said sales"}; !reflect.DeepEqual(texts, want) {
		t.Errorf("said %q, want %q", texts, want)
	}
	if st := a.to("/status"); len(st) != 1 || st[0].Form.Get("CallStatus") != "completed" {
		t.Errorf("status %+v", st)
	}
	if h := ev.Of(call.EvHangup); len(h) != 1 || !strings.Contains(h[0].Text, "hung up") || h[0].DurationS > 31 {
		t.Errorf("hangup %+v, want the caller's after 30 s", h)
	}
}

// TestActionOnEmptyResult: a silent caller still reaches the action when
// the Gather asks for it, with empty Digits.
func TestActionOnEmptyResult(t *testing.T) {
	a := newApp(t)
	a.route("/voice", func(url.Values) string {
		return Resp(E("Gather", "action", "/empty", "actionOnEmptyResult", "true").K(E("Say").T("Anything?")), E("Say").T("not reached"))
	})
	a.route("/empty", func(f url.Values) string { return Resp(E("Say").T("Digits=[" + f.Get("Digits") + "]")) })
	r := play(t, call.Config{URL: a.url("/voice")}, []string{"-"}, nil, -1)
	if got := r.said(); !reflect.DeepEqual(got, []string{"Anything?", "Digits=[]"}) {
		t.Errorf("said %q", got)
	}
	if e := a.to("/empty"); len(e) != 1 || !e[0].Form.Has("Digits") {
		t.Errorf("action %+v", e)
	}
}

// TestRealtimePause: with --realtime a Pause really waits.
func TestRealtimePause(t *testing.T) {
	a := newApp(t)
	a.route("/voice", func(url.Values) string { return Resp(E("Pause", "length", "1")) })
	start := time.Now()
	r := play(t, call.Config{URL: a.url("/voice"), Clock: call.RealClock(nil)}, nil, nil, -1)
	if d := time.Since(start); d < time.Second || r.s.Failed() {
		t.Errorf("a 1 s Pause took %s with --realtime (errors %v)", d, r.codes())
	}
}
