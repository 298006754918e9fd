package logview_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/logview"
)

var t0 = time.Date(2026, 11, 22, 10, 0, 0, 123e6, time.UTC)

func sample() []*exchange.Exchange {
	return []*exchange.Exchange{
		{ID: 1, Time: t0, Source: exchange.SourceTunnel,
			Request:       exchange.Request{Method: "POST", Path: "/voice", Headers: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, Body: []byte("CallSid=CA1&CallStatus=ringing"), BodySize: 30},
			Event:         exchange.Event{Kind: exchange.KindCallInbound, Detail: "ringing"},
			Signature:     exchange.Signature{Status: exchange.SigValid, Scheme: "form", Header: "X-SignalWire-Signature"},
			Response:      exchange.Response{Status: 200, Body: []byte("<Response/>"), DurationMS: 12.345, Forwarded: true},
			ResponseCheck: exchange.Check{Status: exchange.CheckOK}},
		{ID: 2, Time: t0.Add(time.Second), Source: exchange.SourceTunnel,
			Request:       exchange.Request{Method: "POST", Path: "/status", Query: "a=1"},
			Event:         exchange.Event{Kind: exchange.KindCallStatus, Detail: "completed"},
			Signature:     exchange.Signature{Status: exchange.SigInvalid, Hint: "valid for http://x/status — your handler ignores X-Forwarded-Proto"},
			Response:      exchange.Response{Status: 500, DurationMS: 3, Forwarded: true},
			ResponseCheck: exchange.Check{Status: exchange.CheckWarning, Message: "status callbacks want a 2xx, got 500"}},
		{ID: 3, Time: t0.Add(2 * time.Second), Source: exchange.SourceLocal,
			Request:       exchange.Request{Method: "POST", Path: "/x\x1b]0;pwned\x07/\x1b[2J", Body: []byte{0xff, 0x00}},
			Event:         exchange.Event{Kind: exchange.KindUnknown},
			Signature:     exchange.Signature{Status: exchange.SigMissing},
			Response:      exchange.Response{Status: 502, Error: "handler http://localhost:3000 is not reachable: connection refused\x1b[31m", DurationMS: 0.4},
			ResponseCheck: exchange.Check{Status: exchange.CheckError, Message: "handler unreachable"}},
		{ID: 4, Time: t0.Add(3 * time.Second), Source: exchange.SourceReplay, ReplayOf: 1,
			Request:   exchange.Request{Method: "POST", Path: "/voice"},
			Event:     exchange.Event{Kind: exchange.KindCallInbound, Detail: "ringing"},
			Signature: exchange.Signature{Status: exchange.SigUnchecked},
			Response:  exchange.Response{Status: 200, DurationMS: 1, Forwarded: true}},
	}
}

func TestPlainGolden(t *testing.T) {
	for _, keySet := range []bool{true, false} {
		name := "plain"
		if !keySet {
			name = "plain-nokey"
		}
		t.Run(name, func(t *testing.T) { plainGolden(t, keySet) })
	}
}

func plainGolden(t *testing.T, keySet bool) {
	{
		var b bytes.Buffer
		p := logview.NewPlain(&b, keySet, time.UTC)
		p.Ready(logview.Ready{PublicURL: "https://abc.ngrok.app", LocalURL: "http://127.0.0.1:4747", Forward: "http://localhost:3000", KeySet: keySet,
			Notes: []string{"hint \x1b[1mbold"}})
		p.Tunnel(logview.TunnelEvent{Time: t0, State: "reconnecting", Message: "connection lost"})
		p.Tunnel(logview.TunnelEvent{Time: t0, State: "up", URL: "https://def.ngrok.app", URLChanged: true, PrevURL: "https://abc.ngrok.app"})
		for _, x := range sample() {
			p.Exchange(x)
		}
		if bytes.ContainsAny(b.Bytes(), "\x1b\x07\x00") {
			t.Errorf("control characters reached the output: %q", b.String())
		}
		golden.RequireEqual(t, b.Bytes())
	}
}

func TestPlainLocalOnlyReady(t *testing.T) {
	var b bytes.Buffer
	logview.NewPlain(&b, true, time.UTC).Ready(logview.Ready{LocalURL: "http://127.0.0.1:4747"})
	first, _, _ := strings.Cut(b.String(), "\n")
	if first != "Send webhooks to  http://127.0.0.1:4747" {
		t.Errorf("first line %q", first)
	}
	if !strings.Contains(b.String(), "swhook answers itself") {
		t.Errorf("no-forward mode not said: %q", b.String())
	}
}

func TestNDJSON(t *testing.T) {
	var b bytes.Buffer
	n := logview.NewNDJSON(&b)
	n.Ready(logview.Ready{PublicURL: "", LocalURL: "http://127.0.0.1:4747", Forward: "http://localhost:3000", KeySet: true})
	for _, x := range sample() {
		n.Exchange(x)
	}
	n.Tunnel(logview.TunnelEvent{Time: t0, State: "up", URL: "https://abc.ngrok.app"})
	golden.RequireEqual(t, b.Bytes())

	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 6 {
		t.Fatalf("%d lines, want 6", len(lines))
	}
	var ready map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &ready); err != nil || ready["type"] != "ready" || ready["local_url"] != "http://127.0.0.1:4747" {
		t.Errorf("ready line %q: %v", lines[0], err)
	}
	if _, ok := ready["public_url"]; !ok {
		t.Errorf("ready line lacks public_url: %q", lines[0])
	}
	for i, x := range sample() {
		var got struct {
			Type string `json:"type"`
			exchange.Exchange
		}
		if err := json.Unmarshal([]byte(lines[i+1]), &got); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if got.Type != "exchange" || got.ID != x.ID || got.Request.Path != x.Request.Path || !bytes.Equal(got.Request.Body, x.Request.Body) {
			t.Errorf("line %d does not round-trip: %+v", i+1, got)
		}
	}
}

// The first two lines answer "what do I paste, and where does it go":
// the public URL, then the mapping to the handler, as ngrok prints it.
func TestPlainReadyLeadsWithTheMapping(t *testing.T) {
	for _, tc := range []struct {
		public, want1, want2 string
	}{
		{"https://abc.ngrok-free.app", "Send webhooks to  https://abc.ngrok-free.app", "Forwarding        https://abc.ngrok-free.app -> http://localhost:3000"},
		{"", "Send webhooks to  http://127.0.0.1:4747", "Forwarding        http://127.0.0.1:4747 -> http://localhost:3000"},
	} {
		var b bytes.Buffer
		p := logview.NewPlain(&b, true, time.UTC)
		p.Ready(logview.Ready{PublicURL: tc.public, LocalURL: "http://127.0.0.1:4747", Forward: "http://localhost:3000"})
		lines := strings.Split(b.String(), "\n")
		if len(lines) < 2 || lines[0] != tc.want1 || lines[1] != tc.want2 {
			t.Errorf("public %q: got %q", tc.public, lines)
		}
		// A tunnel that comes up later says where it leads too.
		b.Reset()
		p.Tunnel(logview.TunnelEvent{Time: time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC), State: "up", URL: "https://new.ngrok-free.app"})
		if got, want := b.String(), "10:00:00.000 tunnel up https://new.ngrok-free.app -> http://localhost:3000\n"; got != want {
			t.Errorf("tunnel up line %q, want %q", got, want)
		}
	}
}

// TestPlainColumnsLineUp: the longest events SignalWire sends do not push
// the badge, status and duration out of line, and the badges use the live
// view's words.
func TestPlainColumnsLineUp(t *testing.T) {
	var b bytes.Buffer
	p := logview.NewPlain(&b, true, time.UTC)
	events := []exchange.Event{
		{Kind: exchange.KindCallInbound},
		{Kind: exchange.KindMessageStatus, Detail: "undelivered"},
		{Kind: exchange.KindRecordingStatus, Detail: "completed"},
		{Kind: exchange.KindRelayCallState, Detail: "answered"},
		{Kind: exchange.KindMessageInbound, Detail: "received"},
	}
	sigs := []exchange.SignatureStatus{exchange.SigValid, exchange.SigInvalid, exchange.SigMissing, exchange.SigUnchecked, exchange.SigValid}
	for i, ev := range events {
		p.Exchange(&exchange.Exchange{ID: int64(i + 1), Time: t0, Request: exchange.Request{Method: "POST", Path: "/hook"},
			Event: ev, Signature: exchange.Signature{Status: sigs[i]}, Response: exchange.Response{Status: 200, DurationMS: 1}})
	}
	col := -1
	for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		r := []rune(line)
		at := -1
		for i := range r {
			if strings.HasPrefix(string(r[i:]), "✓ ") || strings.HasPrefix(string(r[i:]), "✗ ") ||
				strings.HasPrefix(string(r[i:]), "– ") || strings.HasPrefix(string(r[i:]), "? ") {
				at = i
				break
			}
		}
		if col == -1 {
			col = at
		}
		if at != col || at == -1 {
			t.Errorf("badge at column %d, want %d: %q", at, col, line)
		}
	}
	for _, want := range []string{"– unsigned", "? unchecked", "✗ INVALID"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q badge:\n%s", want, b.String())
		}
	}
}

// With --respond, the first lines say what swhook answers instead of
// describing its defaults.
func TestPlainReadySaysTheRespondFile(t *testing.T) {
	var b bytes.Buffer
	logview.NewPlain(&b, true, time.UTC).Ready(logview.Ready{LocalURL: "http://127.0.0.1:4747", Respond: "answer\x1b[2J.xml"})
	if !strings.Contains(b.String(), "swhook answers every webhook with answer␛[2J.xml") || strings.Contains(b.String(), "empty cXML") {
		t.Errorf("ready: %q", b.String())
	}
}
