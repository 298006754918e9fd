package trigger

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/signature/signaturetest"
)

const key = "PSK_trigger_test_key_42"

// Every event, signed by trigger, passes a handler that checks signatures
// by SignalWire's published rules.
func TestEveryEventIsAccepted(t *testing.T) {
	h, srv := signaturetest.Start(t, key)
	for _, b := range everyWebhook(t) {
		w := b.w
		x, err := Send(context.Background(), srv.Client(), w, SendOptions{URL: srv.URL + "/hook?src=test", Key: key, Now: fixedNow})
		if err != nil {
			t.Fatal(err)
		}
		reqs := h.Requests()
		r := reqs[len(reqs)-1]
		if !r.Valid || x.Response.Status != 200 {
			t.Errorf("%s %s: rejected (status %d)", b.name, b.status, x.Response.Status)
		}
		if string(r.Body) != string(w.Body) || r.Header.Get("Content-Type") != w.ContentType || r.URI != "/hook?src=test" {
			t.Errorf("%s: handler got %s %q", b.name, r.URI, r.Body)
		}
		if x.Source != exchange.SourceTrigger || x.Signature.Status != exchange.SigValid || x.Event.Kind != w.Event.Kind ||
			x.Request.URL != srv.URL+"/hook?src=test" || x.Forward != srv.URL {
			t.Errorf("%s: exchange %+v", b.name, x)
		}
	}
}

func TestSequenceIsAccepted(t *testing.T) {
	h, srv := signaturetest.Start(t, key)
	ws, err := Sequence("call", seeded())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		if _, err := Send(context.Background(), srv.Client(), w, SendOptions{URL: srv.URL + "/voice", Key: key}); err != nil {
			t.Fatal(err)
		}
	}
	for i, r := range h.Requests() {
		if !r.Valid {
			t.Errorf("step %d rejected", i)
		}
	}
}

func TestBadAndMissingSignaturesAreRejected(t *testing.T) {
	h, srv := signaturetest.Start(t, key)
	w, _ := Build("call.inbound", seeded())
	for _, mode := range []SignMode{SignBad, SignNone} {
		x, err := Send(context.Background(), srv.Client(), w, SendOptions{URL: srv.URL + "/voice", Key: key, Mode: mode})
		if err != nil {
			t.Fatal(err)
		}
		if x.Response.Status != http.StatusForbidden {
			t.Errorf("mode %d: answered %d", mode, x.Response.Status)
		}
	}
	reqs := h.Requests()
	if reqs[0].Header.Get("X-Signalwire-Signature") == "" || reqs[0].Valid {
		t.Errorf("--bad-signature: %v", reqs[0].Header)
	}
	if reqs[1].Header.Get("X-Signalwire-Signature") != "" {
		t.Errorf("--no-signature sent one")
	}
	// A bad signature needs no key at all.
	if _, err := Send(context.Background(), srv.Client(), w, SendOptions{URL: srv.URL, Mode: SignBad}); err != nil {
		t.Errorf("bad signature without a key: %v", err)
	}
	if _, err := Send(context.Background(), srv.Client(), w, SendOptions{URL: srv.URL}); err == nil {
		t.Error("valid signature without a key: want an error")
	}
}

func TestSignURL(t *testing.T) {
	h, srv := signaturetest.Start(t, key)
	w, _ := Build("call.inbound", seeded())
	x, err := Send(context.Background(), srv.Client(), w, SendOptions{URL: srv.URL + "/voice", SignURL: "https://pub.example/voice", Key: key})
	if err != nil {
		t.Fatal(err)
	}
	got := h.Requests()[0].Header.Get("X-Signalwire-Signature")
	if got != signaturetest.Sign(key, "POST", "https://pub.example/voice", ContentTypeForm, w.Body) {
		t.Errorf("not signed for the sign URL")
	}
	if x.Request.URL != "https://pub.example/voice" || x.Signature.Status != exchange.SigValid {
		t.Errorf("exchange %+v", x.Request)
	}
	b, _ := json.Marshal(x)
	if strings.Contains(string(b), key) {
		t.Fatal("the key leaked into the exchange")
	}
}

func TestSendsOnlyToTheURL(t *testing.T) {
	w, _ := Build("call.inbound", seeded())
	for _, u := range []string{"", "localhost:3000", "ftp://x/y"} {
		if _, err := Send(context.Background(), http.DefaultClient, w, SendOptions{URL: u, Key: key}); err == nil {
			t.Errorf("URL %q accepted", u)
		}
	}
}

func TestSignURLIsPresentedLikeAProxy(t *testing.T) {
	h, srv := signaturetest.Start(t, key)
	h.TrustForwarded = true
	w, _ := Build("message.inbound", seeded())
	x, err := Send(context.Background(), srv.Client(), w, SendOptions{URL: srv.URL + "/sms", SignURL: "https://pub.example/sms", Key: key})
	if err != nil {
		t.Fatal(err)
	}
	r := h.Requests()[0]
	if !r.Valid || r.Host != "pub.example" || x.Response.Status != 200 || x.Request.Host != "pub.example" {
		t.Errorf("valid=%v host=%q status %d", r.Valid, r.Host, x.Response.Status)
	}
}
