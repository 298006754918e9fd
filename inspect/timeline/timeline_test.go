package timeline

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/exchange"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func hook(id int64, sec float64, kind exchange.Kind, detail, body string, call exchange.CallRef) *exchange.Exchange {
	return &exchange.Exchange{
		ID: id, Time: t0.Add(time.Duration(sec * float64(time.Second))), Call: call,
		Request: exchange.Request{Method: "POST", Path: "/x",
			Headers: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, Body: exchange.Body(body)},
		Event:     exchange.Event{Kind: kind, Detail: detail},
		Signature: exchange.Signature{Status: exchange.SigValid},
		Response:  exchange.Response{Status: 200},
	}
}

// A call's steps read as the issue names them, with the time since the
// call began and the child leg marked.
func TestStepsLabelACall(t *testing.T) {
	a := exchange.CallRef{ID: "A"}
	leg := exchange.CallRef{ID: "L", Parent: "A"}
	xs := []*exchange.Exchange{
		hook(1, 0, exchange.KindCallInbound, "ringing", "CallSid=A&CallStatus=ringing", a),
		hook(2, 4.8, exchange.KindCallInbound, "gather", "CallSid=A&Digits=1", a),
		hook(3, 5, exchange.KindCallStatus, "ringing", "CallSid=L&ParentCallSid=A&CallStatus=ringing", leg),
		hook(4, 9, exchange.KindCallInbound, "dial", "CallSid=A&DialCallStatus=busy", a),
		hook(5, 9.5, exchange.KindCallInbound, "record", "CallSid=A&RecordingDuration=8&RecordingUrl=u", a),
		hook(6, 14, exchange.KindCallStatus, "completed", "CallSid=A&CallStatus=completed&CallDuration=14", a),
		hook(7, 15, exchange.KindCallInbound, "gather", "CallSid=A&SpeechResult=sales+please", a),
		hook(8, 16, exchange.KindCallInbound, "gather", "CallSid=A", a),
	}
	want := []string{"call.inbound ringing", "gather action Digits=1", "call.status ringing", "dial action busy",
		"record action 8 s", "call.status completed 14 s", `gather action SpeechResult="sales please"`, "gather action (no input)"}
	steps := Steps(xs)
	for i, s := range steps {
		if s.Label != want[i] {
			t.Errorf("step %d: %q, want %q", i, s.Label, want[i])
		}
	}
	if steps[1].Since != 4800*time.Millisecond || steps[0].Since != 0 {
		t.Errorf("since: %v, %v", steps[0].Since, steps[1].Since)
	}
	if !steps[2].Leg || steps[1].Leg {
		t.Errorf("leg marks: %v %v", steps[2].Leg, steps[1].Leg)
	}
	// A summary (no body) is labelled by its event.
	xs[1].Request.Body = nil
	if got := Label(xs[1]); got != "gather action (no input)" {
		t.Errorf("summary label %q", got)
	}
}

// The summary line: steps, duration, the call's own final status (not a
// leg's), and the worst mark of any step.
func TestSummarize(t *testing.T) {
	a := exchange.CallRef{ID: "A"}
	leg := exchange.CallRef{ID: "L", Parent: "A"}
	xs := []*exchange.Exchange{
		hook(1, 0, exchange.KindCallInbound, "ringing", "", a),
		hook(2, 3, exchange.KindCallStatus, "completed", "", a),
		hook(3, 4, exchange.KindCallStatus, "busy", "", leg),
	}
	s := Summarize("A", xs)
	if s.Steps != 3 || s.Duration != 4*time.Second || s.Final != "completed" || s.Worst != "✓" || s.NewestID != 3 {
		t.Errorf("%+v", s)
	}
	xs[2].ResponseCheck.Status = exchange.CheckWarning
	if s := Summarize("A", xs); !strings.Contains(s.Worst, "warning") {
		t.Errorf("worst %q, want the warning", s.Worst)
	}
	xs[0].Response = exchange.Response{Error: "connection refused"}
	if s := Summarize("A", xs); s.Worst != "ERR" {
		t.Errorf("worst %q, want the handler failure", s.Worst)
	}
	xs[1].Signature.Status = exchange.SigInvalid
	if s := Summarize("A", xs); !strings.Contains(s.Worst, "INVALID") {
		t.Errorf("worst %q, want the invalid signature", s.Worst)
	}
	hostile := hook(9, 0, exchange.KindCallStatus, "\x1b[2Jx", "", a)
	if s := Summarize("A", []*exchange.Exchange{hostile}); strings.Contains(s.Final, "\x1b") {
		t.Errorf("final not sanitised: %q", s.Final)
	}
	if Short("57bf75f5-fd3e") != "57bf75f5" || Short("abc") != "abc" {
		t.Error("Short")
	}
}
