package trigger

import (
	"encoding/json"
	"math/rand/v2"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/replay"
)

var fixedNow = func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) }

func seeded() Params {
	return Params{Rand: rand.New(rand.NewPCG(1, 2)), Now: fixedNow}
}

// built is one webhook of the catalogue, with the event and status it was
// built for.
type built struct {
	name, status string
	w            Webhook
}

// everyWebhook builds every event with its default and each of its
// statuses: the set the whole-catalogue tests run over.
func everyWebhook(t *testing.T) []built {
	t.Helper()
	var out []built
	for _, ev := range Events() {
		for _, st := range append([]string{""}, ev.Statuses...) {
			p := seeded()
			p.Status = st
			w, err := Build(ev.Name, p)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, built{ev.Name, st, w})
		}
	}
	return out
}

func render(ws ...Webhook) []byte {
	var b strings.Builder
	for _, w := range ws {
		b.WriteString(w.Method + " " + w.ContentType + " " + string(w.Event.Kind))
		if w.Event.Detail != "" {
			b.WriteString(" " + w.Event.Detail)
		}
		b.WriteString("\n" + string(w.Body) + "\n")
	}
	return []byte(b.String())
}

func TestPayloadGoldens(t *testing.T) {
	for _, ev := range Events() {
		t.Run(ev.Name, func(t *testing.T) {
			w, err := Build(ev.Name, seeded())
			if err != nil {
				t.Fatal(err)
			}
			if w.Name != ev.Name || w.Event.Kind != exchange.Kind(ev.Name) {
				t.Errorf("name %q kind %q, want %q", w.Name, w.Event.Kind, ev.Name)
			}
			golden.RequireEqual(t, render(w))
		})
	}
	ws, err := Sequence("call", seeded())
	if err != nil {
		t.Fatal(err)
	}
	golden.RequireEqual(t, render(ws...))
}

var (
	uuidRE  = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	e164RE  = regexp.MustCompile(`^\+1[2-9]\d{2}[2-9]\d{6}$`)
	sidKeys = []string{"AccountSid", "CallSid", "MessageSid", "SmsSid", "RecordingSid", "FaxSid", "TranscriptionSid"}
)

// Realism is checked on values from random seeds, not just the goldens.
func TestFormPayloadsAreRealistic(t *testing.T) {
	for seed := uint64(0); seed < 20; seed++ {
		for _, ev := range Events() {
			w, err := Build(ev.Name, Params{Rand: rand.New(rand.NewPCG(seed, seed)), Now: fixedNow})
			if err != nil {
				t.Fatal(err)
			}
			if w.ContentType != ContentTypeForm {
				if !json.Valid(w.Body) {
					t.Fatalf("%s: body is not JSON: %s", ev.Name, w.Body)
				}
				continue
			}
			v, err := url.ParseQuery(string(w.Body))
			if err != nil {
				t.Fatalf("%s: %v", ev.Name, err)
			}
			if v.Get("ApiVersion") != APIVersion {
				t.Errorf("%s: ApiVersion %q", ev.Name, v.Get("ApiVersion"))
			}
			for _, k := range sidKeys {
				if s := v.Get(k); v.Has(k) && !uuidRE.MatchString(s) {
					t.Errorf("%s: %s=%q is not a UUID", ev.Name, k, s)
				}
			}
			for _, k := range []string{"From", "To"} {
				if v.Has(k) && !e164RE.MatchString(v.Get(k)) {
					t.Errorf("%s: %s=%q is not E.164", ev.Name, k, v.Get(k))
				}
			}
			if ts := v.Get("Timestamp"); ts != "" {
				if _, err := time.Parse(time.RFC1123Z, ts); err != nil {
					t.Errorf("%s: Timestamp %q is not RFC 2822: %v", ev.Name, ts, err)
				}
			}
		}
	}
}

func TestSequenceSharesOneCall(t *testing.T) {
	ws, err := Sequence("call", seeded())
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	sid := ""
	for _, w := range ws {
		v, _ := url.ParseQuery(string(w.Body))
		kinds = append(kinds, string(w.Event.Kind)+":"+v.Get("CallStatus")+v.Get("RecordingStatus"))
		if sid == "" {
			sid = v.Get("CallSid")
		}
		if v.Get("CallSid") != sid {
			t.Errorf("CallSid changed: %q then %q", sid, v.Get("CallSid"))
		}
	}
	want := "call.inbound:ringing call.status:ringing call.status:in-progress call.status:completed recording.status:completed"
	if got := strings.Join(kinds, " "); got != want {
		t.Errorf("sequence %s\nwant     %s", got, want)
	}
}

func TestStatusesAndOverrides(t *testing.T) {
	p := seeded()
	p.Status = "no-answer"
	p.From, p.To = "+15551230000", "+15559870000"
	p.Set = []replay.Assignment{{Name: "CallStatus", Value: "busy"}, {Name: "Extra", Value: "a b"}}
	w, err := Build("call.status", p)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := url.ParseQuery(string(w.Body))
	if v.Get("CallStatus") != "busy" || v.Get("Extra") != "a b" || v.Get("From") != p.From || v.Get("To") != p.To {
		t.Errorf("overrides not applied: %s", w.Body)
	}
	if w.Event.Detail != "no-answer" {
		t.Errorf("detail %q", w.Event.Detail)
	}

	p = seeded()
	p.Status = "ended"
	p.Set = []replay.Assignment{{Name: "params.tag", Value: "mine"}}
	w, err = Build("relay.call.state", p)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Params struct {
			CallState string `json:"call_state"`
			Tag       string `json:"tag"`
		} `json:"params"`
	}
	if err := json.Unmarshal(w.Body, &doc); err != nil || doc.Params.CallState != "ended" || doc.Params.Tag != "mine" {
		t.Errorf("relay: %+v %v", doc, err)
	}

	for _, bad := range []struct{ ev, status string }{{"call.status", "answered"}, {"call.inbound", "ringing"}, {"message.status", "read"}} {
		if _, err := Build(bad.ev, Params{Status: bad.status}); err == nil {
			t.Errorf("%s --status %s: want an error", bad.ev, bad.status)
		}
	}
	if _, err := Build("call.nope", Params{}); err == nil || !strings.Contains(err.Error(), "call.inbound") {
		t.Errorf("unknown event: %v", err)
	}
	if _, err := Sequence("sms", Params{}); err == nil {
		t.Error("unknown sequence: want an error")
	}
}

func TestEventsCoverTheIssue(t *testing.T) {
	want := []string{"call.inbound", "call.status", "recording.status", "message.inbound", "message.status",
		"fax.inbound", "transcription", "swml.call", "swml.message", "relay.call.state"}
	if got := Names(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("events %v", got)
	}
	w, _ := Build("message.inbound", seeded())
	v, _ := url.ParseQuery(string(w.Body))
	if v.Get("NumMedia") != "1" || !strings.HasPrefix(v.Get("MediaUrl0"), "https://") || v.Get("MediaContentType0") != "image/jpeg" {
		t.Errorf("message.inbound has no media: %s", w.Body)
	}
}

// listen names synthetic webhooks exactly as trigger means them.
func TestClassifyAgrees(t *testing.T) {
	for _, b := range everyWebhook(t) {
		w := b.w
		got := replay.Classify(exchange.Request{Method: w.Method, Path: "/hook", Headers: map[string][]string{"Content-Type": {w.ContentType}}, Body: w.Body})
		if got.Kind != w.Event.Kind {
			t.Errorf("%s %s: classify says %s", b.name, b.status, got.Kind)
		}
	}
}
