package cmd

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/signature/signaturetest"
)

// A body over --max-body is "unchecked" in every place that shows it —
// the plain log, list and show — never "no key": the key was there
// (issue 11.3).
func TestMaxBodyReadsUncheckedEverywhere(t *testing.T) {
	target := handlerURL(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, "<Response/>")
	}))
	storePath := filepath.Join(t.TempDir(), "s.db")
	p := startListenMode(t, false, storePath, "--forward", target, "--max-body", "100")
	form := url.Values{"CallSid": {"CA1"}, "Pad": {strings.Repeat("x", 500)}}
	req, _ := http.NewRequest("POST", p.local+"/voice", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-SignalWire-Signature", signaturetest.SignForm(testKey, p.local+"/voice", form))
	resp, err := e2eClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	var line string
	deadline := time.After(30 * time.Second)
	for !strings.Contains(line, "/voice") {
		select {
		case line = <-p.lines:
		case <-deadline:
			t.Fatal("no log line for the webhook")
		}
	}
	waitForRows(t, storePath, 1)
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(swhookBinary(t), append(args, "--store", storePath)...)
		cmd.Env = append(os.Environ(), "SIGNALWIRE_SIGNING_KEY="+testKey, "NO_COLOR=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("swhook %v: %v: %s", args, err, out)
		}
		return string(out)
	}
	for name, out := range map[string]string{"plain log": line, "list": run("list"), "show": run("show", "last")} {
		if !strings.Contains(out, "? unchecked") || strings.Contains(out, "no key") {
			t.Errorf("%s does not say \"? unchecked\":\n%s", name, out)
		}
	}
}
