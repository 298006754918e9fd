package cmd

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/swhook/swhook/inspect/signature/signaturetest"
	"github.com/swhook/swhook/inspect/syncbuf"
)

// The commands the listen stories in testdata/script need beyond
// testscript's own: a developer's handler on loopback, a running `swhook
// listen` whose port the script learns, SignalWire sending a signed
// webhook, and a wait for the row to reach the store. Everything else a
// story says with `exec swhook ...`, `cmp` and `stdout`.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"handler":      cmdHandler,
	"listen-start": cmdListenStart,
	"listen-stop":  cmdListenStop,
	"listen-wait":  cmdListenWait,
	"webhook":      cmdWebhook,
	"waitrows":     cmdWaitRows,
}

// scriptEnvNames are the variables a process started by these commands
// takes from the script's environment (testscript's own exec passes the
// script's whole environment; these commands cannot read it whole).
var scriptEnvNames = []string{
	"WORK", "PATH", "HOME", "TMPDIR", "XDG_STATE_HOME", "GOCOVERDIR", "GORACE",
	"SWHOOK_STORE", "SIGNALWIRE_SIGNING_KEY", "NGROK_AUTHTOKEN", "NO_COLOR", "TERM", "COLUMNS",
}

func scriptEnv(ts *testscript.TestScript) []string {
	var env []string
	for _, k := range scriptEnvNames {
		env = append(env, k+"="+ts.Getenv(k))
	}
	return env
}

// swhookPath is the swhook testscript put on the script's PATH (this test
// binary, run as swhook).
func swhookPath(ts *testscript.TestScript) string {
	for _, dir := range filepath.SplitList(ts.Getenv("PATH")) {
		p := filepath.Join(dir, "swhook")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	ts.Fatalf("no swhook on the script's PATH")
	return ""
}

// scriptFlags parses a command's flags, failing the script on a bad one.
func scriptFlags(ts *testscript.TestScript, name string, args []string, define func(*flag.FlagSet)) []string {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	define(fs)
	if err := fs.Parse(args); err != nil {
		ts.Fatalf("%s: %v", name, err)
	}
	return fs.Args()
}

// handler [-name NAME] [-status N] [-type CONTENT-TYPE] [-validate forwarded|direct] [ANSWER-FILE]
//
// Starts a developer's handler on a loopback port and sets $NAME (default
// HANDLER) to its base URL. It answers every request with the file's bytes
// (default: an empty cXML document). With -validate it first checks the
// signature with $SIGNALWIRE_SIGNING_KEY, as a developer's own handler does
// with SignalWire's validator (the independent signer's), against the URL
// it rebuilds — from X-Forwarded-Proto and X-Forwarded-Host (forwarded), or
// from its own address (direct: a handler that ignores them) — and answers
// 403 when it does not verify. It keeps what it received, in arrival
// order, as $WORK/<name>/N.head (request line, then each header as
// "Name: value", sorted by name) and $WORK/<name>/N.body (the body, byte for
// byte), written before it answers, so a story can cmp the body it sent
// with the body the handler got.
func cmdHandler(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! handler")
	}
	name, status, ctype, validate := "HANDLER", 200, "", ""
	args = scriptFlags(ts, "handler", args, func(fs *flag.FlagSet) {
		fs.StringVar(&name, "name", name, "environment variable for the base URL")
		fs.IntVar(&status, "status", status, "status code to answer")
		fs.StringVar(&ctype, "type", ctype, "Content-Type of the answer")
		fs.StringVar(&validate, "validate", "", "check signatures against the forwarded or the direct URL")
	})
	key := ts.Getenv("SIGNALWIRE_SIGNING_KEY")
	switch {
	case validate != "" && validate != "forwarded" && validate != "direct":
		ts.Fatalf("handler: -validate is forwarded or direct, not %q", validate)
	case validate != "" && key == "":
		ts.Fatalf("handler: -validate needs $SIGNALWIRE_SIGNING_KEY")
	}
	answer := []byte(`<?xml version="1.0" encoding="UTF-8"?><Response></Response>`)
	switch len(args) {
	case 0:
		if ctype == "" {
			ctype = "text/xml"
		}
	case 1:
		answer = []byte(ts.ReadFile(args[0]))
		if ctype == "" {
			ctype = map[string]string{".xml": "text/xml", ".json": "application/json", ".yaml": "application/yaml"}[filepath.Ext(args[0])]
		}
	default:
		ts.Fatalf("usage: handler [-name NAME] [-status N] [-type CONTENT-TYPE] [ANSWER-FILE]")
	}
	dir := ts.MkAbs(strings.ToLower(name))
	ts.Check(os.MkdirAll(dir, 0o755))
	var mu sync.Mutex
	n := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var head bytes.Buffer
		fmt.Fprintf(&head, "%s %s %s\nHost: %s\n", r.Method, r.RequestURI, r.Proto, r.Host)
		for _, k := range slices.Sorted(func(yield func(string) bool) {
			for k := range r.Header {
				if !yield(k) {
					return
				}
			}
		}) {
			for _, v := range r.Header[k] {
				fmt.Fprintf(&head, "%s: %s\n", k, v)
			}
		}
		mu.Lock()
		n++
		base := filepath.Join(dir, strconv.Itoa(n))
		mu.Unlock()
		os.WriteFile(base+".body", body, 0o644)
		os.WriteFile(base+".head", head.Bytes(), 0o644)
		if validate != "" {
			scheme, host := "http", r.Host
			if validate == "forwarded" {
				scheme = cmp.Or(r.Header.Get("X-Forwarded-Proto"), scheme)
				host = cmp.Or(r.Header.Get("X-Forwarded-Host"), host)
			}
			if !signaturetest.Valid(key, r.Method, scheme+"://"+host+r.RequestURI, r.Header, body) {
				http.Error(w, "invalid signature for "+scheme+"://"+host+r.RequestURI, http.StatusForbidden)
				return
			}
		}
		if ctype != "" {
			w.Header().Set("Content-Type", ctype)
		}
		w.WriteHeader(status)
		w.Write(answer)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	ts.Defer(func() { srv.Close() })
	ts.Setenv(name, "http://"+ln.Addr().String())
}

// scriptListen is a `swhook listen` a story started: its output is kept
// until listen-stop hands it to the script.
type scriptListen struct {
	cmd            *exec.Cmd
	stdout, stderr *syncbuf.Buffer
	done           chan error
}

// listenKey is where the running listeners are kept in ts.Value.
type listenKey struct{}

func scriptListens(ts *testscript.TestScript) map[string]*scriptListen {
	return ts.Value(listenKey{}).(map[string]*scriptListen)
}

// listen-start [-name NAME] [swhook listen flags...]
//
// Runs `swhook listen --addr 127.0.0.1:0 FLAGS...` in the background, waits
// for the line that says where to send webhooks (the ready line with
// --json, "Send webhooks to" otherwise) and sets $NAME (default LISTEN) to
// that URL. Its stdout and stderr are the script's after listen-stop.
func cmdListenStart(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! listen-start")
	}
	name := "LISTEN"
	if len(args) >= 2 && args[0] == "-name" {
		name, args = args[1], args[2:]
	}
	ls := scriptListens(ts)
	if _, ok := ls[name]; ok {
		ts.Fatalf("listen-start: %s is already running", name)
	}
	cmd := exec.Command(swhookPath(ts), append([]string{"listen", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = scriptEnv(ts)
	cmd.Dir = ts.MkAbs(".")
	pr, pw := io.Pipe()
	p := &scriptListen{cmd: cmd, stdout: &syncbuf.Buffer{}, stderr: &syncbuf.Buffer{}, done: make(chan error, 1)}
	cmd.Stdout = io.MultiWriter(p.stdout, pw)
	cmd.Stderr = p.stderr
	ts.Check(cmd.Start())
	go func() {
		err := cmd.Wait()
		pw.Close()
		p.done <- err
	}()
	ts.Defer(func() {
		cmd.Process.Kill()
		<-p.done
	})
	ls[name] = p

	url := make(chan string, 1)
	go func() {
		defer io.Copy(io.Discard, pr) // keep listen's stdout flowing
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 64<<20)
		for sc.Scan() {
			if u := readyURL(sc.Text()); u != "" {
				url <- u
				return
			}
		}
		close(url)
	}()
	select {
	case u, ok := <-url:
		if !ok {
			ts.Fatalf("swhook listen ended without saying where to send webhooks\nstdout:\n%s\nstderr:\n%s", p.stdout, p.stderr)
		}
		ts.Setenv(name, u)
	case <-time.After(60 * time.Second):
		ts.Fatalf("swhook listen said nothing about where to send webhooks in 60s\nstdout:\n%s\nstderr:\n%s", p.stdout, p.stderr)
	}
}

// readyURL is the local URL from listen's ready line (NDJSON) or its
// "Send webhooks to  URL" line (plain), else "".
func readyURL(line string) string {
	var r struct {
		Type     string `json:"type"`
		LocalURL string `json:"local_url"`
	}
	if json.Unmarshal([]byte(line), &r) == nil && r.Type == "ready" {
		return r.LocalURL
	}
	if rest, ok := strings.CutPrefix(line, "Send webhooks to"); ok {
		return strings.TrimSpace(rest)
	}
	return ""
}

// listen-wait [-name NAME] PATTERN
//
// Waits (up to 60s) until what the listener has written to stdout so far
// matches the regular expression PATTERN (multi-line: ^ and $ match at
// line ends), for what listen says in its own time, such as the tunnel's
// state.
func cmdListenWait(ts *testscript.TestScript, neg bool, args []string) {
	name := "LISTEN"
	if len(args) >= 2 && args[0] == "-name" {
		name, args = args[1], args[2:]
	}
	if neg || len(args) != 1 {
		ts.Fatalf("usage: listen-wait [-name NAME] PATTERN")
	}
	re, err := regexp.Compile("(?m)" + args[0])
	ts.Check(err)
	p, ok := scriptListens(ts)[name]
	if !ok {
		ts.Fatalf("listen-wait: no listener %s", name)
	}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if re.MatchString(p.stdout.String()) {
			return
		}
		select {
		case err := <-p.done:
			p.done <- err
			if re.MatchString(p.stdout.String()) {
				return
			}
			ts.Fatalf("swhook listen exited (%v) without printing %q\nstdout:\n%s\nstderr:\n%s", err, args[0], p.stdout, p.stderr)
		default:
		}
	}
	ts.Fatalf("swhook listen did not print %q in 60s\nstdout:\n%s\nstderr:\n%s", args[0], p.stdout, p.stderr)
}

// listen-stop [-INT|-TERM|-KILL] [NAME]
//
// Signals the listener (default SIGINT, as Ctrl-C does), waits for it to
// exit, and makes its whole stdout and stderr the script's, for stdout and
// stderr to check. It fails when listen exits non-zero, and with ! when it
// exits zero.
func cmdListenStop(ts *testscript.TestScript, neg bool, args []string) {
	sig := os.Signal(os.Interrupt)
	if len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-INT":
		case "-TERM":
			sig = syscall.SIGTERM
		case "-KILL":
			sig = os.Kill
		default:
			ts.Fatalf("listen-stop: unknown signal %s", args[0])
		}
		args = args[1:]
	}
	name := "LISTEN"
	if len(args) == 1 {
		name = args[0]
	} else if len(args) > 1 {
		ts.Fatalf("usage: listen-stop [-INT|-TERM|-KILL] [NAME]")
	}
	ls := scriptListens(ts)
	p, ok := ls[name]
	if !ok {
		ts.Fatalf("listen-stop: no listener %s", name)
	}
	delete(ls, name)
	ts.Check(p.cmd.Process.Signal(sig))
	var err error
	select {
	case err = <-p.done:
		p.done <- err // for the script's end
	case <-time.After(60 * time.Second):
		ts.Fatalf("swhook listen did not exit within 60s of %v\nstderr:\n%s", sig, p.stderr)
	}
	fmt.Fprint(ts.Stdout(), p.stdout.String())
	fmt.Fprint(ts.Stderr(), p.stderr.String())
	switch {
	case err != nil && !neg:
		ts.Fatalf("swhook listen: %v", err)
	case err == nil && neg:
		ts.Fatalf("swhook listen exited 0")
	}
}

// webhook [-json] [-get] [-unsigned] [-sign-url URL] [-H 'Name: value']... URL FILE
//
// Sends FILE's bytes to URL as SignalWire does: a POST, form-encoded (or
// JSON with -json; or a GET with the parameters in URL's query and - for
// FILE), signed with $SIGNALWIRE_SIGNING_KEY for URL (or for
// -sign-url, the mistake of a URL that is not the one checked) by the
// independent signer in inspect/signature/signaturetest. FILE is sent without its final
// newline (txtar ends every file with one), and the bytes sent are kept as
// $WORK/sent/N.body, N counting from 1, for cmp against what the handler
// got. Prints the answer's status code on the first line, then its body.
// Fails when nothing answers (! webhook: when something does).
func cmdWebhook(ts *testscript.TestScript, neg bool, args []string) {
	var isJSON, unsigned, get bool
	var signURL string
	var headers []string
	args = scriptFlags(ts, "webhook", args, func(fs *flag.FlagSet) {
		fs.BoolVar(&isJSON, "json", false, "send JSON")
		fs.BoolVar(&unsigned, "unsigned", false, "send no signature")
		fs.BoolVar(&get, "get", false, "send a GET: the parameters are in URL's query, FILE is -")
		fs.StringVar(&signURL, "sign-url", "", "sign for this URL instead")
		fs.Func("H", "add a header", func(s string) error { headers = append(headers, s); return nil })
	})
	if len(args) != 2 {
		ts.Fatalf("usage: webhook [-json] [-get] [-unsigned] [-sign-url URL] [-H 'Name: value']... URL FILE")
	}
	// Without the newline txtar ends every file with: SignalWire's bodies
	// have none.
	target, method, body := args[0], http.MethodPost, []byte(nil)
	if get {
		if args[1] != "-" {
			ts.Fatalf("webhook -get sends no body: give - for FILE")
		}
		method = http.MethodGet
	} else {
		body = []byte(strings.TrimSuffix(ts.ReadFile(args[1]), "\n"))
	}
	sent := ts.MkAbs("sent")
	ts.Check(os.MkdirAll(sent, 0o755))
	entries, err := os.ReadDir(sent)
	ts.Check(err)
	ts.Check(os.WriteFile(filepath.Join(sent, strconv.Itoa(len(entries)+1)+".body"), body, 0o644))
	ctype := "application/x-www-form-urlencoded"
	if isJSON {
		ctype = "application/json"
	}
	req, err := http.NewRequest(method, target, bytes.NewReader(body))
	ts.Check(err)
	if get {
		req.Body, req.ContentLength, ctype = http.NoBody, 0, ""
	} else {
		req.Header.Set("Content-Type", ctype)
	}
	if !unsigned {
		key := ts.Getenv("SIGNALWIRE_SIGNING_KEY")
		if key == "" {
			ts.Fatalf("webhook: no $SIGNALWIRE_SIGNING_KEY to sign with (or pass -unsigned)")
		}
		if signURL == "" {
			signURL = target
		}
		req.Header.Set("X-SignalWire-Signature", signaturetest.Sign(key, method, signURL, ctype, body))
	}
	for _, h := range headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok {
			ts.Fatalf("webhook: header %q is not Name: value", h)
		}
		req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{DisableCompression: true}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		if neg {
			return
		}
		ts.Fatalf("webhook: %v", err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(resp.Body)
	ts.Check(err)
	if neg {
		ts.Fatalf("webhook: %s answered %d", target, resp.StatusCode)
	}
	fmt.Fprintf(ts.Stdout(), "%d\n%s", resp.StatusCode, answer)
}

// waitrows N
//
// Waits until `swhook list` finds at least N exchanges in the store
// ($SWHOOK_STORE), as another terminal would: listen answers once a
// webhook is durable and indexes it into the store moments later.
func cmdWaitRows(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitrows N")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("waitrows: %v", err)
	}
	var got int
	var last string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		cmd := exec.Command(swhookPath(ts), "list", "--json", "--limit", "0")
		cmd.Env = scriptEnv(ts)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			ts.Fatalf("swhook list: %v: %s", err, stderr.String())
		}
		var xs []json.RawMessage
		if err := json.Unmarshal(out, &xs); err != nil {
			ts.Fatalf("swhook list --json: %v: %.300s", err, out)
		}
		if got, last = len(xs), string(out); got >= want {
			return
		}
	}
	ts.Fatalf("the store holds %d exchanges after 30s, want %d:\n%.2000s", got, want, last)
}
