package cmd

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/signature/signaturetest"
)

// listAll is `swhook list --json --limit 0` decoded whole.
func listAll(t *testing.T, storePath string) []exchange.Exchange {
	t.Helper()
	out, err := exec.Command(swhookBinary(t), "list", "--json", "--limit", "0", "--store", storePath).Output()
	if err != nil {
		t.Fatalf("swhook list: %v", err)
	}
	var xs []exchange.Exchange
	if err := json.Unmarshal(out, &xs); err != nil {
		t.Fatalf("swhook list --json: %v\n%s", err, out)
	}
	return xs
}

// nextExchange is the next exchange line a listener prints.
func nextExchange(t *testing.T, l *listenProc, within time.Duration) (exchange.Exchange, bool) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case line, ok := <-l.lines:
			if !ok {
				return exchange.Exchange{}, false
			}
			var ev struct {
				Type string `json:"type"`
				exchange.Exchange
			}
			if json.Unmarshal([]byte(line), &ev) == nil && ev.Type == "exchange" {
				return ev.Exchange, true
			}
		case <-deadline:
			return exchange.Exchange{}, false
		}
	}
}

// Issue 11 points 5, 6 and 18, through real listeners and a handler that
// checks every signature: trigger without --to goes to the listener
// running on the store; trigger and replay aimed at a listener make one
// row — the listener's, marked as swhook's (source trigger / replay of
// #N) — and `replay last` replays that row; a second listener on the same
// store shows none of the first one's traffic; list says whose each row is.
func TestOneWebhookOneRowThroughListen(t *testing.T) {
	storePath := filepath.Join(t.TempDir(), "swhook.db")
	h, srv := signaturetest.Start(t, testKey)
	a := startListen(t, storePath, "--forward", srv.URL)
	env := map[string]string{cmdutil.EnvSigningKey: testKey, cmdutil.EnvStore: storePath}

	// Only A runs: trigger finds it.
	code, stdout, stderr := runCmd(t, env, "", "trigger", "call.inbound")
	if code != 0 {
		t.Fatalf("trigger without --to: exit %d %s %s", code, stdout, stderr)
	}
	if !strings.HasPrefix(stdout, "#1 sent call.inbound") || !strings.Contains(stdout, a.local) {
		t.Errorf("trigger said %q, want #1 sent to %s", stdout, a.local)
	}
	x, ok := nextExchange(t, a, 30*time.Second)
	if !ok || x.ID != 1 || x.Source != exchange.SourceTrigger || x.Listener != a.local {
		t.Fatalf("listener A showed %+v (ok %v)", x, ok)
	}
	if x.Signature.Status != exchange.SigValid || !h.Requests()[0].Valid {
		t.Errorf("the header broke the signature: badge %s, handler valid %v", x.Signature.Status, h.Requests()[0].Valid)
	}
	if got := h.Requests()[0].Header.Get("X-Swhook-Id"); got != "" {
		t.Errorf("the handler saw the listener's answer header %q", got)
	}

	// B starts on the same store; trigger must now be told where.
	b := startListen(t, storePath, "--forward", srv.URL)
	if code, _, stderr := runCmd(t, env, "", "trigger", "call.inbound"); code != 2 || !strings.Contains(stderr, a.local) || !strings.Contains(stderr, b.local) {
		t.Errorf("two listeners, no --to: exit %d, %q", code, stderr)
	}

	// replay last, through A: one more row, A's, a replay of #1.
	code, stdout, stderr = runCmd(t, env, "", "replay", "last", "--to", a.local)
	if code != 0 {
		t.Fatalf("replay through A: exit %d %s %s", code, stdout, stderr)
	}
	if !strings.HasPrefix(stdout, "#2 replay of #1") {
		t.Errorf("replay said %q", stdout)
	}
	x, ok = nextExchange(t, a, 30*time.Second)
	if !ok || x.ID != 2 || x.Source != exchange.SourceReplay || x.ReplayOf != 1 {
		t.Fatalf("listener A showed %+v", x)
	}

	// B sees none of it: only what it takes itself.
	code, _, stderr = runCmd(t, env, "", "trigger", "message.inbound", "--to", b.local+"/sms")
	if code != 0 {
		t.Fatal(stderr)
	}
	if y, ok := nextExchange(t, b, 30*time.Second); !ok || y.ID != 3 || y.Listener != b.local {
		t.Fatalf("listener B's first row is %+v, want its own #3", y)
	}
	if y, ok := nextExchange(t, b, time.Second); ok {
		t.Errorf("listener B showed another listener's row %+v", y)
	}
	if y, ok := nextExchange(t, a, time.Second); ok {
		t.Errorf("listener A showed B's row %+v", y)
	}

	xs := listAll(t, storePath)
	if len(xs) != 3 {
		t.Fatalf("%d rows in the store, want 3 (one per webhook)", len(xs))
	}
	for _, x := range xs {
		want := a.local
		if x.ID == 3 {
			want = b.local
		}
		if x.Listener != want {
			t.Errorf("#%d: listener %q, want %q", x.ID, x.Listener, want)
		}
	}
	code, stdout, _ = runCmd(t, env, "", "list")
	if code != 0 || !strings.Contains(stdout, strings.TrimPrefix(a.local, "http://")+" → ") {
		t.Errorf("list does not say which listener took each row:\n%s", stdout)
	}
}
