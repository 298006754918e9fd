package detail

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/tui/theme"
)

func show(x *exchange.Exchange, tab Tab, w, h int) (string, *Model) {
	m := New(theme.Plain(), time.UTC)
	m.SetSize(w, h)
	m.SetExchange(x)
	m.SetTab(tab)
	return m.View(), &m
}

func TestRequestTabGETQueryIsATable(t *testing.T) {
	x := &exchange.Exchange{ID: 3, Request: exchange.Request{Method: "GET", URL: "https://h/voice?CallSid=CA1&From=%2B1555", Path: "/voice", Query: "CallSid=CA1&From=%2B1555"}}
	out, _ := show(x, TabRequest, 100, 30)
	for _, want := range []string{"GET https://h/voice?CallSid=CA1&From=%2B1555", "Parameters", "CallSid  CA1", "From     +1555", "(empty)"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q:\n%s", want, out)
		}
	}
}

func TestRequestTabJSONBodyIndented(t *testing.T) {
	x := &exchange.Exchange{ID: 4, Request: exchange.Request{Method: "POST", URL: "https://h/swml", Path: "/swml",
		Headers: http.Header{"Content-Type": {"application/json"}}, Body: exchange.Body(`{"call":{"from":"+1555"}}`), BodySize: 100, Truncated: true}}
	out, _ := show(x, TabRequest, 100, 30)
	if !strings.Contains(out, `"from": "+1555"`) || strings.Contains(out, "Parameters") {
		t.Errorf("JSON body not indented, or shown as parameters:\n%s", out)
	}
	if !strings.Contains(out, "truncated: 25 of 100 bytes kept") {
		t.Errorf("no truncation note:\n%s", out)
	}
}

func TestResponseTab(t *testing.T) {
	x := &exchange.Exchange{ID: 5, Response: exchange.Response{Status: 502, Error: "connection refused", DurationMS: 1.25},
		ResponseCheck: exchange.Check{Status: exchange.CheckError, Message: "handler unreachable"}}
	out, _ := show(x, TabResponse, 100, 30)
	for _, want := range []string{"502 Bad Gateway", "answered by swhook", "took 1.3ms", "Error: connection refused", "✗ REFUSED: handler unreachable"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q:\n%s", want, out)
		}
	}
	// It was meant for the handler: "not forwarded" would say otherwise.
	if strings.Contains(out, "not forwarded") {
		t.Errorf("a failed forward reads as never forwarded:\n%s", out)
	}
	x.Response = exchange.Response{Status: 200}
	if out, _ := show(x, TabResponse, 100, 30); !strings.Contains(out, "answered by swhook (not forwarded)") {
		t.Errorf("swhook's own answer (no --forward) not said:\n%s", out)
	}
}

func TestSignatureTab(t *testing.T) {
	x := &exchange.Exchange{ID: 6,
		Request:   exchange.Request{URL: "https://h/status?x=1", Headers: http.Header{"X-Signalwire-Signature": {"abc="}}},
		Signature: exchange.Signature{Status: exchange.SigInvalid, Scheme: "form-sha1", Header: "X-Signalwire-Signature", Hint: "signed for http://h/status?x=1"}}
	out, _ := show(x, TabSignature, 100, 30)
	for _, want := range []string{"✗ INVALID", "form-sha1", "X-Signalwire-Signature", "abc=", "URL used   https://h/status?x=1", "signed for http://h/status?x=1"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q:\n%s", want, out)
		}
	}
	x.Signature = exchange.Signature{Status: exchange.SigUnchecked}
	out, _ = show(x, TabSignature, 100, 30)
	if !strings.Contains(out, "SIGNALWIRE_SIGNING_KEY") {
		t.Errorf("unchecked does not say how to set a key:\n%s", out)
	}
}

func TestTabsCycleAndContentWraps(t *testing.T) {
	x := &exchange.Exchange{ID: 7, Request: exchange.Request{Method: "POST", URL: "https://h/" + strings.Repeat("long", 40)}}
	out, m := show(x, TabRequest, 40, 20)
	for _, l := range strings.Split(out, "\n") {
		if ansi.StringWidth(l) > 40 {
			t.Errorf("line wider than the pane: %q", l)
		}
	}
	m.PrevTab()
	if m.Tab() != TabSignature {
		t.Errorf("PrevTab from Request: %v", m.Tab())
	}
	m.NextTab()
	m.NextTab()
	if m.Tab() != TabResponse {
		t.Errorf("NextTab twice: %v", m.Tab())
	}
}

// The request's one-line summary breaks between its parts at 80 columns,
// never inside one ("71" on one line, "bytes" on the next).
func TestRequestMetaBreaksBetweenParts(t *testing.T) {
	x := &exchange.Exchange{ID: 2, Time: time.Date(2026, 11, 24, 17, 0, 2, 0, time.UTC), Source: exchange.SourceTunnel,
		Request: exchange.Request{Method: "POST", URL: "https://abc123.ngrok-free.app/status", Path: "/status", RemoteAddr: "203.0.113.9:5123", BodySize: 71}}
	out, _ := show(x, TabRequest, 80, 30)
	if !strings.Contains(out, "· 71 bytes") && !strings.Contains(out, "\n71 bytes") {
		t.Errorf("the size was split:\n%s", out)
	}
	for _, l := range strings.Split(out, "\n") {
		if ansi.StringWidth(l) > 80 {
			t.Errorf("line %d wide: %q", ansi.StringWidth(l), l)
		}
	}
}

// A row swhook sent itself says so first, in the plain log's words, so it is
// not read as the copy a running listen received; a received row does not.
func TestRequestSaysWhoSentIt(t *testing.T) {
	at := time.Date(2026, 11, 24, 17, 0, 2, 0, time.UTC)
	for _, c := range []struct {
		x         exchange.Exchange
		want, not string
	}{
		{exchange.Exchange{Source: exchange.SourceTrigger}, "sent by swhook trigger · 2026-11-24 17:00:02.000 UTC", "received"},
		{exchange.Exchange{Source: exchange.SourceReplay, ReplayOf: 17}, "sent by swhook replay of #17 · 2026-11-24 17:00:02.000 UTC", "received"},
		{exchange.Exchange{Source: exchange.SourceReplay}, "sent by swhook replay · 2026-11-24", "received"},
		{exchange.Exchange{Source: exchange.SourceLocal}, "received 2026-11-24 17:00:02.000 UTC · via local", "sent by"},
	} {
		x := c.x
		x.ID, x.Time = 9, at
		x.Request = exchange.Request{Method: "POST", URL: "http://127.0.0.1:3000/voice", Path: "/voice", BodySize: 71}
		out, _ := show(&x, TabRequest, 100, 30)
		if !strings.Contains(out, c.want) || strings.Contains(out, c.not) {
			t.Errorf("source %s: want %q and no %q:\n%s", x.Source, c.want, c.not, out)
		}
	}
}

// A valid signature proves the key, not SignalWire: a trigger is signed
// with the same key. The tab says what is true for each source.
func TestValidSignatureSaysWhatItProves(t *testing.T) {
	x := &exchange.Exchange{ID: 8, Request: exchange.Request{URL: "http://127.0.0.1:3000/voice"},
		Signature: exchange.Signature{Status: exchange.SigValid, Scheme: "form-sha1", Header: "X-Signalwire-Signature"}}
	const matches = "The signature matches your signing key: the body and URL are unaltered."
	for _, c := range []struct {
		src      exchange.Source
		replayOf int64
		want     string
	}{
		{exchange.SourceTunnel, 0, "Only someone holding the key (SignalWire, or you) could have made it."},
		{exchange.SourceLocal, 0, "Only someone holding the key (SignalWire, or you) could have made it."},
		{exchange.SourceTrigger, 0, "Sent by swhook trigger, not by SignalWire."},
		{exchange.SourceReplay, 3, "Sent by swhook replay of #3, not by SignalWire."},
	} {
		x.Source, x.ReplayOf = c.src, c.replayOf
		out, _ := show(x, TabSignature, 100, 30)
		if !strings.Contains(out, matches) || !strings.Contains(out, c.want) {
			t.Errorf("source %s: want %q then %q:\n%s", c.src, matches, c.want, out)
		}
		if strings.Contains(out, "came from SignalWire") {
			t.Errorf("source %s: claims SignalWire sent it:\n%s", c.src, out)
		}
	}
	// trigger --no-signature: no proxy stripped anything; swhook sent it so.
	x.Source, x.ReplayOf = exchange.SourceTrigger, 0
	x.Signature = exchange.Signature{Status: exchange.SigMissing}
	out, _ := show(x, TabSignature, 100, 30)
	if !strings.Contains(out, "The request carried no signature header. Sent by swhook trigger, not by SignalWire.") || strings.Contains(out, "proxy") {
		t.Errorf("unsigned trigger:\n%s", out)
	}
	x.Source = exchange.SourceTunnel
	if out, _ := show(x, TabSignature, 100, 30); !strings.Contains(out, "a proxy stripped the header") {
		t.Errorf("unsigned received webhook lost its explanation:\n%s", out)
	}
}
