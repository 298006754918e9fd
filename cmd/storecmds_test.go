package cmd

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/store"
)

// Shared by the list, show and clear tests: a store seeded with realistic
// and hostile exchanges, and a fixed clock.

// testNow is the injected clock: 2026-11-22 15:30 in a fixed zone, so
// "today" and local times do not depend on the machine.
var testNow = time.Date(2026, 11, 22, 15, 30, 0, 0, time.FixedZone("EST", -5*3600))

type storeRun struct {
	env       map[string]string
	stdin     string
	stdoutTTY bool
	stdinTTY  bool
	color     bool
}

func (r storeRun) run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ios, in, out, errOut := cmdutil.Test()
	in.WriteString(r.stdin)
	ios.SetStdoutTTY(r.stdoutTTY)
	ios.SetStdinTTY(r.stdinTTY)
	ios.SetColorEnabled(r.color)
	f := &cmdutil.Factory{
		IOStreams: ios,
		Getenv:    func(k string) string { return r.env[k] },
		Now:       func() time.Time { return testNow },
		Version:   "test",
	}
	code = Run(context.Background(), f, args)
	return code, out.String(), errOut.String()
}

// seedStore saves the sample exchanges into a new store and returns the
// environment that points swhook at it.
func seedStore(t *testing.T) (map[string]string, []*exchange.Exchange) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "state", "swhook.db")
	st, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	xs := sampleExchanges()
	for _, x := range xs {
		if err := st.Save(context.Background(), x); err != nil {
			t.Fatal(err)
		}
	}
	// A signing key in the environment: none of these commands needs it,
	// and none may print it.
	return map[string]string{cmdutil.EnvStore: path, cmdutil.EnvSigningKey: testSigningKeySecret}, xs
}

const testSigningKeySecret = "PSK_store_cmds_secret_0123456789"

const formCT = "application/x-www-form-urlencoded"

func sampleExchanges() []*exchange.Exchange {
	at := func(h, m, s int) time.Time {
		return time.Date(2026, 11, 22, h, m, s, 250_000_000, time.UTC) // 5 h ahead of testNow's zone
	}
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Add(kv[i], kv[i+1])
		}
		return h
	}
	inbound := "CallSid=CA1234567890ABCDE&AccountSid=AC1&From=%2B14158675309&To=%2B18005551212&CallStatus=ringing&Direction=inbound"
	return []*exchange.Exchange{
		{ // 1: yesterday, an inbound call answered well
			Time: time.Date(2026, 11, 21, 22, 0, 1, 0, time.UTC), Source: exchange.SourceTunnel,
			Forward: "http://localhost:3000",
			Request: exchange.Request{Method: "POST", URL: "https://abc.ngrok.app/voice", Path: "/voice", Host: "abc.ngrok.app",
				Headers: hdr("Content-Type", formCT, "X-Signalwire-Signature", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "User-Agent", "SignalWire"),
				Body:    exchange.Body(inbound), BodySize: int64(len(inbound)), RemoteAddr: "127.0.0.1:50001"},
			Event:     exchange.Event{Kind: exchange.KindCallInbound},
			Signature: exchange.Signature{Status: exchange.SigValid, Scheme: "form-sha1", Header: "X-SignalWire-Signature"},
			Response: exchange.Response{Status: 200, Headers: hdr("Content-Type", "text/xml"),
				Body: exchange.Body(`<?xml version="1.0"?><Response><Say>Hello</Say><Hangup/></Response>`), BodySize: 68, DurationMS: 3.25, Forwarded: true},
			ResponseCheck: exchange.Check{Status: exchange.CheckOK},
		},
		{ // 2: a status callback with a bad signature, handler answered 500
			Time: at(18, 0, 5), Source: exchange.SourceTunnel, Forward: "http://localhost:3000",
			Request: exchange.Request{Method: "POST", URL: "https://abc.ngrok.app/status?leg=a", Path: "/status", Query: "leg=a",
				Headers: hdr("Content-Type", formCT, "X-Signalwire-Signature", "bm90IGl0"),
				Body:    exchange.Body("CallSid=CA1&CallStatus=completed&CallDuration=42"), BodySize: 49},
			Event:         exchange.Event{Kind: exchange.KindCallStatus, Detail: "completed"},
			Signature:     exchange.Signature{Status: exchange.SigInvalid, Header: "X-SignalWire-Signature", Hint: "signed for http://abc.ngrok.app/status?leg=a: check the scheme your app rebuilds"},
			Response:      exchange.Response{Status: 500, Headers: hdr("Content-Type", "text/plain"), Body: exchange.Body("boom"), BodySize: 4, DurationMS: 1234.5, Forwarded: true},
			ResponseCheck: exchange.Check{Status: exchange.CheckWarning, Message: "status callbacks want a 2xx answer"},
		},
		{ // 3: an unsigned message status, handler down
			Time: at(19, 12, 0), Source: exchange.SourceLocal,
			Request: exchange.Request{Method: "POST", URL: "http://127.0.0.1:4747/sms/status", Path: "/sms/status",
				Headers: hdr("Content-Type", formCT), Body: exchange.Body("MessageSid=SM1&MessageStatus=delivered&Body=Hi%0Athere"), BodySize: 52},
			Event:     exchange.Event{Kind: exchange.KindMessageStatus, Detail: "delivered"},
			Signature: exchange.Signature{Status: exchange.SigMissing, Hint: "no X-SignalWire-Signature header"},
			Response: exchange.Response{Status: 502, Body: exchange.Body("swhook: handler unreachable: connection refused"), BodySize: 47,
				DurationMS: 0.4, Error: "dial tcp 127.0.0.1:3000: connection refused"},
			ResponseCheck: exchange.Check{Status: exchange.CheckError, Message: "handler unreachable"},
		},
		{ // 4: a SWML fetch, JSON both ways, checked without a key
			Time: at(19, 30, 0), Source: exchange.SourceTunnel, Forward: "http://localhost:3000", Listener: "http://127.0.0.1:4747",
			Request: exchange.Request{Method: "POST", URL: "https://abc.ngrok.app/swml", Path: "/swml",
				Headers: hdr("Content-Type", "application/json"), Body: exchange.Body(`{"call":{"call_id":"c-1","from":"+1415"},"vars":{}}`), BodySize: 49},
			Event:     exchange.Event{Kind: exchange.KindSWMLCall},
			Signature: exchange.Signature{Status: exchange.SigUnchecked},
			Response: exchange.Response{Status: 200, Headers: hdr("Content-Type", "application/json"),
				Body: exchange.Body(`{"version":"1.0.0","sections":{"main":[{"play":{"url":"say:hi"}}]}}`), BodySize: 66, DurationMS: 12, Forwarded: true},
			ResponseCheck: exchange.Check{Status: exchange.CheckOK},
		},
		{ // 5: a replay of #2
			Time: at(20, 0, 0), Source: exchange.SourceReplay, ReplayOf: 2, Forward: "http://localhost:3000",
			Request: exchange.Request{Method: "POST", URL: "https://abc.ngrok.app/status?leg=a", Path: "/status", Query: "leg=a",
				Headers: hdr("Content-Type", formCT), Body: exchange.Body("CallSid=CA1&CallStatus=completed&CallDuration=42"), BodySize: 49},
			Event:         exchange.Event{Kind: exchange.KindCallStatus, Detail: "completed"},
			Signature:     exchange.Signature{Status: exchange.SigValid, Scheme: "form-sha1", Header: "X-SignalWire-Signature"},
			Response:      exchange.Response{Status: 204, DurationMS: 2, Forwarded: true},
			ResponseCheck: exchange.Check{Status: exchange.CheckOK},
		},
		{ // 6: hostile: escape sequences everywhere, a binary body, a very long path
			Time: at(20, 15, 0), Source: exchange.SourceTunnel,
			Request: exchange.Request{Method: "PUT\x1b[2J", URL: "https://abc.ngrok.app/\x1b]0;pwned\x07/" + longSegment(), Path: "/\x1b]0;pwned\x07/" + longSegment(),
				Headers:   hdr("Content-Type", "application/octet-stream", "X-Evil\x1b[31m", "v\x1b[1m\r\nInjected: yes"),
				Body:      exchange.Body("\x1b[2J\x00\x01\x02\xff\xfeMZ binary"),
				BodySize:  20 << 20,
				Truncated: true},
			Event:     exchange.Event{Kind: exchange.KindUnknown, Detail: "\x1b[5mblink"},
			Signature: exchange.Signature{Status: exchange.SigMissing},
			Response: exchange.Response{Status: 200, Headers: hdr("Content-Type", "text/xml"),
				Body: exchange.Body("<Response>\x1b]52;c;ZXZpbA==\x07</Response>"), BodySize: 37, DurationMS: 75_000},
			ResponseCheck: exchange.Check{Status: exchange.CheckNA},
		},
	}
}

func longSegment() string {
	return "a-very-long-path-segment-that-goes-on-and-on-and-on"
}
