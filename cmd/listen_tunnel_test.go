package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/tunnel"
)

const tunnelTestToken = "2tunnelTESTtoken_abcdefghijklmnopqrstuvwxyz0123"

func tunnelFactory(env map[string]string) *cmdutil.Factory {
	ios, _, _, _ := cmdutil.Test()
	return &cmdutil.Factory{IOStreams: ios, Getenv: func(k string) string { return env[k] }, Now: time.Now, Version: "test"}
}

// scriptedBackend answers every Listen with the same failure, sent the way
// ngrok-go does: as a disconnect event while Listen keeps retrying.
type scriptedBackend struct {
	got   chan tunnel.EndpointOptions
	event error
}

func (b *scriptedBackend) Listen(ctx context.Context, o tunnel.EndpointOptions, on func(tunnel.Event)) (tunnel.Endpoint, error) {
	b.got <- o
	on(tunnel.Event{Kind: tunnel.EventDisconnected, Err: b.event, At: time.Now()})
	<-ctx.Done()
	return nil, ctx.Err()
}

func (b *scriptedBackend) Diagnose(ctx context.Context) error { return nil }

func TestStartPublicWithoutToken(t *testing.T) {
	f := tunnelFactory(map[string]string{"HOME": t.TempDir()})
	tun, hint, err := startPublic(t.Context(), f, tunnelFlags{goos: "linux"}, slog.New(slog.DiscardHandler))
	if err != nil || tun != nil {
		t.Fatalf("got %v, %v; want no tunnel and no error", tun, err)
	}
	if hint != noTokenHint || strings.Contains(hint, "\n") {
		t.Errorf("hint %q", hint)
	}
	for _, want := range []string{"NGROK_AUTHTOKEN", "--public-url", "locally"} {
		if !strings.Contains(hint, want) {
			t.Errorf("hint %q does not mention %s", hint, want)
		}
	}
}

func TestStartPublicDomainWithoutToken(t *testing.T) {
	f := tunnelFactory(map[string]string{"HOME": t.TempDir()})
	tun, hint, err := startPublic(t.Context(), f, tunnelFlags{Domain: "hooks.ngrok.app", goos: "linux"}, nil)
	if err != nil || tun != nil || !strings.HasPrefix(hint, "no ngrok authtoken, so --domain is unused: serving locally only") {
		t.Errorf("got %v, %q, %v", tun, hint, err)
	}
}

func TestStartPublicBrokenNgrokConfigServesLocally(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join(home, ".config", "ngrok", "ngrok.yml")
	os.MkdirAll(filepath.Dir(path), 0o700)
	os.WriteFile(path, []byte("agent: "+tunnelTestToken+"\n"), 0o600)
	tun, hint, err := startPublic(t.Context(), tunnelFactory(map[string]string{"HOME": home}), tunnelFlags{goos: "linux"}, nil)
	if err != nil || tun != nil {
		t.Fatalf("got %v, %v", tun, err)
	}
	if !strings.Contains(hint, path) || !strings.Contains(hint, "serving locally only") || strings.Contains(hint, tunnelTestToken) {
		t.Errorf("hint %q", hint)
	}
}

func TestStartPublicFlagErrors(t *testing.T) {
	f := tunnelFactory(map[string]string{"HOME": t.TempDir(), "NGROK_AUTHTOKEN": tunnelTestToken})
	missing := filepath.Join(t.TempDir(), "policy.yml")
	for _, tc := range []struct {
		flags tunnelFlags
		want  string
	}{
		{tunnelFlags{TrafficPolicy: missing}, "--traffic-policy: cannot read " + missing + ": no such file or directory"},
		{tunnelFlags{TrafficPolicy: t.TempDir()}, "--traffic-policy: cannot read"},
		{tunnelFlags{Domain: "not a domain"}, `--domain "not a domain" is not a host name`},
		{tunnelFlags{Domain: "https://x.ngrok.app/path"}, "is not a host name"},
	} {
		tun, _, err := startPublic(t.Context(), f, tc.flags, nil)
		var fe *cmdutil.FlagError
		if tun != nil || !errors.As(err, &fe) || cmdutil.ExitCode(err) != 2 {
			t.Errorf("%+v: got %v, %v; want a usage error", tc.flags, tun, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("error %q, want one line containing %q", err, tc.want)
		}
	}
}

// With a token the tunnel is built from the flags; a rejected token is
// explained within the start-up, and the token appears nowhere: not in the
// status, not in the log.
func TestStartPublicWithToken(t *testing.T) {
	policy := filepath.Join(t.TempDir(), "policy.yml")
	os.WriteFile(policy, []byte("on_http_request:\n  - actions:\n      - type: deny\n"), 0o600)
	b := &scriptedBackend{got: make(chan tunnel.EndpointOptions, 1),
		event: fmt.Errorf("authentication failed: %w", errors.New("The authtoken you specified is properly formed, but it is invalid.\nYour authtoken: "+tunnelTestToken+"\n\nERR_NGROK_107"))}
	var gotToken tunnel.Authtoken
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	flags := tunnelFlags{Domain: "https://hooks.ngrok.app/", TrafficPolicy: policy, goos: "linux",
		backend: func(tok tunnel.Authtoken, l *slog.Logger) tunnel.Backend {
			gotToken = tok
			l.Error("ngrok says: Your authtoken: " + tok.Token)
			return b
		}}
	f := tunnelFactory(map[string]string{"HOME": t.TempDir(), "NGROK_AUTHTOKEN": tunnelTestToken})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	tun, hint, err := startPublic(ctx, f, flags, log)
	if err != nil || hint != "" || tun == nil {
		t.Fatalf("got %v, %q, %v", tun, hint, err)
	}
	if gotToken.Token != tunnelTestToken || gotToken.Source != "$NGROK_AUTHTOKEN" {
		t.Errorf("backend got the token from %q", gotToken.Source)
	}
	if s := tun.Status(); s.State != tunnel.StateConnecting {
		t.Errorf("before Start: %+v", s)
	}
	ln, err := tun.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	o := <-b.got
	if o.Domain != "hooks.ngrok.app" || !strings.Contains(o.TrafficPolicy, "type: deny") {
		t.Errorf("endpoint options %+v", o)
	}
	s := <-tun.Updates()
	if s.State != tunnel.StateDown || !strings.Contains(s.Message, "ngrok rejected the ngrok authtoken from $NGROK_AUTHTOKEN (ERR_NGROK_107)") {
		t.Errorf("status %+v", s)
	}
	if strings.Contains(fmt.Sprintf("%+v", s), tunnelTestToken) || strings.Contains(logs.String(), tunnelTestToken) {
		t.Errorf("the token was shown: status %+v, log %s", s, logs.String())
	}
	cancel()
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after the end: %v", err)
	}
}
