package cmd

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/signature/signaturetest"
	"github.com/swhook/swhook/replay/trigger"
)

// The whole loop through a real `swhook listen`: trigger sends every event
// to listen, which verifies it, forwards it to a handler that checks
// signatures by SignalWire's rules, and stores it; replaying a stored
// exchange reaches the handler with the identical body, and it still
// verifies there.
func TestTriggerThroughListenThenReplay(t *testing.T) {
	storePath := filepath.Join(t.TempDir(), "swhook.db")
	h, srv := signaturetest.Start(t, testKey)
	l := startListen(t, storePath, "--forward", srv.URL)
	env := map[string]string{cmdutil.EnvSigningKey: testKey, cmdutil.EnvStore: storePath}

	names := trigger.Names()
	for _, name := range names {
		code, stdout, stderr := runCmd(t, env, "", "trigger", name, "--to", l.local+"/hook/"+name)
		if code != 0 {
			t.Fatalf("%s: exit %d %s %s", name, code, stdout, stderr)
		}
	}
	// listen saw each one (one row each, marked as sent by trigger): valid,
	// named as trigger meant it.
	seen := map[string]exchange.Exchange{}
	deadline := time.After(30 * time.Second)
	for len(seen) < len(names) {
		select {
		case line := <-l.lines:
			var ev struct {
				Type string `json:"type"`
				exchange.Exchange
			}
			if json.Unmarshal([]byte(line), &ev) != nil || ev.Type != "exchange" {
				continue
			}
			seen[string(ev.Event.Kind)] = ev.Exchange
		case <-deadline:
			t.Fatalf("listen reported %d of %d webhooks; stderr %s", len(seen), len(names), l.stderr.String())
		}
	}
	for _, name := range names {
		x := seen[name]
		if x.Signature.Status != exchange.SigValid || x.Response.Status != 200 {
			t.Errorf("%s through listen: signature %s, handler %d", name, x.Signature.Status, x.Response.Status)
		}
	}
	for _, r := range h.Requests() {
		if !r.Valid {
			t.Errorf("the handler rejected %s", r.URI)
		}
	}

	// Replay what listen captured: to its recorded forward target, as
	// captured — the handler gets the same bytes and accepts them.
	x := seen["swml.call"]
	before := len(h.Requests())
	code, stdout, stderr := runCmd(t, env, "", "replay", jsonID(x.ID), "--json")
	if code != 0 {
		t.Fatalf("replay: exit %d %s %s", code, stdout, stderr)
	}
	reqs := h.Requests()
	if len(reqs) != before+1 {
		t.Fatalf("handler got %d new requests", len(reqs)-before)
	}
	got, orig := reqs[before], reqs[indexOfURI(reqs, "/hook/swml.call")]
	if string(got.Body) != string(orig.Body) || !got.Valid || got.URI != orig.URI ||
		got.Header.Get("X-Signalwire-Signature") != orig.Header.Get("X-Signalwire-Signature") {
		t.Errorf("replay differs from the original forward:\n%+v\n%+v", got, orig)
	}
	if strings.Contains(stdout+stderr, testKey) {
		t.Fatal("the key was printed")
	}
}

func jsonID(id int64) string {
	b, _ := json.Marshal(id)
	return string(b)
}

func indexOfURI(rs []signaturetest.Received, uri string) int {
	for i, r := range rs {
		if r.URI == uri {
			return i
		}
	}
	return 0
}
