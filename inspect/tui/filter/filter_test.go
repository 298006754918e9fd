package filter

import (
	"reflect"
	"strings"
	"testing"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/human"
)

func ex(id int64, method, path string, kind exchange.Kind, detail string, sig exchange.SignatureStatus, status int, errMsg string) *exchange.Exchange {
	return &exchange.Exchange{
		ID:        id,
		Request:   exchange.Request{Method: method, Path: path},
		Event:     exchange.Event{Kind: kind, Detail: detail},
		Signature: exchange.Signature{Status: sig},
		Response:  exchange.Response{Status: status, Error: errMsg},
	}
}

var corpus = []*exchange.Exchange{
	ex(1, "POST", "/voice", exchange.KindCallInbound, "", exchange.SigValid, 200, ""),
	ex(2, "POST", "/status", exchange.KindCallStatus, "ringing", exchange.SigInvalid, 200, ""),
	ex(3, "POST", "/sms", exchange.KindMessageStatus, "delivered", exchange.SigMissing, 500, ""),
	ex(4, "GET", "/swml", exchange.KindSWMLCall, "", exchange.SigUnchecked, 0, "connection refused"),
	ex(5, "POST", "/status", exchange.KindCallStatus, "completed", exchange.SigValid, 404, ""),
}

func ids(f Filter) []int64 {
	var out []int64
	for _, x := range corpus {
		if f.Match(x) {
			out = append(out, x.ID)
		}
	}
	return out
}

func TestParseAndMatch(t *testing.T) {
	tests := []struct {
		in   string
		want []int64
	}{
		{"", []int64{1, 2, 3, 4, 5}},
		{"sig:invalid", []int64{2}},
		{"sig:unsigned", []int64{3}},
		{"sig:nokey", []int64{4}},
		{"sig:valid,invalid", []int64{1, 2, 5}},
		{"status:5xx", []int64{3}},
		{"status:2xx", []int64{1, 2}},
		{"status:404", []int64{5}},
		{"status:error", []int64{3, 4}},
		{"event:call", []int64{1, 2, 5}},
		{"event:call.status", []int64{2, 5}},
		{"event:ringing", []int64{2}},
		{"method:get", []int64{4}},
		{"status", []int64{2, 3, 5}}, // free text: path /status and kind message.status
		{"STATUS completed", []int64{5}},
		{"#3", []int64{3}},
		{"event:call sig:valid", []int64{1, 5}},
		{"refused", []int64{4}},
		{"http://x", nil}, // unknown key: free text, matches nothing here
	}
	for _, tt := range tests {
		f, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		if got := ids(f); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q) matches %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseErrorsNameTheFix(t *testing.T) {
	for _, in := range []string{"sig:maybe", "status:6xx", "status:99", "status:abc", "event:", "method:"} {
		_, err := Parse(in)
		if err == nil {
			t.Errorf("Parse(%q) = nil error", in)
			continue
		}
		if !strings.Contains(err.Error(), "want") && !strings.Contains(err.Error(), "e.g.") {
			t.Errorf("Parse(%q) error %q does not say what is wanted", in, err)
		}
	}
}

func TestEmpty(t *testing.T) {
	f, _ := Parse("   ")
	if !f.Empty() {
		t.Error("blank filter is not empty")
	}
	f, _ = Parse("sig:valid")
	if f.Empty() {
		t.Error("sig:valid is empty")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "sig:invalid", "status:5xx event:call", "method:post foo", "sig:valid,unsigned x:y", "status:404,error", "event:a:b", "\x1b]0;x\x07", "SIG:NOKEY", "kind:CALL"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := Parse(s)
		if err != nil {
			return
		}
		for _, x := range corpus {
			flt.Match(x) // must not panic
		}
		// The canonical form reads back to the same filter.
		again, err := Parse(flt.String())
		if err != nil {
			t.Fatalf("Parse(%q) ok but its String %q fails: %v", s, flt.String(), err)
		}
		if again.String() != flt.String() {
			t.Fatalf("round trip of %q: %q then %q", s, flt.String(), again.String())
		}
	})
}

// The live view's words are the vocabulary's (inspect/human): status:error
// selects what human.HandlerFailed calls a failure, as list --status error
// and the header's "handler errors" do, and sig:unchecked is the word for
// a verdict swhook did not reach (issues 11.3, 11.8).
func TestFilterWordsAreTheVocabulary(t *testing.T) {
	f, err := Parse("status:error")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []exchange.Response{{Status: 200}, {Status: 404}, {Status: 500}, {Status: 503}, {Error: "connection refused"}, {Status: 502, Error: "cut"}, {}} {
		x := &exchange.Exchange{Response: r}
		if got, want := f.Match(x), human.HandlerFailed(r); got != want {
			t.Errorf("status:error on %+v: %v, HandlerFailed %v", r, got, want)
		}
	}
	for _, w := range []string{"unchecked", "nokey"} {
		f, err := Parse("sig:" + w)
		if err != nil {
			t.Fatal(err)
		}
		if f.String() != "sig:unchecked" || !f.Match(&exchange.Exchange{Signature: exchange.Signature{Status: exchange.SigUnchecked}}) {
			t.Errorf("sig:%s reads back as %q", w, f.String())
		}
	}
	if _, err := Parse("sig:bogus"); err == nil || !strings.Contains(err.Error(), "unchecked") {
		t.Errorf("a bad sig: word names the right ones: %v", err)
	}
}
