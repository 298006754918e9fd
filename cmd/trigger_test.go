package cmd

import (
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect/signature/signaturetest"
)

// TestTriggerRefusesWhatWouldMislead: a number SignalWire never sends, or a
// flag --list would silently ignore, is a usage error (exit 2) with one line
// that says what to do, and nothing is sent or stored.
func TestTriggerRefusesWhatWouldMislead(t *testing.T) {
	h, srv := signaturetest.Start(t, e2eKey)
	env := e2eEnv(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"call.inbound", "--from", "5551234"}, `--from "5551234" is not an E.164 number (like +15551234567) or a SIP address (like sip:alice@example.com)`},
		{[]string{"message.inbound", "--from", "5551234"}, `--from "5551234" is not an E.164 number (like +15551234567)`},
		{[]string{"message.status", "--to-number", "+1 (555) 123-4567"}, `--to-number "+1 (555) 123-4567" is not an E.164 number`},
		{[]string{"message.inbound", "--from", "sip:alice@example.com"}, "message.inbound takes phone numbers, not SIP addresses"},
		{[]string{"--sequence", "call", "--to-number", "0044207"}, `--to-number "0044207" is not an E.164 number`},
		{[]string{"--list", "--to", srv.URL}, "--list only names the events; drop --to, or drop --list to send"},
		{[]string{"--list", "--from", "+15551234567", "--json"}, "drop --from --json"},
		{[]string{"--list", "--sequence", "call"}, "drop --sequence"},
	} {
		args := append([]string{"trigger"}, c.args...)
		if !strings.Contains(strings.Join(c.args, " "), "--list") {
			args = append(args, "--to", srv.URL+"/hook")
		}
		code, stdout, stderr := swhook(t, env, args...)
		if code != 2 || !strings.Contains(stderr, c.want) || stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.args, code, stdout, stderr, c.want)
		}
		if n := strings.Count(strings.TrimSpace(stderr), "\n"); n > 1 {
			t.Errorf("%v: %d lines on stderr:\n%s", c.args, n+1, stderr)
		}
	}
	if n := len(h.Requests()); n != 0 {
		t.Errorf("the handler received %d requests", n)
	}
	if _, err := os.Stat(env[cmdutil.EnvStore]); err == nil {
		if xs := storedExchanges(t, env); len(xs) != 0 {
			t.Errorf("stored %d exchanges", len(xs))
		}
	}
}

// TestTriggerSendsWhatItWasGiven: an E.164 number and, on a call event, a
// SIP address reach the handler as given, signed.
func TestTriggerSendsWhatItWasGiven(t *testing.T) {
	h, srv := signaturetest.Start(t, e2eKey)
	env := e2eEnv(t)
	for _, c := range []struct{ event, from, to string }{
		{"message.inbound", "+447700900123", "+15559870000"},
		{"call.inbound", "sip:alice@example.com", "sip:support@example.sip.signalwire.com"},
	} {
		code, stdout, stderr := swhook(t, env, "trigger", c.event, "--from", c.from, "--to-number", c.to, "--to", srv.URL+"/hook")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s%s", c.event, code, stdout, stderr)
		}
	}
	got := h.Requests()
	if len(got) != 2 {
		t.Fatalf("the handler received %d requests", len(got))
	}
	for i, want := range [][2]string{{"+447700900123", "+15559870000"}, {"sip:alice@example.com", "sip:support@example.sip.signalwire.com"}} {
		v, err := url.ParseQuery(string(got[i].Body))
		if err != nil {
			t.Fatal(err)
		}
		if !got[i].Valid || v.Get("From") != want[0] || v.Get("To") != want[1] {
			t.Errorf("request %d: valid %v, From %q, To %q; want %q %q", i, got[i].Valid, v.Get("From"), v.Get("To"), want[0], want[1])
		}
	}
}
