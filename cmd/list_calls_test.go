package cmd

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/store"
)

// seedCalls stores two interleaved calls (the first with a Dial leg whose
// callbacks carry ParentCallSid, one step of the second invalidly signed)
// and a message, as listen would have saved them.
func seedCalls(t *testing.T) map[string]string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "swhook.db")
	st, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const a, b = "3f2a9c1e-5d4b-4a6f-8e7d-1c2b3a4f5e6d", "b7c8d9e0-1f2a-4b3c-8d4e-5f6a7b8c9d0e"
	const leg = "7c2f3c38-0a6e-4d8f-8e0e-6f7a4d3b2c1d"
	t0 := time.Date(2026, 11, 22, 15, 0, 0, 0, time.UTC)
	steps := []struct {
		sec         float64
		path        string
		kind        exchange.Kind
		detail      string
		body        string
		sig         exchange.SignatureStatus
		status      int
		source      exchange.Source
		replayOf    int64
		checkStatus exchange.CheckStatus
	}{
		{0, "/voice", exchange.KindCallInbound, "ringing", "CallSid=" + a + "&CallStatus=ringing", exchange.SigValid, 200, exchange.SourceTunnel, 0, exchange.CheckOK},
		{1, "/voice", exchange.KindCallInbound, "ringing", "CallSid=" + b + "&CallStatus=ringing", exchange.SigValid, 200, exchange.SourceTunnel, 0, exchange.CheckOK},
		{4.8, "/menu", exchange.KindCallInbound, "gather", "CallSid=" + a + "&Digits=1", exchange.SigValid, 200, exchange.SourceTunnel, 0, exchange.CheckOK},
		{5, "/leg", exchange.KindCallStatus, "ringing", "CallSid=" + leg + "&ParentCallSid=" + a + "&CallStatus=ringing", exchange.SigValid, 204, exchange.SourceTunnel, 0, exchange.CheckOK},
		{6, "/status", exchange.KindCallStatus, "completed", "CallSid=" + b + "&CallStatus=completed&CallDuration=5", exchange.SigInvalid, 204, exchange.SourceTunnel, 0, exchange.CheckOK},
		{9, "/leg", exchange.KindCallStatus, "busy", "CallSid=" + leg + "&ParentCallSid=" + a + "&CallStatus=busy", exchange.SigValid, 204, exchange.SourceTunnel, 0, exchange.CheckOK},
		{9.1, "/dialed", exchange.KindCallInbound, "dial", "CallSid=" + a + "&DialCallStatus=busy", exchange.SigValid, 200, exchange.SourceTunnel, 0, exchange.CheckWarning},
		{14, "/status", exchange.KindCallStatus, "completed", "CallSid=" + a + "&CallStatus=completed&CallDuration=14", exchange.SigValid, 204, exchange.SourceTunnel, 0, exchange.CheckOK},
		{15, "/sms", exchange.KindMessageInbound, "received", "MessageSid=0a059168-ead0-41af-9d1f-343dae832527&Body=hi", exchange.SigValid, 200, exchange.SourceTunnel, 0, exchange.CheckOK},
		{20, "/menu", exchange.KindCallInbound, "gather", "CallSid=" + a + "&Digits=1", exchange.SigValid, 200, exchange.SourceReplay, 3, exchange.CheckOK},
	}
	for _, s := range steps {
		x := &exchange.Exchange{
			Time: t0.Add(time.Duration(s.sec * float64(time.Second))), Source: s.source, ReplayOf: s.replayOf,
			Request: exchange.Request{Method: "POST", Path: s.path, URL: "https://abc.ngrok.app" + s.path,
				Headers: map[string][]string{"Content-Type": {formCT}}, Body: exchange.Body(s.body), BodySize: int64(len(s.body))},
			Event:         exchange.Event{Kind: s.kind, Detail: s.detail},
			Signature:     exchange.Signature{Status: s.sig},
			Response:      exchange.Response{Status: s.status, DurationMS: 2.5, Forwarded: true},
			ResponseCheck: exchange.Check{Status: s.checkStatus},
		}
		if err := st.Save(context.Background(), x); err != nil {
			t.Fatal(err)
		}
	}
	return map[string]string{cmdutil.EnvStore: path}
}

// `list --calls` and `list --call` as a person reads them (golden).
func TestListCallsGolden(t *testing.T) {
	env := seedCalls(t)
	for _, c := range []struct {
		name string
		args []string
	}{
		{"calls", []string{"list", "--calls"}},
		{"calls_invalid", []string{"list", "--calls", "--invalid"}},
		{"call", []string{"list", "--call", "3f2a"}},
		{"call_last", []string{"list", "--call", "last"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := storeRun{env: env}.run(t, c.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			golden.RequireEqual(t, stdout)
		})
	}
	if code, _, stderr := (storeRun{env: env}).run(t, "list", "--call", "nope"); code != 1 || stderr == "" {
		t.Errorf("unknown call: exit %d %q", code, stderr)
	}
	if code, _, _ := (storeRun{env: env}).run(t, "list", "--call", "x", "--calls"); code != 2 {
		t.Errorf("--call with --calls: exit %d", code)
	}
}
