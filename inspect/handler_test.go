package inspect_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect"
	"github.com/swhook/swhook/inspect/classify"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/respcheck"
	"github.com/swhook/swhook/inspect/store"
	"github.com/swhook/swhook/inspect/syncbuf"
)

// seen is one request as the developer's handler received it.
type seen struct {
	Method     string
	RequestURI string
	Host       string
	Header     http.Header
	Body       []byte
	Sum        [32]byte
	Size       int64
}

// recorder is a real handler on loopback that remembers what it received.
type recorder struct {
	mu   sync.Mutex
	reqs []seen
	// answer writes the handler's response; nil answers 200 "ok".
	answer func(w http.ResponseWriter, r *http.Request)
	keep   bool // keep whole bodies (small tests)
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := sha256.New()
	var buf bytes.Buffer
	var dst io.Writer = h
	if rc.keep {
		dst = io.MultiWriter(h, &buf)
	}
	n, _ := io.Copy(dst, r.Body)
	s := seen{Method: r.Method, RequestURI: r.RequestURI, Host: r.Host, Header: r.Header.Clone(), Body: buf.Bytes(), Size: n}
	copy(s.Sum[:], h.Sum(nil))
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, s)
	rc.mu.Unlock()
	if rc.answer != nil {
		rc.answer(w, r)
		return
	}
	io.WriteString(w, "ok")
}

func (rc *recorder) last(t *testing.T) seen {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.reqs) == 0 {
		t.Fatal("the handler received nothing")
	}
	return rc.reqs[len(rc.reqs)-1]
}

func (rc *recorder) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.reqs)
}

// env is a pipeline served on loopback with a real store.
type env struct {
	url   string // base URL of the swhook listener
	store *store.Store
	feed  *inspect.Feed
	log   *syncbuf.Buffer
}

func openStore(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "swhook.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// serve starts a listener for cfg; a nil cfg.Store gets a real store.
func serve(t testing.TB, cfg inspect.Config, src exchange.Source, publicBase func() string) *env {
	t.Helper()
	e := &env{log: &syncbuf.Buffer{}}
	if cfg.Store == nil {
		e.store = openStore(t)
		cfg.Store = e.store
	}
	if cfg.Feed == nil {
		cfg.Feed = inspect.NewFeed()
	}
	e.feed = cfg.Feed
	if cfg.SaveWait == 0 {
		// Tests read the store right after the answer: the answer must wait
		// for the save however long a loaded machine takes over it (the
		// production 2 s bound is exceeded by a 20 MB body under -race on
		// two busy cores). Tests of a stuck store set their own SaveWait.
		cfg.SaveWait = 2 * time.Minute
	}
	cfg.Log = slog.New(slog.NewTextHandler(e.log, nil))
	p, err := inspect.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := inspect.NewServer(p.Handler(src, publicBase), p.Config().Timeout, p.Config().SaveWait, nil)
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	e.url = "http://" + ln.Addr().String()
	return e
}

func handlerURL(t testing.TB, h http.Handler) *url.URL {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	u, _ := url.Parse("http://" + ln.Addr().String())
	return u
}

func (e *env) lastExchange(t *testing.T) *exchange.Exchange {
	t.Helper()
	x, err := e.store.Last(context.Background())
	if err != nil {
		t.Fatalf("store.Last: %v", err)
	}
	return x
}

var client = &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 30 * time.Second}

func do(t *testing.T, method, u string, header http.Header, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body == nil {
		req.Body = http.NoBody
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestForwardIsByteIdentical(t *testing.T) {
	rec := &recorder{keep: true, answer: func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("X-Handler", "yes")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `<?xml version="1.0"?><Response><Say>hi</Say></Response>`)
	}}
	target := handlerURL(t, rec)
	e := serve(t, inspect.Config{Forward: target}, exchange.SourceLocal, nil)

	cases := []struct {
		name, method, uri, ctype string
		body                     []byte
	}{
		{"form", "POST", "/voice?x=1&y=%2F", "application/x-www-form-urlencoded", []byte("CallSid=CA1&From=%2B1555&To=%2B1666&CallStatus=ringing")},
		{"json", "POST", "/swml", "application/json", []byte(`{"call":{"call_state":"created"},"vars":{}}`)},
		{"binary", "POST", "/bin/a%2Fb", "application/octet-stream", randomBytes(t, 64<<10)},
		{"get", "GET", "/voice?CallSid=CA1&CallStatus=ringing", "", nil},
		{"empty-post", "POST", "/status", "application/x-www-form-urlencoded", []byte{}},
		{"malformed-form", "POST", "/voice", "application/x-www-form-urlencoded", []byte("%zz=%%&&=;a=b%")},
		{"broken-json", "POST", "/swml", "application/json", []byte(`{"call": {"call_state": `)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{"X-Custom": {"a", "b"}, "X-Signalwire-Signature": {"abc="}}
			if c.ctype != "" {
				h.Set("Content-Type", c.ctype)
			}
			resp, body := do(t, c.method, e.url+c.uri, h, c.body)
			got := rec.last(t)
			if got.Method != c.method || got.RequestURI != c.uri {
				t.Errorf("handler got %s %s, want %s %s", got.Method, got.RequestURI, c.method, c.uri)
			}
			if !bytes.Equal(got.Body, c.body) {
				t.Errorf("handler body differs: got %d bytes, want %d", len(got.Body), len(c.body))
			}
			if g := got.Header["X-Custom"]; len(g) != 2 || g[0] != "a" || g[1] != "b" {
				t.Errorf("X-Custom = %q", g)
			}
			if got.Header.Get("X-Signalwire-Signature") != "abc=" {
				t.Errorf("signature header not forwarded: %q", got.Header)
			}
			if ua, ok := got.Header["User-Agent"]; ok && ua[0] != "Go-http-client/1.1" {
				// our client sends Go's default; swhook must not change it
				t.Errorf("User-Agent = %q", ua)
			}
			if resp.StatusCode != http.StatusCreated || resp.Header.Get("X-Handler") != "yes" ||
				!strings.Contains(string(body), "<Say>hi</Say>") {
				t.Errorf("answer not relayed: %d %q %q", resp.StatusCode, resp.Header, body)
			}
			x := e.lastExchange(t)
			if !bytes.Equal(x.Request.Body, c.body) || x.Request.Truncated || x.Request.BodySize != int64(len(c.body)) {
				t.Errorf("stored body: %d bytes truncated=%v size=%d", len(x.Request.Body), x.Request.Truncated, x.Request.BodySize)
			}
			if x.Response.Status != http.StatusCreated || !x.Response.Forwarded || x.Response.Error != "" ||
				!strings.Contains(string(x.Response.Body), "<Say>hi</Say>") {
				t.Errorf("stored response: %+v", x.Response)
			}
			if x.Signature.Status != exchange.SigUnchecked {
				t.Errorf("signature with no key = %q, want unchecked", x.Signature.Status)
			}
			if x.Forward != target.String() {
				t.Errorf("exchange forward = %q", x.Forward)
			}
		})
	}
}

func TestLargeBodyTruncatedButForwardedWhole(t *testing.T) {
	big := randomBytes(t, 20<<20)
	want := sha256.Sum256(big)
	rec := &recorder{answer: func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(12<<20))
		w.Write(big[:12<<20]) // a large answer too
	}}
	target := handlerURL(t, rec)
	e := serve(t, inspect.Config{Forward: target, MaxBody: 10 << 20}, exchange.SourceLocal, nil)

	for _, chunked := range []bool{false, true} {
		t.Run(fmt.Sprintf("chunked=%v", chunked), func(t *testing.T) {
			req, _ := http.NewRequest("POST", e.url+"/upload", bytes.NewReader(big))
			if chunked {
				req, _ = http.NewRequest("POST", e.url+"/upload", io.MultiReader(bytes.NewReader(big)))
				req.ContentLength = -1
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !bytes.Equal(got, big[:12<<20]) {
				t.Errorf("answer: %d bytes, want %d identical", len(got), 12<<20)
			}
			s := rec.last(t)
			if s.Sum != want || s.Size != int64(len(big)) {
				t.Errorf("handler got %d bytes (sum match %v), want all %d", s.Size, s.Sum == want, len(big))
			}
			x := e.lastExchange(t)
			if !x.Request.Truncated || len(x.Request.Body) != 10<<20 || !bytes.Equal(x.Request.Body, big[:10<<20]) {
				t.Errorf("stored request: truncated=%v len=%d", x.Request.Truncated, len(x.Request.Body))
			}
			if x.Request.BodySize != int64(len(big)) {
				t.Errorf("stored body_size = %d, want %d", x.Request.BodySize, len(big))
			}
			if !x.Response.Truncated || len(x.Response.Body) != 10<<20 || x.Response.BodySize != 12<<20 {
				t.Errorf("stored response: truncated=%v len=%d size=%d", x.Response.Truncated, len(x.Response.Body), x.Response.BodySize)
			}
		})
	}
}

func TestHopByHopHeadersRemoved(t *testing.T) {
	rec := &recorder{answer: func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "X-Private")
		w.Header().Set("X-Private", "secret")
		w.Header().Set("Keep-Alive", "timeout=5")
		w.Header().Set("X-Public", "1")
		io.WriteString(w, "ok")
	}}
	e := serve(t, inspect.Config{Forward: handlerURL(t, rec)}, exchange.SourceLocal, nil)

	// A raw request: Go's client would refuse to send some of these.
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprint(conn, "POST /voice HTTP/1.1\r\nHost: example.ngrok.app\r\nConnection: keep-alive, X-Hop\r\n"+
		"X-Hop: 1\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nProxy-Authorization: Basic eA==\r\nProxy-Connection: keep-alive\r\n"+
		"Upgrade: h2c\r\nX-Stays: yes\r\nContent-Length: 3\r\n\r\nA=1")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	io.ReadAll(resp.Body)
	resp.Body.Close()

	got := rec.last(t)
	for _, h := range []string{"X-Hop", "Keep-Alive", "Te", "Proxy-Authorization", "Proxy-Connection", "Upgrade"} {
		if v, ok := got.Header[h]; ok {
			t.Errorf("hop-by-hop %s reached the handler: %q", h, v)
		}
	}
	if got.Header.Get("X-Stays") != "yes" || got.Size != 3 {
		t.Errorf("end-to-end headers lost: %q", got.Header)
	}
	if got.Host != "example.ngrok.app" {
		t.Errorf("Host = %q, want the sender's", got.Host)
	}
	for _, h := range []string{"X-Private", "Keep-Alive"} {
		if v := resp.Header.Get(h); v != "" {
			t.Errorf("hop-by-hop %s in the answer: %q", h, v)
		}
	}
	if resp.Header.Get("X-Public") != "1" {
		t.Errorf("answer header lost: %q", resp.Header)
	}
}

func TestXForwardedHeaders(t *testing.T) {
	rec := &recorder{}
	target := handlerURL(t, rec)
	t.Run("rebuilt from request", func(t *testing.T) {
		e := serve(t, inspect.Config{Forward: target}, exchange.SourceLocal, nil)
		do(t, "POST", e.url+"/voice?a=1", http.Header{"X-Forwarded-For": {"203.0.113.9"}, "X-Forwarded-Proto": {"https"}}, []byte("A=1"))
		got := rec.last(t)
		if v := got.Header.Get("X-Forwarded-For"); v != "203.0.113.9, 127.0.0.1" {
			t.Errorf("X-Forwarded-For = %q", v)
		}
		host := strings.TrimPrefix(e.url, "http://")
		if got.Header.Get("X-Forwarded-Proto") != "https" || got.Header.Get("X-Forwarded-Host") != host {
			t.Errorf("X-Forwarded-Proto/Host = %q/%q", got.Header.Get("X-Forwarded-Proto"), got.Header.Get("X-Forwarded-Host"))
		}
		if x := e.lastExchange(t); x.Request.URL != "https://"+host+"/voice?a=1" {
			t.Errorf("verification URL = %q", x.Request.URL)
		}
	})
	// Issue 11 point 1: behind a tunnel that rewrites Host (ngrok
	// --host-header=rewrite), the public host is only in X-Forwarded-Host:
	// the signature is checked against it, and the handler gets the
	// proxy's headers as it set them.
	t.Run("upstream proxy that rewrites Host", func(t *testing.T) {
		e := serve(t, inspect.Config{Forward: target}, exchange.SourceLocal, nil)
		do(t, "POST", e.url+"/voice?a=1", http.Header{"X-Forwarded-Host": {"pub.example, edge.internal"}, "X-Forwarded-Proto": {"https, http"}}, []byte("A=1"))
		got := rec.last(t)
		if got.Header.Get("X-Forwarded-Host") != "pub.example, edge.internal" || got.Header.Get("X-Forwarded-Proto") != "https, http" {
			t.Errorf("X-Forwarded-Host/Proto = %q/%q, want the proxy's own", got.Header.Get("X-Forwarded-Host"), got.Header.Get("X-Forwarded-Proto"))
		}
		if x := e.lastExchange(t); x.Request.URL != "https://pub.example/voice?a=1" {
			t.Errorf("verification URL = %q, want the public one", x.Request.URL)
		}
	})
	t.Run("public base", func(t *testing.T) {
		e := serve(t, inspect.Config{Forward: target}, exchange.SourceTunnel, func() string { return "https://abc.ngrok.app" })
		do(t, "POST", e.url+"/hooks/voice?b=2", nil, []byte("A=1"))
		got := rec.last(t)
		if got.Header.Get("X-Forwarded-Proto") != "https" || got.Header.Get("X-Forwarded-Host") != "abc.ngrok.app" {
			t.Errorf("X-Forwarded-Proto/Host = %q/%q", got.Header.Get("X-Forwarded-Proto"), got.Header.Get("X-Forwarded-Host"))
		}
		if got.Header.Get("X-Forwarded-For") != "127.0.0.1" {
			t.Errorf("X-Forwarded-For = %q", got.Header.Get("X-Forwarded-For"))
		}
		x := e.lastExchange(t)
		if x.Request.URL != "https://abc.ngrok.app/hooks/voice?b=2" || x.Source != exchange.SourceTunnel {
			t.Errorf("verification URL = %q, source %q", x.Request.URL, x.Source)
		}
	})
}

func TestVerificationURL(t *testing.T) {
	cases := []struct {
		name, base, raw, want string
	}{
		{"public base", "https://pub.example.com", "POST /voice?a=1&b=%2F HTTP/1.1\r\nHost: 127.0.0.1:4747\r\n\r\n", "https://pub.example.com/voice?a=1&b=%2F"},
		{"public base trailing slash", "https://pub.example.com/", "POST /v HTTP/1.1\r\nHost: x\r\n\r\n", "https://pub.example.com/v"},
		{"forwarded proto", "", "POST /v?q HTTP/1.1\r\nHost: h.example:8080\r\nX-Forwarded-Proto: HTTPS\r\n\r\n", "https://h.example:8080/v?q"},
		{"forwarded proto list", "", "POST /v HTTP/1.1\r\nHost: h\r\nX-Forwarded-Proto: https, http\r\n\r\n", "https://h/v"},
		{"bogus proto ignored", "", "POST /v HTTP/1.1\r\nHost: h\r\nX-Forwarded-Proto: javascript\r\n\r\n", "http://h/v"},
		{"plain", "", "GET /v?CallSid=CA1 HTTP/1.1\r\nHost: localhost:4747\r\n\r\n", "http://localhost:4747/v?CallSid=CA1"},
		{"encoded path kept", "", "GET /a%2Fb%20c HTTP/1.1\r\nHost: h\r\n\r\n", "http://h/a%2Fb%20c"},
		{"absolute form", "", "GET http://h2/v?x=1 HTTP/1.1\r\nHost: h2\r\n\r\n", "http://h2/v?x=1"},
		{"forwarded host", "", "POST /v HTTP/1.1\r\nHost: 127.0.0.1:4747\r\nX-Forwarded-Host: pub.example, proxy2\r\nX-Forwarded-Proto: https\r\n\r\n", "https://pub.example/v"},
		{"bogus forwarded host ignored", "", "POST /v HTTP/1.1\r\nHost: h\r\nX-Forwarded-Host: evil/x\r\n\r\n", "http://h/v"},
		{"public base wins over forwarded host", "https://pub.example.com", "POST /v HTTP/1.1\r\nHost: h\r\nX-Forwarded-Host: other\r\n\r\n", "https://pub.example.com/v"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(c.raw)))
			if err != nil {
				t.Fatal(err)
			}
			if got := inspect.VerificationURL(c.base, r); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestHandlerDownAndSlow(t *testing.T) {
	// A port with nothing listening.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead, _ := url.Parse("http://" + ln.Addr().String())
	ln.Close()

	t.Run("down: 502", func(t *testing.T) {
		e := serve(t, inspect.Config{Forward: dead}, exchange.SourceLocal, nil)
		resp, body := do(t, "POST", e.url+"/voice", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, []byte("CallSid=CA1&CallStatus=ringing"))
		if resp.StatusCode != http.StatusBadGateway {
			t.Errorf("status %d, want 502", resp.StatusCode)
		}
		if strings.Count(string(body), "\n") != 1 || !strings.Contains(string(body), "not reachable") {
			t.Errorf("body %q, want one line saying the handler is not reachable", body)
		}
		x := e.lastExchange(t)
		if x.Response.Status != 502 || x.Response.Forwarded || !strings.Contains(x.Response.Error, "not reachable") {
			t.Errorf("stored response %+v", x.Response)
		}
		if !strings.Contains(e.log.String(), "handler error") {
			t.Errorf("no warning logged: %q", e.log.String())
		}
	})
	t.Run("slow: 504", func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		slow := handlerURL(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		e := serve(t, inspect.Config{Forward: slow, Timeout: 200 * time.Millisecond}, exchange.SourceLocal, nil)
		resp, body := do(t, "POST", e.url+"/voice", nil, []byte("A=1"))
		if resp.StatusCode != http.StatusGatewayTimeout || !strings.Contains(string(body), "did not answer within") {
			t.Errorf("got %d %q, want 504", resp.StatusCode, body)
		}
		if x := e.lastExchange(t); x.Response.Status != 504 || x.Response.Error == "" {
			t.Errorf("stored response %+v", x.Response)
		}
	})
	t.Run("slow, large body (the fallback transport): 504", func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		slow := handlerURL(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		e := serve(t, inspect.Config{Forward: slow, Timeout: 200 * time.Millisecond}, exchange.SourceLocal, nil)
		resp, body := do(t, "POST", e.url+"/voice", nil, bytes.Repeat([]byte("A"), 64<<10))
		if resp.StatusCode != http.StatusGatewayTimeout || !strings.Contains(string(body), "did not answer within 200ms") {
			t.Errorf("got %d %q, want 504", resp.StatusCode, body)
		}
		if x := e.lastExchange(t); x.Response.Status != 504 || !strings.Contains(x.Response.Error, "did not answer") {
			t.Errorf("stored response %+v", x.Response)
		}
	})
	t.Run("answer cut short: 502", func(t *testing.T) {
		broken := handlerURL(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(200)
			io.WriteString(w, "short")
		}))
		e := serve(t, inspect.Config{Forward: broken}, exchange.SourceLocal, nil)
		resp, _ := do(t, "POST", e.url+"/voice", nil, []byte("A=1"))
		if resp.StatusCode != http.StatusBadGateway {
			t.Errorf("status %d, want 502", resp.StatusCode)
		}
		if x := e.lastExchange(t); x.Response.Error == "" {
			t.Errorf("no error recorded: %+v", x.Response)
		}
	})
}

func TestNoForwardDefaults(t *testing.T) {
	e := serve(t, inspect.Config{}, exchange.SourceLocal, nil)
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	js := http.Header{"Content-Type": {"application/json"}}
	cases := []struct {
		name   string
		h      http.Header
		body   string
		kind   exchange.Kind
		wantCT string
		want   string
	}{
		{"inbound call", form, "CallSid=CA1&From=%2B1&To=%2B2&CallStatus=ringing&Direction=inbound", exchange.KindCallInbound, "text/xml", string(inspect.EmptyCXML.Body)},
		{"inbound message", form, "MessageSid=SM1&SmsStatus=received&Body=hi", exchange.KindMessageInbound, "text/xml", string(inspect.EmptyCXML.Body)},
		{"call status", form, "CallSid=CA1&CallStatus=completed&CallDuration=3", exchange.KindCallStatus, "", ""},
		{"message status", form, "MessageSid=SM1&MessageStatus=delivered", exchange.KindMessageStatus, "", ""},
		{"swml call", js, `{"call":{"call_state":"created"}}`, exchange.KindSWMLCall, "application/json", string(inspect.HangupSWML.Body)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := do(t, "POST", e.url+"/hook", c.h, []byte(c.body))
			if resp.StatusCode != 200 || string(body) != c.want || !strings.HasPrefix(resp.Header.Get("Content-Type"), c.wantCT) {
				t.Errorf("got %d %q %q, want 200 %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body, c.wantCT, c.want)
			}
			x := e.lastExchange(t)
			if x.Event.Kind != c.kind {
				t.Errorf("event %q, want %q", x.Event.Kind, c.kind)
			}
			if x.Response.Forwarded || string(x.Response.Body) != c.want {
				t.Errorf("stored response %+v", x.Response)
			}
			// swhook's own answers must pass its own check.
			if x.ResponseCheck.Status != exchange.CheckOK && x.ResponseCheck.Status != exchange.CheckNA {
				t.Errorf("response check of swhook's default: %+v", x.ResponseCheck)
			}
		})
	}
}

func TestRespondFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "answer.xml")
	doc := `<?xml version="1.0"?><Response><Say>Hello from swhook</Say></Response>`
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := inspect.LoadAnswer(path)
	if err != nil {
		t.Fatal(err)
	}
	e := serve(t, inspect.Config{Respond: a}, exchange.SourceLocal, nil)
	resp, body := do(t, "POST", e.url+"/voice", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, []byte("CallSid=CA1&CallStatus=ringing"))
	if string(body) != doc || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/xml") {
		t.Errorf("got %q %q", resp.Header.Get("Content-Type"), body)
	}
	if _, err := inspect.LoadAnswer(filepath.Join(t.TempDir(), "nope.xml")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
}

// stuckSaver is a store that never answers: the pipeline must still answer.
type stuckSaver struct{ release chan struct{} }

func (s stuckSaver) Save(ctx context.Context, x *exchange.Exchange) error {
	select {
	case <-s.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func TestStuckStoreStillAnswers(t *testing.T) {
	rec := &recorder{}
	s := stuckSaver{release: make(chan struct{})}
	defer close(s.release)
	e := serve(t, inspect.Config{Forward: handlerURL(t, rec), Store: s, SaveWait: 100 * time.Millisecond}, exchange.SourceLocal, nil)
	resp, body := do(t, "POST", e.url+"/voice", nil, []byte("A=1"))
	if resp.StatusCode != 200 || string(body) != "ok" || rec.count() != 1 {
		t.Errorf("got %d %q (handler saw %d)", resp.StatusCode, body, rec.count())
	}
	if !strings.Contains(e.log.String(), "STORE IS STUCK") {
		t.Errorf("no loud warning: %q", e.log.String())
	}
}

func TestFeedReceivesExchanges(t *testing.T) {
	e := serve(t, inspect.Config{}, exchange.SourceLocal, nil)
	ch, cancel := e.feed.Subscribe(8)
	defer cancel()
	do(t, "POST", e.url+"/voice", nil, []byte("A=1"))
	select {
	case x := <-ch:
		if x.ID == 0 || x.Request.Path != "/voice" {
			t.Errorf("published %+v", x)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("nothing published")
	}
}

// A panicking verdict costs that verdict, not the webhook.
func TestPanickingVerdictStillForwardsAndStores(t *testing.T) {
	rec := &recorder{}
	boom := func() { panic("boom") }
	e := serve(t, inspect.Config{
		Forward:  handlerURL(t, rec),
		Classify: func(classify.Request) exchange.Event { boom(); return exchange.Event{} },
		Check:    func(exchange.Event, respcheck.Response) exchange.Check { boom(); return exchange.Check{} },
	}, exchange.SourceLocal, nil)
	resp, body := do(t, "POST", e.url+"/voice", nil, []byte("A=1"))
	if resp.StatusCode != 200 || string(body) != "ok" || rec.count() != 1 {
		t.Fatalf("got %d %q, handler saw %d", resp.StatusCode, body, rec.count())
	}
	x := e.lastExchange(t)
	if x.Event.Kind != exchange.KindUnknown || x.ResponseCheck.Status != exchange.CheckNA || x.Response.Status != 200 {
		t.Errorf("stored %+v %+v", x.Event, x.ResponseCheck)
	}
	if !strings.Contains(e.log.String(), "INTERNAL ERROR") {
		t.Errorf("not logged: %q", e.log.String())
	}
}

// swhook's own answers (no --forward, a refused signature) are timed like
// forwarded ones: the sender waited for them too.
func TestSelfAnswersAreTimed(t *testing.T) {
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	body := []byte("CallSid=CA1&From=%2B1&To=%2B2&CallStatus=ringing&Direction=inbound")
	for _, c := range []struct {
		name   string
		cfg    inspect.Config
		status int
	}{
		{"no forward", inspect.Config{}, http.StatusOK},
		{"enforced signature", inspect.Config{SigningKey: "PSKtest", EnforceSignature: true}, http.StatusForbidden},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := serve(t, c.cfg, exchange.SourceLocal, nil)
			resp, _ := do(t, "POST", e.url+"/voice", form, body)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, c.status)
			}
			x := e.lastExchange(t)
			if x.Response.Forwarded || x.Response.Status != c.status {
				t.Fatalf("stored response %+v", x.Response)
			}
			if x.Response.DurationMS <= 0 {
				t.Errorf("stored duration %v ms, want > 0", x.Response.DurationMS)
			}
		})
	}
}

// An answer cut at the capture limit is graded as cut, not as malformed.
func TestTruncatedAnswerCheckIsAWarning(t *testing.T) {
	doc := `<?xml version="1.0"?><Response><Say>` + strings.Repeat("long words ", 100) + `</Say></Response>`
	target := handlerURL(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, doc)
	}))
	e := serve(t, inspect.Config{Forward: target, MaxBody: 256}, exchange.SourceLocal, nil)
	_, got := do(t, "POST", e.url+"/voice", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		[]byte("CallSid=CA1&CallStatus=ringing&Direction=inbound"))
	if string(got) != doc {
		t.Fatalf("sender got %d bytes, want the whole %d", len(got), len(doc))
	}
	x := e.lastExchange(t)
	if !x.Response.Truncated || x.Event.Kind != exchange.KindCallInbound {
		t.Fatalf("stored: truncated=%v kind=%q", x.Response.Truncated, x.Event.Kind)
	}
	if x.ResponseCheck.Status != exchange.CheckWarning || !strings.Contains(x.ResponseCheck.Message, "capture limit") {
		t.Errorf("response check %+v, want a warning about the capture limit", x.ResponseCheck)
	}
}

// Every way an answer goes back leaves out the handler's hop-by-hop
// headers: an answer without a body (written whole by writeAnswer) as the
// delivered one; and a chunked small answer goes with its Content-Length,
// while the stored answer keeps the headers the handler sent.
func TestHopByHopHeadersRemovedFromEveryAnswer(t *testing.T) {
	rec := &recorder{answer: func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "X-Private")
		w.Header().Set("X-Private", "secret")
		w.Header().Set("X-Public", "1")
		if r.URL.Path == "/empty" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		io.WriteString(w, "<Resp")
		http.NewResponseController(w).Flush() // chunked
		io.WriteString(w, "onse/>")
	}}
	e := serve(t, inspect.Config{Forward: handlerURL(t, rec)}, exchange.SourceLocal, nil)
	for _, path := range []string{"/empty", "/chunked"} {
		resp, body := do(t, "POST", e.url+path, nil, []byte("A=1"))
		if resp.Header.Get("X-Private") != "" || resp.Header.Get("X-Public") != "1" {
			t.Errorf("%s: answer headers %q", path, resp.Header)
		}
		x := e.lastExchange(t)
		if x.Response.Headers.Get("X-Private") != "secret" {
			t.Errorf("%s: the stored answer lost the handler's headers: %q", path, x.Response.Headers)
		}
		if path == "/chunked" && (string(body) != "<Response/>" || resp.ContentLength != int64(len(body)) || len(resp.TransferEncoding) != 0) {
			t.Errorf("chunked answer relayed as %q, length %d, %q", body, resp.ContentLength, resp.TransferEncoding)
		}
	}
}
