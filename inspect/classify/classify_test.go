package classify

import (
	"bufio"
	"bytes"

	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/swhook/swhook/inspect/exchange"
)

// loadRequest reads a testdata/*.txtar sample: its "request" section holds
// "method:", "content-type:" and "query:" lines, its "body" section the body
// (the newline txtar adds at the end is not part of it).
func loadRequest(t testing.TB, name string) Request {
	t.Helper()
	ar, err := txtar.ParseFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var r Request
	for _, f := range ar.Files {
		switch f.Name {
		case "request":
			sc := bufio.NewScanner(bytes.NewReader(f.Data))
			for sc.Scan() {
				k, v, _ := strings.Cut(sc.Text(), ": ")
				switch k {
				case "method":
					r.Method = v
				case "content-type":
					r.ContentType = v
				case "query":
					r.Query = v
				}
			}
		case "body":
			r.Body = bytes.TrimSuffix(f.Data, []byte("\n"))
		}
	}
	if r.Method == "" {
		t.Fatalf("%s: no method", name)
	}
	return r
}

func TestClassifySamples(t *testing.T) {
	tests := []struct {
		file   string
		kind   exchange.Kind
		detail string
	}{
		{"call_inbound.txtar", exchange.KindCallInbound, "ringing"},
		{"call_inbound_get.txtar", exchange.KindCallInbound, "ringing"},
		{"call_outbound_api.txtar", exchange.KindCallInbound, "in-progress"},
		{"gather_action.txtar", exchange.KindCallInbound, "gather"},
		{"dial_action.txtar", exchange.KindCallInbound, "dial"},
		{"record_action.txtar", exchange.KindCallInbound, "record"},
		{"call_status_ringing.txtar", exchange.KindCallStatus, "ringing"},
		{"call_status_completed.txtar", exchange.KindCallStatus, "completed"},
		{"call_status_number.txtar", exchange.KindCallStatus, "failed"},
		{"recording_status.txtar", exchange.KindRecordingStatus, "completed"},
		{"message_inbound.txtar", exchange.KindMessageInbound, "received"},
		{"mms_inbound.txtar", exchange.KindMessageInbound, "received"},
		{"message_status.txtar", exchange.KindMessageStatus, "delivered"},
		{"message_status_undelivered.txtar", exchange.KindMessageStatus, "undelivered"},
		{"message_status_json.txtar", exchange.KindMessageStatus, "delivered"},
		{"fax_inbound.txtar", exchange.KindFaxInbound, ""},
		{"fax_status.txtar", exchange.KindFaxStatus, "received"},
		{"transcription.txtar", exchange.KindTranscription, "completed"},
		{"swml_call.txtar", exchange.KindSWMLCall, "created"},
		{"swml_message.txtar", exchange.KindSWMLMessage, "inbound"},
		{"relay_call_state.txtar", exchange.KindRelayCallState, "answered"},
		{"relay_other_event.txtar", exchange.KindUnknown, "calling.call.play"},
		{"unknown_form.txtar", exchange.KindUnknown, ""},
		{"unknown_json.txtar", exchange.KindUnknown, ""},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file] = true
		t.Run(strings.TrimSuffix(tt.file, ".txtar"), func(t *testing.T) {
			got := Classify(loadRequest(t, tt.file))
			want := exchange.Event{Kind: tt.kind, Detail: tt.detail}
			if got != want {
				t.Errorf("Classify = %+v, want %+v", got, want)
			}
		})
	}
	// Every sample is in the table: a new file cannot go untested.
	files, _ := filepath.Glob("testdata/*.txtar")
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("%s has no row in the table", f)
		}
	}
}

// Every kind is produced by at least one sample, so a kind cannot silently
// become unreachable.
func TestClassifySamplesCoverEveryKind(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txtar")
	got := map[exchange.Kind]bool{}
	for _, f := range files {
		got[Classify(loadRequest(t, filepath.Base(f))).Kind] = true
	}
	for _, k := range exchange.Kinds {
		if !got[k] {
			t.Errorf("no sample classifies as %s", k)
		}
	}
}

func TestCallStatusCallbackEveryStatus(t *testing.T) {
	for _, st := range []string{"queued", "initiated", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled"} {
		body := "CallSid=CA1&AccountSid=AC1&CallStatus=" + st + "&Direction=outbound-api&Timestamp=Tue%2C+24+Nov+2026+17%3A00%3A00+%2B0000&CallbackSource=call-progress-events&SequenceNumber=2"
		got := Classify(Request{Method: "POST", ContentType: "application/x-www-form-urlencoded", Body: []byte(body)})
		if want := (exchange.Event{Kind: exchange.KindCallStatus, Detail: st}); got != want {
			t.Errorf("%s: got %+v, want %+v", st, got, want)
		}
	}
}

func TestMessageStatusCallbackEveryStatus(t *testing.T) {
	for _, st := range []string{"queued", "sending", "sent", "delivered", "undelivered", "failed"} {
		body := "MessageSid=SM1&MessageStatus=" + st + "&SmsSid=SM1&SmsStatus=" + st + "&AccountSid=AC1&From=%2B1&To=%2B2&Body=hi"
		got := Classify(Request{Method: "POST", ContentType: "application/x-www-form-urlencoded", Body: []byte(body)})
		if want := (exchange.Event{Kind: exchange.KindMessageStatus, Detail: st}); got != want {
			t.Errorf("%s: got %+v, want %+v", st, got, want)
		}
	}
}

func TestRelayEveryCallState(t *testing.T) {
	for _, st := range []string{"created", "ringing", "answered", "ending", "ended"} {
		body := `{"event_type":"calling.call.state","params":{"call_id":"c1","call_state":"` + st + `"}}`
		got := Classify(Request{Method: "POST", ContentType: "application/json", Body: []byte(body)})
		if want := (exchange.Event{Kind: exchange.KindRelayCallState, Detail: st}); got != want {
			t.Errorf("%s: got %+v, want %+v", st, got, want)
		}
	}
}

// The cases that decide between kinds, one rule each.
func TestClassifyRules(t *testing.T) {
	form := "application/x-www-form-urlencoded"
	tests := []struct {
		name string
		req  Request
		want exchange.Event
	}{
		{"ringing without status markers is a call asking for cXML",
			Request{Method: "POST", ContentType: form, Body: []byte("CallSid=CA1&CallStatus=ringing")},
			exchange.Event{Kind: exchange.KindCallInbound, Detail: "ringing"}},
		{"CallbackSource alone marks a status callback",
			Request{Method: "POST", ContentType: form, Body: []byte("CallSid=CA1&CallStatus=ringing&CallbackSource=call-progress-events")},
			exchange.Event{Kind: exchange.KindCallStatus, Detail: "ringing"}},
		{"SequenceNumber alone marks a status callback",
			Request{Method: "POST", ContentType: form, Body: []byte("CallSid=CA1&CallStatus=ringing&SequenceNumber=0")},
			exchange.Event{Kind: exchange.KindCallStatus, Detail: "ringing"}},
		{"Timestamp alone marks a status callback",
			Request{Method: "POST", ContentType: form, Body: []byte("CallSid=CA1&CallStatus=in-progress&Timestamp=x")},
			exchange.Event{Kind: exchange.KindCallStatus, Detail: "in-progress"}},
		{"CallDuration alone marks a status callback",
			Request{Method: "POST", ContentType: form, Body: []byte("CallSid=CA1&CallStatus=completed&CallDuration=3")},
			exchange.Event{Kind: exchange.KindCallStatus, Detail: "completed"}},
		{"a terminal CallStatus without markers is still a status callback",
			Request{Method: "POST", ContentType: form, Body: []byte("CallSid=CA1&CallStatus=no-answer")},
			exchange.Event{Kind: exchange.KindCallStatus, Detail: "no-answer"}},
		{"status callback even when a Digits parameter rides along",
			Request{Method: "POST", ContentType: form, Body: []byte("CallSid=CA1&CallStatus=completed&Digits=1&CallbackSource=call-progress-events")},
			exchange.Event{Kind: exchange.KindCallStatus, Detail: "completed"}},
		{"speech gather action",
			Request{Method: "POST", ContentType: form, Body: []byte("CallSid=CA1&CallStatus=in-progress&SpeechResult=yes&Confidence=0.9")},
			exchange.Event{Kind: exchange.KindCallInbound, Detail: "gather"}},
		{"transcription wins over the recording it carries",
			Request{Method: "POST", ContentType: form, Body: []byte("CallSid=CA1&RecordingSid=RE1&RecordingStatus=completed&TranscriptionStatus=failed")},
			exchange.Event{Kind: exchange.KindTranscription, Detail: "failed"}},
		{"recording status wins over the call it carries",
			Request{Method: "POST", ContentType: form, Body: []byte("CallSid=CA1&CallStatus=in-progress&RecordingSid=RE1&RecordingStatus=in-progress")},
			exchange.Event{Kind: exchange.KindRecordingStatus, Detail: "in-progress"}},
		{"fax receiving is the inbound fax",
			Request{Method: "POST", ContentType: form, Body: []byte("FaxSid=FX1&FaxStatus=receiving")},
			exchange.Event{Kind: exchange.KindFaxInbound, Detail: "receiving"}},
		{"fax failed is a status",
			Request{Method: "POST", ContentType: form, Body: []byte("FaxSid=FX1&FaxStatus=failed&ErrorCode=1")},
			exchange.Event{Kind: exchange.KindFaxStatus, Detail: "failed"}},
		{"SmsStatus alone (older senders) still grades a message",
			Request{Method: "POST", ContentType: form, Body: []byte("SmsSid=SM1&SmsStatus=sent")},
			exchange.Event{Kind: exchange.KindMessageStatus, Detail: "sent"}},
		{"inbound message with a body and no status",
			Request{Method: "POST", ContentType: form, Body: []byte("MessageSid=SM1&Body=hi")},
			exchange.Event{Kind: exchange.KindMessageInbound, Detail: "received"}},
		{"conference status callback is unknown, named by its event",
			Request{Method: "POST", ContentType: form, Body: []byte("ConferenceSid=CF1&FriendlyName=room&CallSid=CA1&StatusCallbackEvent=participant-join&Timestamp=x&SequenceNumber=1")},
			exchange.Event{Kind: exchange.KindUnknown, Detail: "participant-join"}},
		{"asynchronous AMD callback is a status callback",
			Request{Method: "POST", ContentType: form, Body: []byte("CallSid=CA1&AccountSid=AC1&AnsweredBy=machine_end_beep&MachineDetectionDuration=4100")},
			exchange.Event{Kind: exchange.KindCallStatus, Detail: "machine_end_beep"}},
		{"synchronous AMD result on the call URL wants cXML",
			Request{Method: "POST", ContentType: form, Body: []byte("CallSid=CA1&CallStatus=in-progress&Direction=outbound-api&AnsweredBy=human")},
			exchange.Event{Kind: exchange.KindCallInbound, Detail: "in-progress"}},
		{"form content type with charset and capitals",
			Request{Method: "POST", ContentType: "Application/X-WWW-Form-Urlencoded; Charset=UTF-8", Body: []byte("CallSid=CA1&CallStatus=ringing")},
			exchange.Event{Kind: exchange.KindCallInbound, Detail: "ringing"}},
		{"no content type",
			Request{Method: "POST", Body: []byte("CallSid=CA1&CallStatus=ringing")},
			exchange.Event{Kind: exchange.KindCallInbound, Detail: "ringing"}},
		{"percent-encoded parameter names",
			Request{Method: "POST", ContentType: form, Body: []byte("Call%53id=CA1&Call%53tatus=busy")},
			exchange.Event{Kind: exchange.KindCallStatus, Detail: "busy"}},
		{"percent-encoded status value",
			Request{Method: "POST", ContentType: form, Body: []byte("CallSid=CA1&CallStatus=in%2Dprogress&Timestamp=1")},
			exchange.Event{Kind: exchange.KindCallStatus, Detail: "in-progress"}},
		{"POST with parameters in the query and an empty body",
			Request{Method: "POST", Query: "CallSid=CA1&CallStatus=ringing", ContentType: form},
			exchange.Event{Kind: exchange.KindCallInbound, Detail: "ringing"}},
		{"a developer's own query parameters do not hide the body's",
			Request{Method: "POST", Query: "lang=en", ContentType: form, Body: []byte("MessageSid=SM1&MessageStatus=failed")},
			exchange.Event{Kind: exchange.KindMessageStatus, Detail: "failed"}},
		{"GET ignores a body",
			Request{Method: "GET", Query: "x=1", Body: []byte("CallSid=CA1&CallStatus=ringing")},
			exchange.Event{Kind: exchange.KindUnknown}},
		{"multipart is not scanned as a form",
			Request{Method: "POST", ContentType: "multipart/form-data; boundary=x", Body: []byte("CallSid=CA1&CallStatus=ringing")},
			exchange.Event{Kind: exchange.KindUnknown}},
		{"JSON without a content type",
			Request{Method: "POST", Body: []byte(` {"call":{"call_state":"answered"}}`)},
			exchange.Event{Kind: exchange.KindSWMLCall, Detail: "answered"}},
		{"SWML call without call_state",
			Request{Method: "POST", ContentType: "application/json", Body: []byte(`{"call":{},"vars":{}}`)},
			exchange.Event{Kind: exchange.KindSWMLCall}},
		{"RELAY state without params",
			Request{Method: "POST", ContentType: "application/json", Body: []byte(`{"event_type":"calling.call.state"}`)},
			exchange.Event{Kind: exchange.KindRelayCallState}},
		{"RELAY state with odd params",
			Request{Method: "POST", ContentType: "application/json", Body: []byte(`{"event_type":"calling.call.state","params":[1]}`)},
			exchange.Event{Kind: exchange.KindRelayCallState}},
		{"broken JSON",
			Request{Method: "POST", ContentType: "application/json", Body: []byte(`{"call":`)},
			exchange.Event{Kind: exchange.KindUnknown}},
		{"JSON content type with a form body",
			Request{Method: "POST", ContentType: "application/json", Body: []byte("CallSid=CA1&CallStatus=ringing")},
			exchange.Event{Kind: exchange.KindUnknown}},
		{"empty",
			Request{Method: "POST"},
			exchange.Event{Kind: exchange.KindUnknown}},
		{"binary",
			Request{Method: "POST", ContentType: "application/octet-stream", Body: []byte{0, 0xff, '&', '=', 0xfe}},
			exchange.Event{Kind: exchange.KindUnknown}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.req); got != tt.want {
				t.Errorf("Classify = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// A hostile sender cannot push a huge status word into every list row.
func TestClassifyBoundsDetail(t *testing.T) {
	long := strings.Repeat("x", 10000)
	for _, r := range []Request{
		{Method: "POST", Body: []byte("CallSid=CA1&CallStatus=" + long)},
		{Method: "POST", ContentType: "application/json", Body: []byte(`{"event_type":"` + long + `"}`)},
	} {
		ev := Classify(r)
		if len(ev.Detail) > maxDetail {
			t.Errorf("detail is %d bytes", len(ev.Detail))
		}
	}
}

func FuzzClassify(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.txtar")
	for _, name := range files {
		r := loadRequest(f, filepath.Base(name))
		f.Add(r.Method, r.Query, r.ContentType, r.Body)
	}
	f.Add("POST", "a=%zz&%", "application/json", []byte(`{"params":{"call_state":1}}`))
	f.Add("GET", "&&==&", "", []byte(nil))
	f.Fuzz(func(t *testing.T, method, query, ct string, body []byte) {
		in := bytes.Clone(body)
		ev := Classify(Request{Method: method, Query: query, ContentType: ct, Body: body})
		if !bytes.Equal(in, body) {
			t.Fatal("Classify changed the body")
		}
		known := false
		for _, k := range exchange.Kinds {
			known = known || k == ev.Kind
		}
		if !known {
			t.Fatalf("unknown kind %q", ev.Kind)
		}
		if len(ev.Detail) > maxDetail {
			t.Fatalf("detail is %d bytes", len(ev.Detail))
		}
	})
}

func BenchmarkClassify(b *testing.B) {
	for _, name := range []string{"call_inbound.txtar", "call_status_completed.txtar", "message_inbound.txtar", "swml_call.txtar", "relay_call_state.txtar"} {
		r := loadRequest(b, name)
		b.Run(strings.TrimSuffix(name, ".txtar"), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(r.Body)))
			for b.Loop() {
				Classify(r)
			}
		})
	}
}
