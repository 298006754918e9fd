package cmd

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/tunnel/numbers"
	"github.com/swhook/swhook/tunnel/numbers/numberstest"
)

const (
	swProject = "0b8c54a1-6d2c-4a54-9a8e-5a7c3a1d2e3f"
	swToken   = "PTcmdTESTtokenZYXWVU9876543210secret"
	resID     = "99999999-9999-4999-8999-999999999999"
)

// seedFake is a project with one number of each kind swhook meets.
func seedFake(t *testing.T) *numberstest.Fake {
	t.Helper()
	fake := numberstest.New(swProject, swToken)
	t.Cleanup(fake.Close)
	fake.AddWebhook("cxml_webhook", resID, "Booking", map[string]any{"primary_request_url": "https://app.example.com/book"})
	fake.AddNumber(numberstest.Number("11111111-1111-4111-8111-111111111111", "+15551230001", map[string]any{
		"name": "Main", "call_handler": "laml_webhooks",
		"call_request_url":         "https://prod.example.com/voice?tenant=7",
		"call_fallback_url":        "https://backup.example.com/fallback",
		"call_status_callback_url": "https://prod.example.com/status",
		"message_handler":          "laml_webhooks", "message_request_url": "https://prod.example.com/sms",
	}))
	fake.AddNumber(numberstest.Number("22222222-2222-4222-8222-222222222222", "+15551230002", map[string]any{
		"name": "Agent \x1b]0;pwned\x07", "call_handler": "relay_script", "call_relay_script_url": "https://swml.example.com/a.json",
		"capabilities": []any{"voice"}}))
	fake.AddNumber(numberstest.Number("33333333-3333-4333-8333-333333333333", "+15551230003", map[string]any{
		"call_handler": "laml_webhooks", "calling_handler_resource_id": resID, "capabilities": []any{"voice"}}))
	fake.AddNumber(numberstest.Number("44444444-4444-4444-8444-444444444444", "+15551230004", map[string]any{
		"call_handler": "ai_agent", "capabilities": []any{"voice"}}))
	return fake
}

func swEnv(t *testing.T, fake *numberstest.Fake) map[string]string {
	return map[string]string{"HOME": t.TempDir(), numbers.EnvProject: swProject, numbers.EnvToken: swToken, numbers.EnvSpace: fake.URL()}
}

func swRun(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	ios, _, out, errOut := cmdutil.Test()
	f := &cmdutil.Factory{IOStreams: ios, Getenv: func(k string) string { return env[k] },
		Now: func() time.Time { return testNow }, HTTPClient: &http.Client{Timeout: 10 * time.Second}, Version: "test"}
	code := Run(context.Background(), f, args)
	return code, out.String(), errOut.String()
}

func TestNumbersListGolden(t *testing.T) {
	fake := seedFake(t)
	env := swEnv(t, fake)
	// +15551230001 is held by a record from a listen that is gone.
	recs, _ := numberRecords(&cmdutil.Factory{Getenv: func(k string) string { return env[k] }})
	if err := recs.Create(&numbers.Record{Kind: numbers.KindNumber, ID: "11111111-1111-4111-8111-111111111111", Name: "+15551230001",
		Numbers: []string{"+15551230001"}, Project: swProject, Space: fake.URL(), Created: testNow, TunnelURL: "https://old.ngrok-free.app",
		PID: 999999999, Host: "elsewhere"}); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := swRun(t, env, "numbers")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	golden.RequireEqual(t, strings.ReplaceAll(out, recs.Dir, "$STATE"))
	if strings.ContainsAny(out, "\x1b\x07") || strings.Contains(out, swToken) {
		t.Errorf("unsafe output %q", out)
	}
	code, out, _ = swRun(t, env, "numbers", "--json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 4 {
		t.Fatalf("json %v: %s", err, out)
	}
	if list[3]["number"] != "+15551230001" || list[3]["repointed"] == nil || list[0]["calls"].(map[string]any)["handler"] != "ai_agent" {
		t.Errorf("json %s", out)
	}
	if strings.ContainsAny(out, "\x1b\x07") || strings.Contains(out, swToken) {
		t.Errorf("unsafe json %q", out)
	}
}

// TestNumbersJSONEscapesControls: --json writes the C1 and bidirectional
// controls a number's name may hold as \u escapes, as every JSON output
// does (exchange.EscapeControls), the marks U+200E/U+200F too.
func TestNumbersJSONEscapesControls(t *testing.T) {
	fake := numberstest.New(swProject, swToken)
	t.Cleanup(fake.Close)
	name := "a\u009b2Jb\u202ec\u200ed\u200f"
	fake.AddNumber(numberstest.Number("55555555-5555-4555-8555-555555555555", "+15551230005", map[string]any{"name": name}))
	code, out, _ := swRun(t, swEnv(t, fake), "numbers", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	for _, raw := range []string{"\u009b", "\u202e", "\u200e", "\u200f"} {
		if strings.Contains(out, raw) {
			t.Errorf("raw %U in %q", []rune(raw)[0], out)
		}
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 || list[0]["name"] != name {
		t.Fatalf("json %v: %s", err, out)
	}
}

// Each missing credential is named, and the token is never taken from a
// flag.
func TestNumbersCredentials(t *testing.T) {
	fake := seedFake(t)
	for _, tc := range []struct {
		drop, want string
		code       int
	}{
		{numbers.EnvProject, "no SignalWire project ID: set $SIGNALWIRE_PROJECT_ID or pass --project", 2},
		{numbers.EnvSpace, "no SignalWire Space: set $SIGNALWIRE_SPACE_URL", 2},
		{numbers.EnvToken, "no SignalWire API token: set $SIGNALWIRE_API_TOKEN", 2},
	} {
		env := swEnv(t, fake)
		delete(env, tc.drop)
		code, _, stderr := swRun(t, env, "numbers")
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("without %s: exit %d, %q", tc.drop, code, stderr)
		}
	}
	env := swEnv(t, fake)
	env[numbers.EnvSpace] = "http://example.signalwire.com"
	if code, _, stderr := swRun(t, env, "numbers"); code != 2 || !strings.Contains(stderr, "only over https") {
		t.Errorf("http space: %d %q", code, stderr)
	}
	env = swEnv(t, fake)
	env[numbers.EnvToken] = "wrong"
	code, _, stderr := swRun(t, env, "numbers")
	if code != 1 || !strings.Contains(stderr, "401 Unauthorized") || !strings.Contains(stderr, "project ID "+swProject) || strings.Count(stderr, "\n") != 1 {
		t.Errorf("401: %d %q", code, stderr)
	}
	if code, _, stderr := swRun(t, swEnv(t, fake), "numbers", "--token", swToken); code != 2 || !strings.Contains(stderr, "unknown flag: --token") {
		t.Errorf("--token: %d %q", code, stderr)
	}
}

// The token prompt is used when the environment has none.
func TestNumbersTokenPrompt(t *testing.T) {
	fake := seedFake(t)
	env := swEnv(t, fake)
	delete(env, numbers.EnvToken)
	ios, _, _, _ := cmdutil.Test()
	f := &cmdutil.Factory{IOStreams: ios, Getenv: func(k string) string { return env[k] }}
	c, err := signalWireFlags{readToken: func() (string, error) { return swToken + "\n", nil }}.credentials(f)
	if err != nil || c.Token != swToken || c.TokenSource != "the prompt" {
		t.Errorf("%+v %v", c.TokenSource, err)
	}
}

func TestNumbersRestoreNothing(t *testing.T) {
	fake := seedFake(t)
	code, _, stderr := swRun(t, swEnv(t, fake), "numbers", "restore", "+15551230001")
	if code != 0 || !strings.Contains(stderr, "nothing to restore: +15551230001 is not pointed by swhook") {
		t.Errorf("%d %q", code, stderr)
	}
	if code, _, stderr := swRun(t, swEnv(t, fake), "numbers", "restore", "5551230001"); code != 2 || !strings.Contains(stderr, "not an E.164 number") {
		t.Errorf("%d %q", code, stderr)
	}
}

func recordFiles(t *testing.T, home string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(home, ".local", "state", "swhook", "numbers", "*.json"))
	return m
}
