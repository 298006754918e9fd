package tunnel

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/syncbuf"
)

// closedPort returns a loopback address nothing listens on.
func refusedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// The real ngrok agent, pointed at a loopback port that refuses: its
// disconnect event arrives, is explained as a network problem, and its
// logging is demoted, redacted and kept off the terminal.
func TestNgrokBackendUnreachableServer(t *testing.T) {
	var logs syncbuf.Buffer
	b := &NgrokBackend{
		Authtoken:  testToken,
		Log:        slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Version:    "v1.2.3",
		ConnectURL: refusedAddr(t),
	}
	ctx, cancel := context.WithCancel(t.Context())
	events := make(chan Event, 16)
	done := make(chan error, 1)
	go func() {
		ep, err := b.Listen(ctx, EndpointOptions{}, func(e Event) {
			select {
			case events <- e:
			default:
			}
		})
		if ep != nil {
			ep.Close()
			err = errors.New("got an endpoint from a closed port")
		}
		done <- err
	}()
	e := <-events
	if e.Kind != EventDisconnected || e.Err == nil {
		t.Fatalf("first event %+v, want a disconnect with an error", e)
	}
	if p := Explain(e.Err, ExplainContext{}); !strings.Contains(p.Message, "cannot reach ngrok's servers") || p.Permanent {
		t.Errorf("explained as %+v", p)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Listen ended with %v, want context.Canceled", err)
	}
	out := logs.String()
	if strings.Contains(out, testToken) {
		t.Errorf("ngrok's log shows the token:\n%s", out)
	}
	if !strings.Contains(out, "level=DEBUG") || strings.Contains(out, "level=ERROR") {
		t.Errorf("ngrok's records should all be demoted to debug:\n%s", out)
	}
}

func TestNgrokBackendDiagnose(t *testing.T) {
	// Refused: the TCP step fails.
	b := &NgrokBackend{Authtoken: testToken, ConnectURL: refusedAddr(t)}
	err := b.Diagnose(t.Context())
	if p := Explain(err, ExplainContext{}); !strings.Contains(p.Message, "cannot reach ngrok's servers") {
		t.Errorf("refused port: %v explained as %q", err, p.Message)
	}

	// Something that is not ngrok answers (a proxy, a captive portal): the
	// TLS step fails.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
			c.Close()
		}
	}()
	b = &NgrokBackend{Authtoken: testToken, ConnectURL: ln.Addr().String()}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	err = b.Diagnose(ctx)
	if p := Explain(err, ExplainContext{}); !strings.Contains(p.Message, "TLS connection to ngrok") {
		t.Errorf("non-TLS server: %v explained as %q", err, p.Message)
	}
}

func TestRedactHandler(t *testing.T) {
	var out bytes.Buffer
	inner := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	l := NgrokLog(inner, testToken).With("token", testToken).WithGroup("g")
	l.Error("auth "+testToken, "err", errors.New("Your authtoken: "+testToken), "s", testToken, "n", 3,
		slog.Group("grp", "inner", testToken))
	got := out.String()
	if strings.Contains(got, testToken) {
		t.Errorf("testToken logged: %s", got)
	}
	for _, want := range []string{"level=DEBUG", "ngrok.token=[redacted]", `msg="auth [redacted]"`, "ngrok.g.n=3", "ngrok.g.grp.inner=[redacted]"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in %s", want, got)
		}
	}

	// At listen's usual warn level, ngrok says nothing at all.
	out.Reset()
	warn := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelWarn}))
	NgrokLog(warn, testToken).Error("failed to reconnect session")
	if out.Len() != 0 {
		t.Errorf("ngrok chatter reached a warn-level log: %s", out.String())
	}
	// No logger: discarded, no panic.
	NgrokLog(nil, testToken).Error("x")
}
