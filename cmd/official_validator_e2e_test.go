package cmd

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/signature/signaturetest"
	"github.com/swhook/swhook/inspect/syncbuf"
)

// EnvNodeModules names a node_modules directory holding the packages
// testdata/officialvalidator/package-lock.json pins (.ci/run installs them
// there); without it the test looks in testdata/officialvalidator itself.
const EnvNodeModules = "SWHOOK_NODE_MODULES"

// officialHandler is testdata/officialvalidator/handler.js running: a
// developer's webhook handler that checks every request with SignalWire's
// own validators and puts its verdict in the X-Official-Verdict header.
type officialHandler struct {
	url string // http://127.0.0.1:PORT
}

// seenRequest is one request that reached the handler.
type seenRequest struct {
	Method string `json:"method"`
	URL    string `json:"url"`
	Valid  bool   `json:"valid"`
}

// startOfficialHandler starts the Node handler, or skips the test when
// node or the pinned packages are not installed (an install that failed
// must not fail the suite: the test then has nothing to compare with).
func startOfficialHandler(t *testing.T) *officialHandler {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the official validators are Node packages")
	}
	modules := os.Getenv(EnvNodeModules)
	if modules == "" {
		modules, _ = filepath.Abs(filepath.Join("testdata", "officialvalidator", "node_modules"))
	}
	check := exec.Command(node, "-e", "require.resolve('@signalwire/compatibility-api'); require.resolve('@signalwire/web-api')")
	check.Env = append(os.Environ(), "NODE_PATH="+modules)
	if out, err := check.CombinedOutput(); err != nil {
		t.Skipf("the official validators are not installed in %s (set $%s; .ci/run installs them with npm ci from testdata/officialvalidator): %v\n%s", modules, EnvNodeModules, err, firstLine(string(out)))
	}
	script, err := filepath.Abs(filepath.Join("testdata", "officialvalidator", "handler.js"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, script)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules, "SW_SIGNING_KEY="+testKey)
	stderr := &syncbuf.Buffer{}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	ready := make(chan string, 1)
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			ready <- sc.Text()
		}
		io.Copy(io.Discard, stdout)
		cmd.Wait()
	}()
	var r struct {
		Port     int               `json:"port"`
		Versions map[string]string `json:"versions"`
	}
	select {
	case line := <-ready:
		if err := json.Unmarshal([]byte(line), &r); err != nil || r.Port == 0 {
			t.Fatalf("the handler's ready line %q: %v; stderr: %s", line, err, stderr.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("the Node handler did not start; stderr: %s", stderr.String())
	}
	t.Logf("official validators: @signalwire/compatibility-api %s, @signalwire/web-api %s", r.Versions["compatibility-api"], r.Versions["web-api"])
	return &officialHandler{url: fmt.Sprintf("http://127.0.0.1:%d", r.Port)}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// seen is every request that has reached the handler, asked of it
// directly rather than through swhook.
func (h *officialHandler) seen(t *testing.T) []seenRequest {
	t.Helper()
	resp, err := http.Get(h.url + "/__seen")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s []seenRequest
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// hostRewritingProxy is a tunnel that rewrites Host, as `ngrok http
// --host-header=rewrite` or a corporate proxy does: requests reach
// listener with Host set to the listener's address and the public URL in
// X-Forwarded-Host/-Proto.
func hostRewritingProxy(t *testing.T, listener, publicHost string) string {
	t.Helper()
	target, err := url.Parse(listener)
	if err != nil {
		t.Fatal(err)
	}
	p := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.Out.Header.Set("X-Forwarded-Host", publicHost)
		r.Out.Header.Set("X-Forwarded-Proto", "https")
	}}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return srv.URL
}

// webhook is one request of the run, and what the official validator must
// say of it.
type officialCase struct {
	name     string // also its ?case= marker, so its row can be found
	method   string
	path     string // without the marker
	ctype    string
	body     string
	public   string                     // the URL the handler rebuilds, scheme://host[:port]
	signFor  func(public string) string // the URL the signature was made for (from public + path + marker)
	sign     func(u, body string) (header, value string)
	official bool // what the official validator must say
}

func (w officialCase) target() string {
	if strings.Contains(w.path, "?") {
		return w.path + "&case=" + w.name
	}
	return w.path + "?case=" + w.name
}

func formSig(u, body string) (string, string) {
	form, _ := url.ParseQuery(body)
	return "X-SignalWire-Signature", signaturetest.SignForm(testKey, u, form)
}

func jsonSig(u, body string) (string, string) {
	return "X-SignalWire-Signature", signaturetest.SignJSON(testKey, u, []byte(body))
}

// jsonFormSig signs a JSON body the way @signalwire/web-api's fallback
// checks it: the form scheme over the top-level keys, a string value as
// itself and an object as JavaScript's "[object Object]" (the only kinds
// the test bodies hold).
func jsonFormSig(u, body string) (string, string) {
	var top map[string]any
	if err := json.Unmarshal([]byte(body), &top); err != nil {
		panic(err)
	}
	form := url.Values{}
	for k, v := range top {
		if s, ok := v.(string); ok {
			form.Set(k, s)
		} else {
			form.Set(k, "[object Object]")
		}
	}
	return "X-SignalWire-Signature", signaturetest.SignForm(testKey, u, form)
}

// urlOnlySig is a signature over the URL alone, as made for a GET or an
// empty POST: captured and sent with any body, it must sign none.
func urlOnlySig(u, _ string) (string, string) {
	return "X-SignalWire-Signature", signaturetest.SignForm(testKey, u, nil)
}

// urlOnlyHexSig is the JSON scheme's signature over the URL and no body.
func urlOnlyHexSig(u, _ string) (string, string) {
	return "X-SignalWire-Signature", signaturetest.SignJSON(testKey, u, nil)
}

// upperHexSig is the JSON signature in uppercase hex: the same digest, but
// not the text SignalWire sends or web-api compares with.
func upperHexSig(u, body string) (string, string) {
	h, v := jsonSig(u, body)
	return h, strings.ToUpper(v)
}

func unsigned(string, string) (string, string) { return "", "" }

func same(u string) string { return u }

// withoutPort is u with its port removed.
func withoutPort(u string) string {
	p, _ := url.Parse(u)
	p.Host = p.Hostname()
	return p.String()
}

// withPort is u with its host's port set to port.
func withPort(port string) func(string) string {
	return func(u string) string {
		p, _ := url.Parse(u)
		p.Host = p.Hostname() + ":" + port
		return p.String()
	}
}

// asHTTP is u signed as http:// although the public URL is https://.
func asHTTP(u string) string { return "http://" + strings.TrimPrefix(u, "https://") }

const (
	formType = "application/x-www-form-urlencoded"
	jsonType = "application/json"
)

// send sends w to base (listen, or a proxy in front of it) and returns
// listen's answer status.
func (w officialCase) send(t *testing.T, base string) int {
	t.Helper()
	var body io.Reader
	if w.body != "" {
		body = strings.NewReader(w.body)
	}
	req, err := http.NewRequest(w.method, base+w.target(), body)
	if err != nil {
		t.Fatal(err)
	}
	if w.ctype != "" {
		req.Header.Set("Content-Type", w.ctype)
	}
	signFor := w.signFor
	if signFor == nil {
		signFor = same
	}
	if h, v := w.sign(signFor(w.public+w.target()), w.body); h != "" {
		req.Header.Set(h, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", w.name, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// The run issue 11 asks for, end to end: a handler that checks every
// request with SignalWire's official Node validators, behind swhook listen
// (directly, and behind a Host-rewriting proxy), sent genuine, forged and
// port-shifted webhooks, swhook's own trigger, replay --resign and call
// through the running listen; every row's badge must say what the
// handler's own check said, and an enforcing listener must keep every
// forged request from the handler (issue 10 point 1).
func TestBadgesAgreeWithOfficialValidators(t *testing.T) {
	h := startOfficialHandler(t)
	storePath := filepath.Join(t.TempDir(), "swhook.db")
	a := startListen(t, storePath, "--forward", h.url)
	enf := startListen(t, storePath, "--forward", h.url, "--enforce-signature")
	const publicHost = "hooks.example.com"
	proxy := hostRewritingProxy(t, a.local, publicHost)
	proxyPort := hostRewritingProxy(t, a.local, publicHost+":8443")
	public := "https://" + publicHost

	const form = "AccountSid=AC1&CallSid=CA1&CallStatus=ringing&From=%2B15550001111&To=%2B15550002222&Digits=1%2B2"
	const js = `{"call":{"call_id":"c1","call_state":"created","from":"+15550001111"},"vars":{}}`
	// Repeated names (in submission order), + and %20 for spaces, an
	// empty value and a name with no =, UTF-8, and names differing only in case.
	const repeated = "MediaUrl=b&MediaUrl=a&Body=hi+there%20you&Empty=&Flag&Name=J%C3%BCrgen&name=lower&A%26B=c%3Dd"
	sum := sha256.Sum256([]byte(js))
	bodySHA := "/hook?bodySHA256=" + hex.EncodeToString(sum[:]) + "&x=1"

	direct := []officialCase{
		{name: "form", method: "POST", path: "/voice", ctype: formType, body: form, sign: formSig, official: true},
		{name: "json", method: "POST", path: "/swml", ctype: jsonType, body: js, sign: jsonSig, official: true},
		{name: "get", method: "GET", path: "/status", sign: urlOnlySig, official: true},
		{name: "json-signed-as-form", method: "POST", path: "/swml", ctype: jsonType, body: js, sign: jsonFormSig, official: true},
		{name: "json-signed-as-form-port-removed", method: "POST", path: "/swml", ctype: jsonType, body: js, signFor: withoutPort, sign: jsonFormSig, official: true},
		{name: "form-repeated-and-odd", method: "POST", path: "/voice", ctype: formType, body: repeated, sign: formSig, official: true},
		{name: "form-port-removed", method: "POST", path: "/voice", ctype: formType, body: form, signFor: withoutPort, sign: formSig, official: true},
		{name: "json-port-removed", method: "POST", path: "/swml", ctype: jsonType, body: js, signFor: withoutPort, sign: jsonSig, official: false},
		{name: "get-json-scheme", method: "GET", path: "/status", sign: urlOnlyHexSig, official: false},
		{name: "get-port-removed", method: "GET", path: "/status", signFor: withoutPort, sign: urlOnlySig, official: true},
		{name: "form-other-port", method: "POST", path: "/voice", ctype: formType, body: form, signFor: withPort("80"), sign: formSig, official: false},
		{name: "forged-form-url-only", method: "POST", path: "/voice", ctype: formType, body: form, sign: urlOnlySig, official: false},
		{name: "forged-json-url-only", method: "POST", path: "/swml", ctype: jsonType, body: js, sign: urlOnlySig, official: false},
		{name: "forged-json-url-only-hex", method: "POST", path: "/swml", ctype: jsonType, body: js, sign: urlOnlyHexSig, official: false},
		{name: "json-uppercase-hex", method: "POST", path: "/swml", ctype: jsonType, body: js, sign: upperHexSig, official: false},
		{name: "forged-form-as-json", method: "POST", path: "/voice", ctype: formType, body: form, sign: jsonSig, official: false},
		{name: "unsigned", method: "POST", path: "/voice", ctype: formType, body: form, sign: unsigned, official: false},
	}
	direct = append(direct,
		officialCase{name: "bodysha256", method: "POST", path: bodySHA, ctype: jsonType, body: js, sign: urlOnlySig, official: true},
		officialCase{name: "forged-bodysha256", method: "POST", path: bodySHA, ctype: jsonType, body: js + " ", sign: urlOnlySig, official: false},
	)

	viaProxy := []officialCase{
		{name: "proxy-form", method: "POST", path: "/voice", ctype: formType, body: form, sign: formSig, official: true},
		{name: "proxy-json", method: "POST", path: "/swml", ctype: jsonType, body: js, sign: jsonSig, official: true},
		{name: "proxy-json-signed-as-form", method: "POST", path: "/swml", ctype: jsonType, body: js, sign: jsonFormSig, official: true},
		{name: "proxy-get", method: "GET", path: "/status", sign: urlOnlySig, official: true},
		{name: "proxy-form-default-port", method: "POST", path: "/voice", ctype: formType, body: form, signFor: withPort("443"), sign: formSig, official: true},
		{name: "proxy-json-default-port", method: "POST", path: "/swml", ctype: jsonType, body: js, signFor: withPort("443"), sign: jsonSig, official: false},
		{name: "proxy-form-as-http", method: "POST", path: "/voice", ctype: formType, body: form, signFor: asHTTP, sign: formSig, official: false},
		{name: "proxy-forged-form-url-only", method: "POST", path: "/voice", ctype: formType, body: form, sign: urlOnlySig, official: false},
		{name: "proxy-forged-json-url-only-hex", method: "POST", path: "/swml", ctype: jsonType, body: js, sign: urlOnlyHexSig, official: false},
	}
	viaPortProxy := []officialCase{
		{name: "proxy8443-form-port-removed", method: "POST", path: "/voice", ctype: formType, body: form, signFor: withoutPort, sign: formSig, official: true},
		{name: "proxy8443-json-port-removed", method: "POST", path: "/swml", ctype: jsonType, body: js, signFor: withoutPort, sign: jsonSig, official: false},
		{name: "proxy8443-form", method: "POST", path: "/voice", ctype: formType, body: form, sign: formSig, official: true},
	}

	want := map[string]bool{} // case marker -> the official verdict
	for _, w := range direct {
		w.public = a.local
		want[w.name] = w.official
		if code := w.send(t, a.local); code != http.StatusOK {
			t.Errorf("%s: listen answered %d, want the handler's 200", w.name, code)
		}
	}
	for _, w := range viaProxy {
		w.public = public
		want[w.name] = w.official
		w.send(t, proxy)
	}
	for _, w := range viaPortProxy {
		w.public = public + ":8443"
		want[w.name] = w.official
		w.send(t, proxyPort)
	}

	// swhook's own senders, through the running listen.
	env := []string{"SIGNALWIRE_SIGNING_KEY=" + testKey, "SWHOOK_STORE=" + storePath}
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(swhookBinary(t), args...)
		cmd.Env = append(os.Environ(), env...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("swhook %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
		}
		return stdout.String()
	}
	run("trigger", "call.inbound", "--to", a.local+"/voice")
	run("trigger", "swml.call", "--to", a.local+"/swml")
	run("trigger", "call.status", "--to", a.local+"/status")
	rows := listAll(t, storePath)
	byCase := map[string]exchange.Exchange{}
	for _, x := range rows {
		if c := caseOf(x); c != "" {
			byCase[c] = x
		}
	}
	// Re-signed replays of forged rows verify; a replay as captured of a
	// row that came through the proxy still carries its public URL.
	for _, c := range []string{"forged-form-url-only", "forged-json-url-only-hex", "proxy-forged-form-url-only"} {
		run("replay", fmt.Sprint(byCase[c].ID), "--resign", "--to", a.local)
	}
	run("replay", fmt.Sprint(byCase["proxy-form"].ID), "--to", a.local)
	run("replay", fmt.Sprint(byCase["proxy-json"].ID), "--to", a.local)
	run("call", "--to", a.local+"/voice", "--status-callback", a.local+"/status", "--status-events", "initiated ringing answered completed")
	run("call", "--swml", "--to", a.local+"/swml")

	// An enforcing listener: every forged request is answered 403 by
	// swhook and never reaches the handler; genuine ones do.
	before := len(h.seen(t))
	for _, w := range direct {
		w.public = enf.local
		w.name = "enforce-" + w.name
		code := w.send(t, enf.local)
		if w.official && code != http.StatusOK {
			t.Errorf("%s: the enforcing listener answered %d to a request the official validator accepts", w.name, code)
		}
		if !w.official && code != http.StatusForbidden {
			t.Errorf("%s: the enforcing listener answered %d to a request the official validator rejects, want 403", w.name, code)
		}
		if w.official {
			want[w.name] = true
		}
	}
	for _, s := range h.seen(t)[before:] {
		if !s.Valid {
			t.Errorf("an enforcing listener let through %s %s, which the official validator rejects", s.Method, s.URL)
		}
	}

	// Every row's badge says what the handler's own check said.
	rows = listAll(t, storePath)
	sources := map[exchange.Source]int{}
	for _, x := range rows {
		sources[x.Source]++
		official := x.Response.Headers.Get("X-Official-Verdict")
		c := caseOf(x)
		if e := x.Response.Headers.Get("X-Official-Error"); e != "" {
			t.Errorf("#%d (case %q): the handler's check failed: %s", x.ID, c, e)
		}
		if official == "" {
			// Only an enforcing listener answers without the handler.
			if x.Response.Status != http.StatusForbidden || x.Listener != enf.local {
				t.Errorf("#%d %s %s (case %q): no verdict from the handler; answer %d from %s", x.ID, x.Request.Method, x.Request.URL, c, x.Response.Status, x.Listener)
			}
			if x.Signature.Status == exchange.SigValid {
				t.Errorf("#%d (case %q): refused with 403 although its badge is valid", x.ID, c)
			}
			continue
		}
		badge := x.Signature.Status == exchange.SigValid
		if badge != (official == "valid") {
			t.Errorf("#%d %s %s (case %q, %s): swhook says %s (%s), the official validator says %s at %s",
				x.ID, x.Request.Method, x.Request.URL, c, x.Source, x.Signature.Status, x.Signature.Hint, official, x.Response.Headers.Get("X-Official-Url"))
		}
		if w, ok := want[c]; ok && x.Source != exchange.SourceReplay && (official == "valid") != w {
			t.Errorf("case %q: the official validator says %s, the test expected valid=%v (at %s)", c, official, w, x.Response.Headers.Get("X-Official-Url"))
		}
		if x.Source == exchange.SourceReplay && official != "valid" {
			t.Errorf("#%d, a replay of #%d: the official validator says %s at %s", x.ID, x.ReplayOf, official, x.Response.Headers.Get("X-Official-Url"))
		}
	}
	// One row per webhook: the senders stored no copies of their own.
	if sources[exchange.SourceTrigger] != 3 || sources[exchange.SourceReplay] != 5 || sources[exchange.SourceCall] < 6 {
		t.Errorf("rows by source %v, want 3 triggers, 5 replays and at least 6 from the calls", sources)
	}
	for _, x := range rows {
		if x.Listener != a.local && x.Listener != enf.local {
			t.Errorf("#%d (%s) was stored by no listener (%q): a sender kept its own copy", x.ID, x.Source, x.Listener)
		}
	}
}

// caseOf is the ?case= marker in the row's query ("" for swhook's own).
func caseOf(x exchange.Exchange) string {
	q, _ := url.ParseQuery(x.Request.Query)
	return q.Get("case")
}
