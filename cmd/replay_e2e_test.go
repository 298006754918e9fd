package cmd

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/export/har"
	"github.com/swhook/swhook/inspect/signature/signaturetest"
	"github.com/swhook/swhook/inspect/store"
	"github.com/swhook/swhook/replay/trigger"
)

const e2eKey = "PSK_e2e_secret_key_do_not_print"

func e2eEnv(t *testing.T) map[string]string {
	return map[string]string{
		cmdutil.EnvSigningKey: e2eKey,
		cmdutil.EnvStore:      filepath.Join(t.TempDir(), "swhook.db"),
	}
}

// swhook runs one command and checks the signing key never reaches output.
func swhook(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	code, stdout, stderr := runCmd(t, env, "", args...)
	if strings.Contains(stdout+stderr, e2eKey) {
		t.Fatalf("%v printed the signing key", args)
	}
	return code, stdout, stderr
}

func storedExchanges(t *testing.T, env map[string]string) []*exchange.Exchange {
	t.Helper()
	st, err := store.Open(context.Background(), env[cmdutil.EnvStore], store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	xs, err := st.List(context.Background(), store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	return xs
}

func TestTriggerCommandEveryEventAccepted(t *testing.T) {
	env := e2eEnv(t)
	h, srv := signaturetest.Start(t, e2eKey)
	for i, name := range trigger.Names() {
		code, stdout, stderr := swhook(t, env, "trigger", name, "--to", srv.URL+"/hook")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s%s", name, code, stdout, stderr)
		}
		if !strings.HasPrefix(stdout, "#"+strconv.Itoa(i+1)+" sent "+name) || !strings.Contains(stdout, "200") {
			t.Errorf("%s: stdout %q", name, stdout)
		}
	}
	for _, r := range h.Requests() {
		if !r.Valid {
			t.Errorf("rejected: %s", r.Body)
		}
	}
	xs := storedExchanges(t, env)
	if len(xs) != len(trigger.Names()) {
		t.Fatalf("stored %d exchanges", len(xs))
	}
	for _, x := range xs {
		if x.Source != exchange.SourceTrigger || x.Signature.Status != exchange.SigValid {
			t.Errorf("#%d: %s %s", x.ID, x.Source, x.Signature.Status)
		}
	}

	code, stdout, _ := swhook(t, env, "trigger", "--sequence", "call", "--to", srv.URL+"/voice", "--from", "+15550001111")
	if code != 0 || strings.Count(stdout, "\n") != 5 {
		t.Errorf("sequence: exit %d\n%s", code, stdout)
	}
}

func TestTriggerCommandBadSignatureRejected(t *testing.T) {
	env := e2eEnv(t)
	h, srv := signaturetest.Start(t, e2eKey)
	code, stdout, _ := swhook(t, env, "trigger", "call.inbound", "--bad-signature", "--to", srv.URL+"/voice")
	if code != 1 || !strings.Contains(stdout, "bad signature") || !strings.Contains(stdout, "403") {
		t.Errorf("exit %d: %s", code, stdout)
	}
	if h.Requests()[0].Valid {
		t.Error("handler accepted a bad signature")
	}
	code, _, stderr := swhook(t, env, "trigger", "call.status", "--status", "answered", "--to", srv.URL)
	if code != 2 || !strings.Contains(stderr, "completed") {
		t.Errorf("bad status: exit %d %s", code, stderr)
	}
}

func TestReplayCommandEndToEnd(t *testing.T) {
	env := e2eEnv(t)
	h, srv := signaturetest.Start(t, e2eKey)

	// #1: a webhook signed for the public URL, forwarded to the handler,
	// which rejects it because it checks its own URL.
	code, _, _ := swhook(t, env, "trigger", "call.inbound", "--to", srv.URL+"/voice", "--sign-url", "https://abc.ngrok.app/voice")
	if code != 1 {
		t.Fatalf("trigger: exit %d", code)
	}
	orig := h.Requests()[0]

	// #2: sent again as captured: same verdict (this handler ignores
	// X-Forwarded-Proto), and swhook says why.
	code, stdout, stderr := swhook(t, env, "replay", "1")
	if code != 1 {
		t.Errorf("replay as captured: exit %d", code)
	}
	want := "one that checks http://abc.ngrok.app/voice needs --resign"
	if !strings.Contains(stderr, want) {
		t.Errorf("stderr %q\nwant %q", stderr, want)
	}
	if r := h.Requests()[1]; string(r.Body) != string(orig.Body) || r.Header.Get("X-Signalwire-Signature") != orig.Header.Get("X-Signalwire-Signature") {
		t.Errorf("replay as captured changed the request")
	}
	if !strings.Contains(stdout, "#2 replay of #1") {
		t.Errorf("stdout %q", stdout)
	}

	// #3: re-signed for where it goes: accepted, identical body.
	code, stdout, stderr = swhook(t, env, "replay", "1", "--resign")
	if code != 0 {
		t.Fatalf("replay --resign: exit %d %s %s", code, stdout, stderr)
	}
	if r := h.Requests()[2]; !r.Valid || string(r.Body) != string(orig.Body) || r.URI != "/voice" {
		t.Errorf("re-signed replay: valid=%v %s", r.Valid, r.URI)
	}
	if !strings.Contains(stderr, "re-signed for "+srv.URL+"/voice") || !strings.Contains(stdout, "403") || !strings.Contains(stdout, "200") {
		t.Errorf("stdout %q stderr %q", stdout, stderr)
	}

	// #4: edited, re-signed because the key is known.
	code, stdout, stderr = swhook(t, env, "replay", "1", "--set", "CallStatus=in-progress", "--json")
	if code != 0 {
		t.Fatalf("edited replay: exit %d %s", code, stderr)
	}
	var x exchange.Exchange
	if err := json.Unmarshal([]byte(stdout), &x); err != nil {
		t.Fatalf("--json: %v\n%s", err, stdout)
	}
	if x.ID != 4 || x.ReplayOf != 1 || x.Source != exchange.SourceReplay || x.Response.Status != 200 ||
		!strings.Contains(string(x.Request.Body), "CallStatus=in-progress") || !strings.Contains(stderr, "edited, so it was re-signed") {
		t.Errorf("edited replay %+v\nstderr %s", x, stderr)
	}
	if !h.Requests()[3].Valid {
		t.Error("edited replay rejected")
	}

	// The handler now fails: exit 1.
	h.Status = http.StatusInternalServerError
	if code, stdout, _ = swhook(t, env, "replay", "1", "--resign"); code != 1 || !strings.Contains(stdout, "500") {
		t.Errorf("non-2xx: exit %d %s", code, stdout)
	}
	h.Status = 0

	// --failed resends the failed originals (#1), not the failed replays.
	code, stdout, _ = swhook(t, env, "replay", "--failed", "--resign")
	if code != 0 || !strings.Contains(stdout, "#1 -> #6 200 ok") || !strings.Contains(stdout, "replayed 1: 1 ok, 0 failed") {
		t.Errorf("--failed: exit %d\n%s", code, stdout)
	}

	// Every replay is stored, pointing at its original.
	xs := storedExchanges(t, env)
	if len(xs) != 6 {
		t.Fatalf("stored %d", len(xs))
	}
	for _, x := range xs {
		if x.ID > 1 && (x.Source != exchange.SourceReplay || x.ReplayOf != 1) {
			t.Errorf("#%d: %s replay_of %d", x.ID, x.Source, x.ReplayOf)
		}
	}

	// Export them all.
	code, stdout, _ = swhook(t, env, "export", "--har", "-")
	var doc har.HAR
	if code != 0 || json.Unmarshal([]byte(stdout), &doc) != nil || len(doc.Log.Entries) != 6 || doc.Log.Entries[0].ID != 1 {
		t.Errorf("export: exit %d, %d entries", code, len(doc.Log.Entries))
	}
	code, stdout, _ = swhook(t, env, "export", "--har", "-", "3", "4")
	if json.Unmarshal([]byte(stdout), &doc) != nil || len(doc.Log.Entries) != 2 {
		t.Errorf("export IDs: exit %d, %d entries", code, len(doc.Log.Entries))
	}
	if code, _, stderr = swhook(t, env, "export", "--har", "-", "99"); code != 1 || !strings.Contains(stderr, "#99") {
		t.Errorf("export of a missing ID: exit %d %s", code, stderr)
	}
}

func TestReplayCommandNeedsATarget(t *testing.T) {
	env := e2eEnv(t)
	st, err := store.Open(context.Background(), env[cmdutil.EnvStore], store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	x := &exchange.Exchange{Source: exchange.SourceLocal, Request: exchange.Request{
		Method: "POST", URL: "http://127.0.0.1:4747/voice", Path: "/voice", Headers: http.Header{}, Body: exchange.Body("A=1"), BodySize: 3}}
	if err := st.Save(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, _, stderr := swhook(t, env, "replay", "last")
	if code != 2 || !strings.Contains(stderr, "--to") {
		t.Errorf("exit %d: %s", code, stderr)
	}
	if code, _, stderr = swhook(t, env, "replay", "7", "--to", "http://127.0.0.1:1"); code != 1 || !strings.Contains(stderr, "#7") {
		t.Errorf("missing ID: exit %d %s", code, stderr)
	}
}

func TestExportFileIsPrivate(t *testing.T) {
	env := e2eEnv(t)
	_, srv := signaturetest.Start(t, e2eKey)
	if code, _, stderr := swhook(t, env, "trigger", "call.inbound", "--to", srv.URL+"/voice"); code != 0 {
		t.Fatalf("trigger: %s", stderr)
	}
	out := filepath.Join(t.TempDir(), "x.har")
	code, _, stderr := swhook(t, env, "export", "--har", out, "--event", "call")
	if code != 0 || !strings.Contains(stderr, "wrote 1 exchange(s)") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if _, _, stderr = swhook(t, env, "export", "--har", out, "--event", "message"); !strings.Contains(stderr, "wrote 0 exchange(s)") {
		t.Errorf("--event message: %s", stderr)
	}
}

// On a terminal, --failed draws a progress bar and lists the failures after it.
func TestReplayFailedOnATerminal(t *testing.T) {
	env := e2eEnv(t)
	h, srv := signaturetest.Start(t, e2eKey)
	h.Status = http.StatusInternalServerError
	for i := 0; i < 3; i++ {
		if code, _, _ := swhook(t, env, "trigger", "call.status", "--to", srv.URL+"/status"); code != 1 {
			t.Fatal("trigger should have failed")
		}
	}
	h.Status = 0
	ios, _, out, errOut := cmdutil.Test()
	ios.SetStdoutTTY(true)
	f := &cmdutil.Factory{IOStreams: ios, Getenv: func(k string) string { return env[k] }, Now: time.Now, HTTPClient: srv.Client(), Version: "test"}
	code := Run(context.Background(), f, []string{"replay", "--failed", "--since", "1h"})
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	s := out.String()
	if !strings.Contains(s, "\r[") || !strings.Contains(s, "3/3") || !strings.HasSuffix(s, "replayed 3: 3 ok, 0 failed\n") {
		t.Errorf("terminal output %q", s)
	}
	if strings.Contains(s, e2eKey) || strings.Contains(errOut.String(), e2eKey) {
		t.Fatal("key printed")
	}
}

// `show --curl` prints a command that, run by a shell, delivers the same
// signed request: the handler accepts it.
func TestShowCurlReproducesTheSignedRequest(t *testing.T) {
	env := e2eEnv(t)
	h, srv := signaturetest.Start(t, e2eKey)
	if code, _, stderr := swhook(t, env, "trigger", "message.inbound", "--set", "Body=it's 100% \\ fine", "--to", srv.URL+"/sms"); code != 0 {
		t.Fatalf("trigger: %s", stderr)
	}
	code, stdout, stderr := swhook(t, env, "show", "1", "--curl")
	if code != 0 || !strings.HasPrefix(stdout, "curl --globoff --url '"+srv.URL+"/sms'") ||
		!strings.Contains(stdout, "-H 'X-Signalwire-Signature: ") {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed; replay's FuzzCurlRoundTrip checks the command without it")
	}
	out, err := exec.Command("sh", "-c", strings.TrimSpace(stdout)+" -sS").CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	reqs := h.Requests()
	if len(reqs) != 2 || !reqs[1].Valid || string(reqs[1].Body) != string(reqs[0].Body) {
		t.Errorf("curl's request: %+v", reqs[len(reqs)-1])
	}
}

// The live view's replay keys go through storeReplayer.
func TestStoreReplayer(t *testing.T) {
	env := e2eEnv(t)
	h, srv := signaturetest.Start(t, e2eKey)
	if code, _, _ := swhook(t, env, "trigger", "call.inbound", "--to", srv.URL+"/voice", "--sign-url", "https://abc.ngrok.app/voice"); code != 1 {
		t.Fatal("trigger should have been rejected")
	}
	st, err := store.Open(context.Background(), env[cmdutil.EnvStore], store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fn := storeReplayer(st, srv.Client(), e2eKey, time.Now, "http://127.0.0.1:4747")
	x, err := fn(context.Background(), 1, false)
	if err != nil || x.ID != 2 || x.Response.Status != http.StatusForbidden {
		t.Fatalf("r: %+v %v", x, err)
	}
	x, err = fn(context.Background(), 1, true)
	if err != nil || x.ID != 3 || x.ReplayOf != 1 || x.Response.Status != 200 || !h.Requests()[2].Valid {
		t.Fatalf("R: %+v %v", x, err)
	}
	if _, err := storeReplayer(st, srv.Client(), "", time.Now, "")(context.Background(), 1, true); err == nil {
		t.Error("R without a key: want an error")
	}
	if _, err := fn(context.Background(), 99, false); err == nil {
		t.Error("missing exchange: want an error")
	}
}

func TestTriggerCommandJSON(t *testing.T) {
	env := e2eEnv(t)
	_, srv := signaturetest.Start(t, e2eKey)
	code, stdout, stderr := swhook(t, env, "trigger", "--sequence", "call", "--json", "--to", srv.URL+"/voice")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 5 {
		t.Fatalf("%d lines:\n%s", len(lines), stdout)
	}
	var kinds []string
	for _, l := range lines {
		var x exchange.Exchange
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			t.Fatal(err)
		}
		if x.Source != exchange.SourceTrigger || x.Signature.Status != exchange.SigValid || x.Response.Status != 200 {
			t.Errorf("%+v", x)
		}
		kinds = append(kinds, string(x.Event.Kind)+" "+x.Event.Detail)
	}
	want := "call.inbound ringing,call.status ringing,call.status in-progress,call.status completed,recording.status completed"
	if got := strings.Join(kinds, ","); got != want {
		t.Errorf("kinds %s\nwant  %s", got, want)
	}
}

// A handler that is not running: one line that says so once, exit 1.
func TestTriggerCommandUnreachableHandler(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/voice"
	ln.Close()
	code, stdout, _ := swhook(t, e2eEnv(t), "trigger", "call.inbound", "--to", refused)
	if code != 1 || strings.Count(stdout, "\n") != 1 || !strings.Contains(stdout, ": no answer (error: ") ||
		strings.Count(stdout, "connection refused") != 1 || strings.Contains(stdout, "...") {
		t.Errorf("exit %d: %q", code, stdout)
	}
}
