package cmd

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/syncbuf"
	"github.com/swhook/swhook/tunnel/numbers/numberstest"
)

const numPubURL = "https://pub.example.test"

// numbersProc is a running `swhook listen --number` (the built binary).
type numbersProc struct {
	cmd    *exec.Cmd
	lines  chan string
	stdout *syncbuf.Buffer
	stderr *syncbuf.Buffer
	done   chan struct{}
	err    error
}

func numbersEnv(home string, fake *numberstest.Fake) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "NGROK_AUTHTOKEN", "SIGNALWIRE_SIGNING_KEY", "SWHOOK_STORE",
			"SIGNALWIRE_PROJECT_ID", "SIGNALWIRE_API_TOKEN", "SIGNALWIRE_SPACE_URL":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "HOME="+home, "SIGNALWIRE_PROJECT_ID="+swProject, "SIGNALWIRE_API_TOKEN="+swToken, "SIGNALWIRE_SPACE_URL="+fake.URL())
}

func startNumbersListen(t *testing.T, home string, fake *numberstest.Fake, args ...string) *numbersProc {
	t.Helper()
	bin := swhookBinary(t)
	args = append([]string{"listen", "--no-tui", "--no-tunnel", "--public-url", numPubURL, "--addr", "127.0.0.1:0",
		"--store", filepath.Join(home, "swhook.db")}, args...)
	p := &numbersProc{cmd: exec.Command(bin, args...), lines: make(chan string, 1000), stdout: &syncbuf.Buffer{}, stderr: &syncbuf.Buffer{}, done: make(chan struct{})}
	p.cmd.Env = numbersEnv(home, fake)
	p.cmd.Stderr = p.stderr
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.stdout.Write([]byte(sc.Text() + "\n"))
			p.lines <- sc.Text()
		}
		close(p.lines)
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

func (p *numbersProc) waitReady(t *testing.T) {
	t.Helper()
	waitLine(t, p.lines, p.stderr, "Send webhooks to")
}

func (p *numbersProc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		t.Fatalf("listen did not end; stderr:\n%s", p.stderr.String())
	}
	if p.err == nil {
		return 0
	}
	if ee, ok := p.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	t.Fatal(p.err)
	return -1
}

func runBinary(t *testing.T, home string, fake *numberstest.Fake, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(swhookBinary(t), args...)
	cmd.Env = numbersEnv(home, fake)
	var out, errOut syncbuf.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errOut.String()
}

func normalized(snapshot string) string {
	var v any
	json.Unmarshal([]byte(snapshot), &v)
	var walk func(any)
	walk = func(x any) {
		switch m := x.(type) {
		case map[string]any:
			delete(m, "updated_at")
			for _, c := range m {
				walk(c)
			}
		case []any:
			for _, c := range m {
				walk(c)
			}
		}
	}
	walk(v)
	b, _ := json.Marshal(v)
	return string(b)
}

// noToken checks the API token is in no output, record, store file or
// command line.
func noToken(t *testing.T, home string, pid int, texts ...string) {
	t.Helper()
	for i, s := range texts {
		if strings.Contains(s, swToken) {
			t.Errorf("the API token is in output %d", i)
		}
	}
	filepath.Walk(home, func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			if b, _ := os.ReadFile(path); strings.Contains(string(b), swToken) {
				t.Errorf("the API token is in %s", path)
			}
		}
		return nil
	})
	if pid > 0 {
		if cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); err == nil && strings.Contains(string(cmdline), swToken) {
			t.Error("the API token is on the command line (ps shows it)")
		}
	}
}

// SIGTERM to a real listen process puts the number back exactly; while
// it ran the number pointed at the public URL with its path and query
// kept, and a 0600 record held the old values.
func TestNumbersE2ESIGTERMRestores(t *testing.T) {
	fake := seedFake(t)
	before := normalized(fake.Snapshot())
	home := t.TempDir()
	p := startNumbersListen(t, home, fake, "--number", "+15551230001")
	p.waitReady(t)
	if got := fake.Field("+15551230001", "call_request_url"); got != numPubURL+"/voice?tenant=7" {
		t.Errorf("call_request_url = %v", got)
	}
	if got := fake.Field("+15551230001", "call_fallback_url"); got != "https://backup.example.com/fallback" {
		t.Errorf("fallback changed: %v", got)
	}
	files := recordFiles(t, home)
	if len(files) != 1 {
		t.Fatalf("records %v", files)
	}
	if fi, _ := os.Stat(files[0]); fi.Mode().Perm() != 0o600 {
		t.Errorf("record mode %v", fi.Mode())
	}
	noToken(t, home, p.cmd.Process.Pid)
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, p.stderr.String())
	}
	if after := normalized(fake.Snapshot()); after != before {
		t.Errorf("not restored exactly:\n%s\n%s", before, after)
	}
	if files := recordFiles(t, home); len(files) != 0 {
		t.Errorf("records left %v", files)
	}
	errs := p.stderr.String()
	for _, want := range []string{"swhook: pointed +15551230001: call_request_url " + numPubURL + "/voice?tenant=7", "swhook: restored +15551230001"} {
		if !strings.Contains(errs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errs)
		}
	}
	noToken(t, home, 0, p.stdout.String(), errs)
}

// kill -9 leaves the record; `swhook numbers restore` puts the number
// back, leaving alone a field changed in the dashboard meanwhile.
func TestNumbersE2EKill9ThenRestore(t *testing.T) {
	fake := seedFake(t)
	home := t.TempDir()
	p := startNumbersListen(t, home, fake, "--number", "+15551230001", "--message-path", "/sms-in")
	p.waitReady(t)
	if got := fake.Field("+15551230001", "message_request_url"); got != numPubURL+"/sms-in" {
		t.Fatalf("message_request_url = %v", got)
	}
	p.cmd.Process.Kill()
	p.wait(t)
	if len(recordFiles(t, home)) != 1 {
		t.Fatal("no record after kill -9")
	}
	fake.SetField("+15551230001", "message_request_url", "https://dashboard.example.com/sms")
	code, out, errs := runBinary(t, home, fake, "numbers", "restore")
	if code != 0 {
		t.Fatalf("restore exit %d: %s", code, errs)
	}
	if got := fake.Field("+15551230001", "call_request_url"); got != "https://prod.example.com/voice?tenant=7" {
		t.Errorf("call_request_url = %v", got)
	}
	if got := fake.Field("+15551230001", "call_status_callback_url"); got != "https://prod.example.com/status" {
		t.Errorf("call_status_callback_url = %v", got)
	}
	if got := fake.Field("+15551230001", "message_request_url"); got != "https://dashboard.example.com/sms" {
		t.Errorf("the dashboard's message_request_url was overwritten: %v", got)
	}
	if !strings.Contains(errs, "left +15551230001's message_request_url as it is") {
		t.Errorf("stderr %s", errs)
	}
	if len(recordFiles(t, home)) != 0 {
		t.Error("record kept after a successful restore")
	}
	noToken(t, home, 0, out, errs, p.stderr.String())
}

// After kill -9 the next listen restores first, then points again.
func TestNumbersE2ENextListenRestores(t *testing.T) {
	fake := seedFake(t)
	before := normalized(fake.Snapshot())
	home := t.TempDir()
	p := startNumbersListen(t, home, fake, "--number", "+15551230002")
	p.waitReady(t)
	p.cmd.Process.Kill()
	p.wait(t)
	q := startNumbersListen(t, home, fake)
	q.waitReady(t)
	if normalized(fake.Snapshot()) != before {
		t.Error("the next listen did not restore the number")
	}
	q.cmd.Process.Signal(syscall.SIGTERM)
	if code := q.wait(t); code != 0 {
		t.Errorf("exit %d", code)
	}
	if errs := q.stderr.String(); !strings.Contains(errs, "restoring what an earlier listen left pointed") || !strings.Contains(errs, "restored +15551230002") {
		t.Errorf("stderr %s", errs)
	}
}

// The record is on disk before the first write; when the API dies at that
// moment, listen ends with the record kept and says how to retry, and
// `swhook numbers restore` finishes once the API is back.
func TestNumbersE2EAPIDiesAtFirstWrite(t *testing.T) {
	fake := seedFake(t)
	before := normalized(fake.Snapshot())
	home := t.TempDir()
	var mu sync.Mutex
	var atWrite []string
	fake.Before(func(r *http.Request, body map[string]any) int {
		if r.Method != "PUT" {
			return 0
		}
		mu.Lock()
		defer mu.Unlock()
		atWrite = recordFiles(t, home)
		if len(atWrite) == 1 {
			b, _ := os.ReadFile(atWrite[0])
			if !strings.Contains(string(b), `"call_request_url": "https://prod.example.com/voice?tenant=7"`) {
				t.Errorf("the record lacks the old URL:\n%s", b)
			}
		}
		fake.Down(true)
		return numberstest.Cut
	})
	p := startNumbersListen(t, home, fake, "--number", "+15551230001")
	if code := p.wait(t); code != 1 {
		t.Fatalf("exit %d; stderr %s", code, p.stderr.String())
	}
	mu.Lock()
	if len(atWrite) != 1 {
		t.Fatalf("records at the first write: %v", atWrite)
	}
	mu.Unlock()
	errs := p.stderr.String()
	if !strings.Contains(errs, "is kept: retry with `swhook numbers restore`") || strings.Count(strings.TrimSpace(errs), "\n") > 3 {
		t.Errorf("stderr:\n%s", errs)
	}
	if len(recordFiles(t, home)) != 1 {
		t.Fatal("the record is gone")
	}
	fake.Before(nil)
	fake.Down(false)
	code, _, errs := runBinary(t, home, fake, "numbers", "restore", "+15551230001")
	if code != 0 || !strings.Contains(errs, "nothing of swhook's is left to put back") {
		t.Errorf("restore: %d %s", code, errs)
	}
	if normalized(fake.Snapshot()) != before || len(recordFiles(t, home)) != 0 {
		t.Error("not back as before")
	}
}

// With --yes a shared Fabric resource is pointed (its other numbers named)
// and restored exactly on SIGTERM.
func TestNumbersE2EFabricSharedWithYes(t *testing.T) {
	fake := seedFake(t)
	fake.AddNumber(numberstest.Number("55555555-5555-4555-8555-555555555555", "+15551230005", map[string]any{
		"call_handler": "laml_webhooks", "calling_handler_resource_id": resID, "capabilities": []any{"voice"}}))
	before := normalized(fake.Snapshot())
	home := t.TempDir()
	p := startNumbersListen(t, home, fake, "--number", "+15551230003", "--yes")
	p.waitReady(t)
	if got := fake.WebhookField(resID, "primary_request_url"); got != numPubURL+"/book" {
		t.Errorf("primary_request_url = %v", got)
	}
	// stderr is its own pipe: the line may trail stdout's ready line.
	waitFor(t, "the pointed line", func() bool {
		return strings.Contains(p.stderr.String(), `pointed cXML webhook "Booking" (Fabric resource for +15551230003; also serves +15551230005)`)
	})
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit %d: %s", code, p.stderr.String())
	}
	if normalized(fake.Snapshot()) != before {
		t.Error("not restored exactly")
	}
}
