package cmd

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
)

// `show --curl` resends exactly what came in (issue 11.9): a webhook sent
// through listen to a real handler, then its show --curl command run by sh
// and curl through the same listen, reaches the handler with the same
// headers and body as the first time — no Content-Type the original lacked,
// no User-Agent or Accept of curl's, the empty header kept.
func TestShowCurlResendsExactlyWhatCameIn(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed")
	}
	type got struct {
		header http.Header
		body   []byte
	}
	var mu sync.Mutex
	var seen []got
	target := handlerURL(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		seen = append(seen, got{r.Header.Clone(), b})
		mu.Unlock()
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, "<Response/>")
	}))
	storePath := filepath.Join(t.TempDir(), "s.db")
	p := startListen(t, storePath, "--forward", target)

	body := []byte("CallSid=CA1&From=%2B15551230000")
	req, _ := http.NewRequest("POST", p.local+"/voice?x=1", bytes.NewReader(body))
	req.Header["X-Empty"] = []string{""}
	req.Header.Set("X-Signalwire-Signature", "c2lnbmF0dXJl")
	req.Header["User-Agent"] = []string{""} // Go's client then sends none
	resp, err := e2eClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	waitForRows(t, storePath, 1)

	show := exec.Command(swhookBinary(t), "show", "1", "--curl", "--store", storePath)
	show.Env = os.Environ()
	cmdline, err := show.Output()
	if err != nil {
		t.Fatalf("show --curl: %v", err)
	}
	if out, err := exec.Command("sh", "-c", string(bytes.TrimSpace(cmdline))+" -sS -o /dev/null").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s\n%s", err, out, cmdline)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 2 {
		t.Fatalf("the handler saw %d requests, want 2", len(seen))
	}
	first, again := seen[0], seen[1]
	if !bytes.Equal(first.body, again.body) {
		t.Errorf("body %q, first time %q", again.body, first.body)
	}
	if _, ok := first.header["Content-Type"]; ok {
		t.Fatalf("the first request carried a Content-Type: %v", first.header)
	}
	// X-Forwarded-For names the client's port, which differs.
	first.header.Del("X-Forwarded-For")
	again.header.Del("X-Forwarded-For")
	if !reflect.DeepEqual(first.header, again.header) {
		t.Errorf("resent headers differ:\n first %v\n again %v\ncommand:\n%s", first.header, again.header, cmdline)
	}
}
