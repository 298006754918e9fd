package cmd

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/signature/signaturetest"
	"github.com/swhook/swhook/inspect/syncbuf"
)

// These tests run the real binary, as a developer (or SignalWire) would
// meet it: a real handler on loopback, real webhooks over TCP, the store on
// disk, and signals.

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// swhookBinary builds swhook once per test run.
func swhookBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	binOnce.Do(func() {
		removeStaleBinaries()
		dir, err := os.MkdirTemp("", "swhook-e2e-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "swhook")
		out, err := exec.Command("go", "build", "-o", binPath, "..").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// removeStaleBinaries deletes binaries earlier runs built (there is no
// hook at the end of a package's tests to remove this run's own); an hour
// is far longer than any run that might still be using one.
func removeStaleBinaries() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "swhook-e2e-*"))
	for _, d := range dirs {
		if fi, err := os.Stat(d); err == nil && time.Since(fi.ModTime()) > time.Hour {
			os.RemoveAll(d)
		}
	}
}

// testKey is a signing key used only by these tests; it must never appear
// in anything swhook writes.
const testKey = "PSKtestkey0123456789abcdefSECRET"

// listenProc is a running `swhook listen`.
type listenProc struct {
	cmd    *exec.Cmd
	local  string // base URL from the ready line
	store  string
	stderr *syncbuf.Buffer
	lines  chan string // stdout lines after the ready line
	done   chan error
}

// startListen starts listen with --json and learns its port from the
// ready line. The stories a script can tell (plain lines, the NDJSON
// lines, one webhook listed, shown and replayed) are in
// testdata/script/listen_*.txtar; these tests keep what a script cannot
// say: concurrency, kill -9 mid-burst, hostile connections, a signal
// while a webhook is in flight.
func startListen(t *testing.T, storePath string, args ...string) *listenProc {
	t.Helper()
	return startListenMode(t, true, storePath, args...)
}

// startListenMode starts listen with --json (the ready line is parsed for
// the port) or in plain mode (the first line names the URL).
func startListenMode(t *testing.T, jsonMode bool, storePath string, args ...string) *listenProc {
	t.Helper()
	bin := swhookBinary(t)
	mode := "--json"
	if !jsonMode {
		mode = "--no-tui"
	}
	args = append([]string{"listen", "--no-tunnel", mode, "--addr", "127.0.0.1:0", "--store", storePath}, args...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "SIGNALWIRE_SIGNING_KEY="+testKey, "NGROK_AUTHTOKEN=")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &listenProc{cmd: cmd, store: storePath, stderr: &syncbuf.Buffer{}, lines: make(chan string, 10000), done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		first := true
		for sc.Scan() {
			if first {
				ready <- sc.Text()
				first = false
				continue
			}
			p.lines <- sc.Text()
		}
		close(p.lines)
		p.done <- cmd.Wait()
	}()
	select {
	case line := <-ready:
		if !jsonMode {
			u, ok := strings.CutPrefix(line, "Send webhooks to  ")
			if !ok || !strings.HasPrefix(u, "http://127.0.0.1:") {
				t.Fatalf("first line %q does not say where to send webhooks", line)
			}
			p.local = u
			break
		}
		var r struct {
			Type     string `json:"type"`
			LocalURL string `json:"local_url"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil || r.Type != "ready" || r.LocalURL == "" {
			t.Fatalf("first line %q is not the ready line (%v)", line, err)
		}
		p.local = r.LocalURL
	case <-time.After(30 * time.Second):
		t.Fatalf("no ready line; stderr: %s", p.stderr.String())
	}
	return p
}

// waitLine returns the lines read up to and including the first that
// contains want.
func waitLine(t *testing.T, lines <-chan string, stderr *syncbuf.Buffer, want string) []string {
	t.Helper()
	var seen []string
	timeout := time.After(60 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("listen ended before %q; output:\n%s\nstderr: %s", want, strings.Join(seen, "\n"), stderr.String())
			}
			seen = append(seen, l)
			if strings.Contains(l, want) {
				return seen
			}
		case <-timeout:
			t.Fatalf("no %q; output:\n%s\nstderr: %s", want, strings.Join(seen, "\n"), stderr.String())
		}
	}
}

func (p *listenProc) signal(t *testing.T, sig os.Signal) error {
	t.Helper()
	p.cmd.Process.Signal(sig)
	select {
	case err := <-p.done:
		p.done <- err // for Cleanup
		return err
	case <-time.After(60 * time.Second):
		t.Fatalf("swhook listen did not stop on %v; stderr: %s", sig, p.stderr.String())
	}
	return nil
}

// listed is the part of `swhook list --json` these tests check.
type listed struct {
	ID      int64 `json:"id"`
	Request struct {
		Method string `json:"method"`
		Path   string `json:"path"`
	} `json:"request"`
	Signature struct {
		Status string `json:"status"`
	} `json:"signature"`
	Response struct {
		Status int    `json:"status"`
		Error  string `json:"error"`
	} `json:"response"`
}

func swhookList(t *testing.T, storePath string) map[string]listed {
	t.Helper()
	cmd := exec.Command(swhookBinary(t), "list", "--json", "--limit", "0", "--store", storePath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("swhook list: %v: %s", err, stderr.String())
	}
	var xs []listed
	if err := json.Unmarshal(out, &xs); err != nil {
		t.Fatalf("swhook list --json: %v: %.300s", err, out)
	}
	byPath := map[string]listed{}
	for _, x := range xs {
		byPath[x.Request.Path] = x
	}
	return byPath
}

// e2eHandler is the developer's handler: it records every body by path and
// answers with a marker naming the path.
type e2eHandler struct {
	mu     sync.Mutex
	bodies map[string][32]byte
	delay  time.Duration
	gotOne chan struct{}
}

func newE2EHandler(t *testing.T) (*e2eHandler, string) {
	h := &e2eHandler{bodies: map[string][32]byte{}, gotOne: make(chan struct{}, 1000)}
	u := handlerURL(t, h)
	return h, u
}

func handlerURL(t *testing.T, h http.Handler) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

func (h *e2eHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.bodies[r.URL.Path] = sha256.Sum256(b)
	h.mu.Unlock()
	select {
	case h.gotOne <- struct{}{}:
	default:
	}
	if h.delay > 0 {
		time.Sleep(h.delay)
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Response><!-- %s --></Response>`, r.URL.Path)
}

func (h *e2eHandler) body(path string) ([32]byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s, ok := h.bodies[path]
	return s, ok
}

var e2eClient = &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 16}, Timeout: 60 * time.Second}

type sent struct {
	path, kind string
	body       []byte
}

// webhook builds request i: signed, tampered or unsigned, form or JSON.
func webhook(base string, i int) (*http.Request, sent) {
	kind := []string{"signed", "tampered", "unsigned"}[i%3]
	path := fmt.Sprintf("/hook/%d", i)
	var body []byte
	var ct, sig string
	if i%2 == 0 {
		form := url.Values{"CallSid": {fmt.Sprintf("CA%032d", i)}, "CallStatus": {"ringing"}, "From": {"+15551230000"},
			"To": {"+15559870000"}, "Direction": {"inbound"}, "Note": {"a&b=c ü %"}}
		body = []byte(form.Encode())
		ct = "application/x-www-form-urlencoded"
		sig = signaturetest.SignForm(testKey, base+path, form)
	} else {
		body = []byte(fmt.Sprintf(`{"call":{"call_id":"%d","call_state":"created"},"vars":{"x":"ü"}}`, i))
		ct = "application/json"
		sig = signaturetest.SignJSON(testKey, base+path, body)
	}
	if kind == "tampered" {
		if ct == "application/json" {
			body = bytes.Replace(body, []byte(`"created"`), []byte(`"ended"`), 1)
		} else {
			body = append(body, "&x=1"...)
		}
	}
	req, _ := http.NewRequest("POST", base+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	if kind != "unsigned" {
		req.Header.Set("X-SignalWire-Signature", sig)
	}
	return req, sent{path: path, kind: kind, body: body}
}

func TestListenE2EHundredWebhooks(t *testing.T) {
	h, target := newE2EHandler(t)
	storePath := filepath.Join(t.TempDir(), "swhook.db")
	p := startListen(t, storePath, "--forward", target)

	const n = 100
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	errs := make(chan error, n)
	sents := make([]sent, n)
	for i := range n {
		req, s := webhook(p.local, i)
		sents[i] = s
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			resp, err := e2eClient.Do(req)
			if err != nil {
				errs <- err
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(b), "<!-- "+s.path+" -->") {
				errs <- fmt.Errorf("%s: answer %d %q", s.path, resp.StatusCode, b)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, s := range sents {
		if sum, ok := h.body(s.path); !ok || sum != sha256.Sum256(s.body) {
			t.Errorf("%s: handler got a different body (received %v)", s.path, ok)
		}
	}

	// The NDJSON stream reports each one.
	got := map[string]bool{}
	deadline := time.After(30 * time.Second)
	for len(got) < n {
		select {
		case line := <-p.lines:
			var x struct {
				Type    string                `json:"type"`
				Request struct{ Path string } `json:"request"`
			}
			if json.Unmarshal([]byte(line), &x) == nil && x.Type == "exchange" {
				got[x.Request.Path] = true
			}
		case <-deadline:
			t.Fatalf("NDJSON reported %d of %d exchanges", len(got), n)
		}
	}

	if err := p.signal(t, syscall.SIGTERM); err != nil {
		t.Errorf("listen exited with %v after SIGTERM; stderr: %s", err, p.stderr.String())
	}
	if strings.Contains(p.stderr.String(), testKey) {
		t.Error("the signing key was written to stderr")
	}
	if b, _ := os.ReadFile(storePath); bytes.Contains(b, []byte(testKey)) {
		t.Error("the signing key was written to the store")
	}

	byPath := swhookList(t, storePath)
	want := map[string]string{"signed": "valid", "tampered": "invalid", "unsigned": "missing"}
	for _, s := range sents {
		x, ok := byPath[s.path]
		if !ok {
			t.Errorf("%s: not in swhook list", s.path)
			continue
		}
		if x.Signature.Status != want[s.kind] {
			t.Errorf("%s (%s): signature %q, want %q", s.path, s.kind, x.Signature.Status, want[s.kind])
		}
		if x.Response.Status != 200 || x.Response.Error != "" {
			t.Errorf("%s: stored response %d %q", s.path, x.Response.Status, x.Response.Error)
		}
	}
}

func TestListenE2EKill9MidBurst(t *testing.T) {
	_, target := newE2EHandler(t)
	storePath := filepath.Join(t.TempDir(), "swhook.db")
	p := startListen(t, storePath, "--forward", target)

	const n = 400
	var mu sync.Mutex
	answered := map[string]bool{}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var once sync.Once
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				select {
				case <-stop:
					return
				default:
				}
				req, s := webhook(p.local, i)
				resp, err := e2eClient.Do(req)
				if err != nil {
					continue // the process died under it: not answered
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err == nil && resp.StatusCode == 200 && strings.Contains(string(b), s.path) {
					mu.Lock()
					answered[s.path] = true
					if len(answered) == 60 {
						once.Do(func() { p.cmd.Process.Signal(syscall.SIGKILL) })
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-p.done
	p.done <- nil

	if len(answered) < 60 {
		t.Fatalf("only %d answered before the kill", len(answered))
	}
	byPath := swhookList(t, storePath) // the store opens again
	for path := range answered {
		x, ok := byPath[path]
		if !ok {
			t.Errorf("%s was answered but is not in the store", path)
			continue
		}
		if x.Response.Status != 200 {
			t.Errorf("%s: stored response %d", path, x.Response.Status)
		}
	}
	t.Logf("%d answered before SIGKILL, %d stored", len(answered), len(byPath))
}

func TestListenE2EHostileInput(t *testing.T) {
	h, target := newE2EHandler(t)
	storePath := filepath.Join(t.TempDir(), "swhook.db")
	p := startListen(t, storePath, "--forward", target)
	addr := strings.TrimPrefix(p.local, "http://")

	// Hundreds of half-open connections: a header never finished.
	var conns []net.Conn
	for range 300 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		fmt.Fprint(c, "POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n")
		conns = append(conns, c)
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()

	// Garbage on the wire.
	for _, junk := range [][]byte{[]byte("GARBAGE\r\n\r\n"), randomBytesE2E(t, 4096), []byte("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.Write(junk)
		c.(*net.TCPConn).CloseWrite() // no more is coming: answer or close now
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		b, _ := io.ReadAll(c)
		c.Close()
		if len(b) > 0 && !bytes.HasPrefix(b, []byte("HTTP/1.1 400")) {
			t.Errorf("garbage %.20q answered %.60q, want 400 or a closed connection", junk, b)
		}
	}

	big := randomBytesE2E(t, 20<<20)
	cases := []struct {
		path, ct string
		body     []byte
	}{
		{"/big", "application/octet-stream", big},
		{"/binary", "application/octet-stream", randomBytesE2E(t, 3000)},
		{"/badform", "application/x-www-form-urlencoded", []byte("%zz&&==%&CallSid=%G1&\x00\xff")},
		{"/badjson", "application/json", []byte(`{"call": {"call_state": [}`)},
	}
	for _, c := range cases {
		req, _ := http.NewRequest("POST", p.local+c.path, bytes.NewReader(c.body))
		req.Header.Set("Content-Type", c.ct)
		resp, err := e2eClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: answer %d", c.path, resp.StatusCode)
		}
		if sum, ok := h.body(c.path); !ok || sum != sha256.Sum256(c.body) {
			t.Errorf("%s: the handler did not get the exact body", c.path)
		}
	}

	// Still up, and the slow connections did not block anything.
	req, _ := webhook(p.local, 0)
	resp, err := e2eClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("listener not answering after hostile input: %v", err)
	}
	resp.Body.Close()

	for _, c := range conns {
		c.Close()
	}
	if err := p.signal(t, syscall.SIGTERM); err != nil {
		t.Errorf("exit after SIGTERM: %v; stderr: %s", err, p.stderr.String())
	}
	byPath := swhookList(t, storePath)
	for _, c := range cases {
		if _, ok := byPath[c.path]; !ok {
			t.Errorf("%s: not recorded", c.path)
		}
	}
	if _, ok := byPath["/slow"]; ok {
		t.Error("a request whose header never finished was recorded")
	}
}

func TestListenE2EGracefulShutdown(t *testing.T) {
	h, target := newE2EHandler(t)
	h.delay = 1500 * time.Millisecond
	storePath := filepath.Join(t.TempDir(), "swhook.db")
	p := startListen(t, storePath, "--forward", target)

	type result struct {
		status int
		err    error
	}
	res := make(chan result, 1)
	go func() {
		req, _ := webhook(p.local, 2)
		resp, err := e2eClient.Do(req)
		if err != nil {
			res <- result{err: err}
			return
		}
		io.ReadAll(resp.Body)
		resp.Body.Close()
		res <- result{status: resp.StatusCode}
	}()
	select {
	case <-h.gotOne:
	case <-time.After(20 * time.Second):
		t.Fatal("the handler never got the request")
	}
	if err := p.signal(t, syscall.SIGINT); err != nil {
		t.Errorf("exit after SIGINT: %v; stderr: %s", err, p.stderr.String())
	}
	r := <-res
	if r.err != nil || r.status != 200 {
		t.Fatalf("in-flight request: %d %v", r.status, r.err)
	}
	if x, ok := swhookList(t, storePath)["/hook/2"]; !ok || x.Response.Status != 200 {
		t.Errorf("in-flight exchange not stored whole: %+v (found %v)", x, ok)
	}
	// The wait is said, so it does not look like a hang.
	if !strings.Contains(p.stderr.String(), "waiting for in-flight webhooks to finish") {
		t.Errorf("a slow shutdown said nothing; stderr: %s", p.stderr.String())
	}
}

func randomBytesE2E(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}
