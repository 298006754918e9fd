package cmd

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect/signature/signaturetest"
	"github.com/swhook/swhook/tunnel"
)

// loopBackend stands in for ngrok (which tests cannot reach): its endpoint
// is a loopback listener with a public-looking URL, so listen serves the
// tunnel side exactly as it would serve ngrok's connections.
type loopBackend struct {
	ln  net.Listener
	url string
}

type loopEndpointCmd struct {
	net.Listener
	url string
}

func (e loopEndpointCmd) URL() string { return e.url }

func (b *loopBackend) Listen(ctx context.Context, o tunnel.EndpointOptions, on func(tunnel.Event)) (tunnel.Endpoint, error) {
	on(tunnel.Event{Kind: tunnel.EventConnected, At: time.Now()})
	return loopEndpointCmd{Listener: b.ln, url: b.url}, nil
}

func (b *loopBackend) Diagnose(ctx context.Context) error { return nil }

// listen serves the tunnel's listener as tunnel traffic, checked against
// the tunnel's public URL, and says that URL first.
func TestListenServesTheTunnelWithItsPublicURL(t *testing.T) {
	edge, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	const public = "https://abc.ngrok.test"
	_, target := newE2EHandler(t)

	pr, pw := io.Pipe()
	ios := &cmdutil.IOStreams{In: strings.NewReader(""), Out: pw, ErrOut: io.Discard}
	f := &cmdutil.Factory{IOStreams: ios, Getenv: func(string) string { return "" }, Now: time.Now, Version: "test"}
	var opts *ListenOptions
	cmd := NewCmdListen(f, func(o *ListenOptions) error { opts = o; return nil })
	cmd.SetArgs([]string{"--json", "--addr", "127.0.0.1:0", "--store", filepath.Join(t.TempDir(), "s.db"),
		"--forward", target, "--signing-key", testKey, "--ngrok-authtoken", "tok_test"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	opts.Tunnel.backend = func(tunnel.Authtoken, *slog.Logger) tunnel.Backend { return &loopBackend{ln: edge, url: public} }

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runListen(ctx, f, opts); pw.Close() }()
	defer func() {
		go io.Copy(io.Discard, pr) // whatever listen still writes while stopping
		cancel()
		if err := <-done; err != nil {
			t.Errorf("runListen: %v", err)
		}
	}()

	lines := bufio.NewScanner(pr)
	next := func() map[string]any {
		t.Helper()
		if !lines.Scan() {
			t.Fatalf("listen stopped writing: %v", lines.Err())
		}
		var m map[string]any
		if err := json.Unmarshal(lines.Bytes(), &m); err != nil {
			t.Fatalf("not JSON: %q", lines.Text())
		}
		return m
	}
	ready := next()
	if ready["type"] != "ready" || ready["public_url"] != public {
		t.Fatalf("ready line %v, want public_url %s", ready, public)
	}

	// A webhook through the "edge", signed for the public URL.
	form := url.Values{"CallSid": {"CA1"}, "CallStatus": {"ringing"}, "From": {"+15551230000"}}
	req, _ := http.NewRequest("POST", "http://"+edge.Addr().String()+"/voice?x=1", strings.NewReader(form.Encode()))
	req.Host = "abc.ngrok.test"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-SignalWire-Signature", signaturetest.SignForm(testKey, public+"/voice?x=1", form))
	go func() {
		if resp, err := e2eClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	for {
		m := next()
		if m["type"] != "exchange" {
			continue // tunnel state lines
		}
		sig := m["signature"].(map[string]any)
		r := m["request"].(map[string]any)
		if m["source"] != "tunnel" || sig["status"] != "valid" || r["url"] != public+"/voice?x=1" {
			t.Errorf("exchange source %v signature %v url %v; want tunnel, valid, %s", m["source"], sig, r["url"], public+"/voice?x=1")
		}
		return
	}
}
