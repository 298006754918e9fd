package cmd

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/store"
)

// A GET webhook (a cXML app configured for GET) has its parameters in the
// query string: show lists them as it does a form's.
func TestShowGETWebhookParameters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "swhook.db")
	st, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	x := &exchange.Exchange{
		Time: time.Date(2026, 11, 22, 20, 0, 0, 0, time.UTC), Source: exchange.SourceLocal,
		Request: exchange.Request{Method: "GET", URL: "http://127.0.0.1:4747/voice?CallSid=CA9&From=%2B15551230000&Evil=%1b%5d0%3Bt%07",
			Path: "/voice", Query: "CallSid=CA9&From=%2B15551230000&Evil=%1b%5d0%3Bt%07", Host: "127.0.0.1:4747"},
		Event:     exchange.Event{Kind: exchange.KindCallInbound},
		Signature: exchange.Signature{Status: exchange.SigMissing},
		Response:  exchange.Response{Status: 200, Forwarded: true},
	}
	if err := st.Save(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, stdout, stderr := storeRun{env: map[string]string{cmdutil.EnvStore: path}}.run(t, "show", "last")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	_, params, ok := strings.Cut(stdout, "\nParameters\n")
	if !ok {
		t.Fatalf("no Parameters section:\n%s", stdout)
	}
	params, _, _ = strings.Cut(params, "\n\n")
	for _, want := range []string{"CallSid", "CA9", "From", "+15551230000", "Evil"} {
		if !strings.Contains(params, want) {
			t.Errorf("parameters lack %q:\n%s", want, params)
		}
	}
	if strings.ContainsAny(stdout, "\x1b\x07") {
		t.Errorf("control bytes reached the terminal: %q", stdout)
	}
}

// A webhook swhook had to answer because the handler failed says so
// without claiming it was never meant to be forwarded.
func TestShowHandlerFailureWording(t *testing.T) {
	env, _ := seedStore(t)
	_, stdout, _ := storeRun{env: env}.run(t, "show", "3")
	if !strings.Contains(stdout, "(answered by swhook)") || strings.Contains(stdout, "not forwarded") {
		t.Errorf("handler failure wording:\n%s", stdout)
	}
}
