package cmd

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/tunnel"
	"github.com/swhook/swhook/tunnel/numbers/numberstest"
)

// Unsupported handlers and shared resources are refused (nothing written);
// --yes takes the shared one; --dry-run prints and stops.
func TestListenNumberRefusals(t *testing.T) {
	fake := seedFake(t)
	fake.AddNumber(numberstest.Number("55555555-5555-4555-8555-555555555555", "+15551230005", map[string]any{
		"call_handler": "laml_webhooks", "calling_handler_resource_id": resID, "capabilities": []any{"voice"}}))
	env := swEnv(t, fake)
	env[cmdutil.EnvStore] = filepath.Join(env["HOME"], "swhook.db")
	base := []string{"listen", "--no-tui", "--no-tunnel", "--public-url", "https://pub.example.test", "--addr", "127.0.0.1:0"}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--number", "+15551230004"}, 1, "swhook: not pointing +15551230004: its calls go to a ai_agent, a handler only Fabric can set"},
		{[]string{"--number", "+15551230003"}, 2, `cXML webhook "Booking" (Fabric resource for +15551230003; also serves +15551230005): changing it changes +15551230005 too`},
		{[]string{"--number", "+15551230003"}, 2, "swhook: pass --yes to point the shared resource anyway"},
		{[]string{"--number", "+15559999999"}, 1, "+15559999999 is not a phone number of project " + swProject},
		{[]string{"--number", "5551230001"}, 2, "--number: \"5551230001\" is not an E.164 number"},
		{[]string{"--voice-path", "/x"}, 2, "--voice-path is for --number, which is not given"},
	} {
		code, _, stderr := swRun(t, env, append(base, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, tc.code, tc.want)
		}
	}
	code, stdout, stderr := swRun(t, env, append(base, "--number", "+15551230003", "--number", "+15551230001", "--dry-run", "--voice-path", "in")...)
	if code != 0 {
		t.Fatalf("dry run: %d %s", code, stderr)
	}
	for _, want := range []string{"(dry run, nothing changed)", "+15551230001:\n  call_request_url: https://prod.example.com/voice?tenant=7 → https://pub.example.test/in",
		"primary_request_url: https://app.example.com/book → https://pub.example.test/in", "shared resources need --yes"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("dry run lacks %q:\n%s", want, stdout)
		}
	}
	if w := fake.Writes(); len(w) != 0 {
		t.Errorf("writes %+v", w)
	}
	if code, _, stderr := swRun(t, env, "listen", "--no-tunnel", "--number", "+15551230001"); code != 2 || !strings.Contains(stderr, "--number needs a public URL") {
		t.Errorf("--no-tunnel: %d %q", code, stderr)
	}
}

// urlBackend is an ngrok stand-in whose every Listen opens a loopback
// endpoint with the next URL handed to it.
type urlBackend struct {
	urls chan string
	mu   sync.Mutex
	eps  []*urlEndpoint
}

type urlEndpoint struct {
	net.Listener
	url string
}

func (e *urlEndpoint) URL() string { return e.url }

func (b *urlBackend) Listen(ctx context.Context, o tunnel.EndpointOptions, on func(tunnel.Event)) (tunnel.Endpoint, error) {
	select {
	case u := <-b.urls:
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ep := &urlEndpoint{ln, u}
		b.mu.Lock()
		b.eps = append(b.eps, ep)
		b.mu.Unlock()
		on(tunnel.Event{Kind: tunnel.EventConnected, At: time.Now()})
		return ep, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (b *urlBackend) Diagnose(ctx context.Context) error { return nil }

func (b *urlBackend) drop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.eps[len(b.eps)-1].Close()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// When ngrok comes back with a new URL, the number is re-pointed at once
// and the tunnel line says so instead of asking for the dashboard; on the
// way out it is restored.
func TestListenNumberRepointsOnURLChange(t *testing.T) {
	fake := seedFake(t)
	before := normalized(fake.Snapshot())
	env := swEnv(t, fake)
	env["NGROK_AUTHTOKEN"] = tunnelTestToken
	ios, _, out, errOut := cmdutil.Test()
	var mu sync.Mutex
	safeOut := &syncWriter{mu: &mu, w: out}
	ios.Out, ios.ErrOut = safeOut, &syncWriter{mu: &mu, w: errOut}
	f := &cmdutil.Factory{IOStreams: ios, Getenv: func(k string) string { return env[k] }, Now: time.Now,
		HTTPClient: &http.Client{Timeout: 10 * time.Second}, Version: "test"}
	b := &urlBackend{urls: make(chan string, 2)}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := NewCmdListen(f, func(o *ListenOptions) error {
		o.Tunnel.goos = "linux"
		o.Tunnel.backend = func(tunnel.Authtoken, *slog.Logger) tunnel.Backend { return b }
		return runListen(ctx, f, o)
	})
	cmd.SetArgs([]string{"--no-tui", "--addr", "127.0.0.1:0", "--store", filepath.Join(env["HOME"], "swhook.db"), "--number", "+15551230002"})
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	b.urls <- "https://one.ngrok-free.app"
	waitFor(t, "the first pointing", func() bool {
		return fake.Field("+15551230002", "call_relay_script_url") == "https://one.ngrok-free.app/a.json"
	})
	b.urls <- "https://two.ngrok-free.app"
	b.drop()
	waitFor(t, "the re-pointing", func() bool {
		return fake.Field("+15551230002", "call_relay_script_url") == "https://two.ngrok-free.app/a.json"
	})
	waitFor(t, "the tunnel line", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return strings.Contains(out.String(), "+15551230002 re-pointed at it")
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Contains(out.String(), "PUBLIC URL CHANGED") {
		t.Errorf("the dashboard alarm is still shown:\n%s", out.String())
	}
	if !strings.Contains(errOut.String(), "re-pointed +15551230002 at the new URL") {
		t.Errorf("stderr %s", errOut.String())
	}
	if normalized(fake.Snapshot()) != before {
		t.Error("not restored on the way out")
	}
	if bytes.Contains(out.Bytes(), []byte(swToken)) || bytes.Contains(errOut.Bytes(), []byte(swToken)) {
		t.Error("token printed")
	}
}

type syncWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
