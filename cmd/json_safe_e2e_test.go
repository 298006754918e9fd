package cmd

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Everything swhook writes as JSON is terminal-safe too: a C1 or bidi
// control a sender put in a header or body is a \u escape in the NDJSON
// log, list --json, show --json, replay --json and the HAR — still the same
// value once decoded.
func TestJSONOutputsEscapeC1AndBidi(t *testing.T) {
	target := handlerURL(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("X-Answer", "ok\u009b2J\u202e")
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, "<Response><Say>\u0085\u2066hi\u2069</Say></Response>")
	}))
	dir := t.TempDir()
	storePath := filepath.Join(dir, "s.db")
	p := startListen(t, storePath, "--forward", target)
	body := "CallSid=CA1&Note=\u009b31m\u202egnp.exe\u2067&Digits=\u0080"
	req, _ := http.NewRequest("POST", p.local+"/voice", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Trick", "a\u0085b\u202dc\u2068")
	resp, err := e2eClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	raw := []string{"\u0080", "\u0085", "\u009b", "\u202d", "\u202e", "\u2067", "\u2068", "\u2066", "\u2069"}
	check := func(name string, out []byte) {
		t.Helper()
		for _, r := range raw {
			if bytes.Contains(out, []byte(r)) {
				t.Errorf("%s writes %+q raw", name, r)
			}
		}
		for _, esc := range []string{`\u009b31m\u202egnp.exe\u2067`, `a\u0085b\u202dc\u2068`} {
			if !bytes.Contains(out, []byte(esc)) {
				t.Errorf("%s lacks %s", name, esc)
			}
		}
	}
	var line string
	deadline := time.After(30 * time.Second)
	for !strings.Contains(line, `"type":"exchange"`) {
		select {
		case line = <-p.lines:
		case <-deadline:
			t.Fatal("no exchange line")
		}
	}
	check("listen --json", []byte(line))

	run := func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command(swhookBinary(t), append(args, "--store", storePath)...)
		cmd.Env = append(os.Environ(), "SIGNALWIRE_SIGNING_KEY="+testKey)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("swhook %s: %v: %s", strings.Join(args, " "), err, stderr.String())
		}
		return out
	}
	waitForRows(t, storePath, 1)
	check("list --json", run("list", "--json"))
	check("show --json", run("show", "last", "--json"))
	check("replay --json", run("replay", "last", "--json", "--to", target))
	har := filepath.Join(dir, "out.har")
	run("export", "--har", har)
	b, err := os.ReadFile(har)
	if err != nil {
		t.Fatal(err)
	}
	check("export --har", b)
}

// waitForRows waits until `swhook list` sees n exchanges in the store.
func waitForRows(t *testing.T, storePath string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(swhookList(t, storePath)) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the store never held %d exchanges", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
