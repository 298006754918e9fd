package tunnel

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"time"

	"golang.ngrok.com/ngrok/v2"
)

// Backend is the seam between swhook and ngrok: everything the tunnel needs
// from ngrok, small enough that tests replace it without a network.
type Backend interface {
	// Listen connects an agent and opens one HTTPS endpoint. Like
	// ngrok-go it may block, retrying, until it succeeds or ctx ends;
	// onEvent hears every connect and disconnect meanwhile and afterwards
	// (it must not block). The endpoint's Close ends the agent too.
	Listen(ctx context.Context, opts EndpointOptions, onEvent func(Event)) (Endpoint, error)
	// Diagnose probes whether ngrok's servers can be reached at all, to
	// explain a connect that hangs.
	Diagnose(ctx context.Context) error
}

// EndpointOptions are the user's choices about the public endpoint.
type EndpointOptions struct {
	// Domain is a reserved domain (name.ngrok-free.app or the user's own);
	// empty lets ngrok pick.
	Domain string
	// TrafficPolicy is the policy document, passed through untouched.
	TrafficPolicy string
}

// Endpoint is an open public endpoint.
type Endpoint interface {
	net.Listener
	// URL is the public base URL, e.g. https://x.ngrok-free.app.
	URL() string
}

// EventKind says what happened to the agent's session.
type EventKind int

const (
	EventConnected EventKind = iota + 1
	EventDisconnected
)

// Event is a change in the agent's connection to ngrok.
type Event struct {
	Kind EventKind
	// Err is why a session dropped or an attempt failed; nil when it was
	// closed on purpose.
	Err error
	At  time.Time
}

// NgrokBackend is the real Backend: golang.ngrok.com/ngrok/v2.
type NgrokBackend struct {
	// Authtoken is the ngrok credential. It is never logged: the logger
	// given to ngrok removes it from every record.
	Authtoken string
	// Log receives ngrok-go's own logging, demoted to debug level: swhook
	// reports the tunnel's state itself, and ngrok's retry chatter would
	// otherwise garble the terminal UI. nil discards it.
	Log *slog.Logger
	// Version is reported to ngrok as the client version.
	Version string
	// ConnectURL replaces ngrok's server address (host:port), as the
	// ngrok agent's connect_url setting does; empty means ngrok's default.
	ConnectURL string
}

func (b *NgrokBackend) agentOptions() []ngrok.AgentOption {
	opts := []ngrok.AgentOption{
		ngrok.WithAuthtoken(b.Authtoken),
		ngrok.WithLogger(slog.New(newRedactHandler(b.Log, b.Authtoken))),
		ngrok.WithClientInfo("swhook", strings.TrimPrefix(b.versionOr("dev"), "v")),
	}
	if b.ConnectURL != "" {
		opts = append(opts, ngrok.WithAgentConnectURL(b.ConnectURL))
	}
	return opts
}

func (b *NgrokBackend) versionOr(def string) string {
	if b.Version == "" {
		return def
	}
	return b.Version
}

// Listen implements Backend.
func (b *NgrokBackend) Listen(ctx context.Context, o EndpointOptions, onEvent func(Event)) (Endpoint, error) {
	opts := append(b.agentOptions(), ngrok.WithEventHandler(func(e ngrok.Event) {
		switch e := e.(type) {
		case *ngrok.EventAgentConnectSucceeded:
			onEvent(Event{Kind: EventConnected, At: e.Timestamp()})
		case *ngrok.EventAgentDisconnected:
			onEvent(Event{Kind: EventDisconnected, Err: e.Error, At: e.Timestamp()})
		}
	}))
	agent, err := ngrok.NewAgent(opts...)
	if err != nil {
		return nil, err
	}
	eo := []ngrok.EndpointOption{ngrok.WithDescription("swhook listen")}
	if o.Domain != "" {
		eo = append(eo, ngrok.WithURL("https://"+o.Domain))
	}
	if o.TrafficPolicy != "" {
		eo = append(eo, ngrok.WithTrafficPolicy(o.TrafficPolicy))
	}
	ln, err := agent.Listen(ctx, eo...)
	if err != nil {
		_ = agent.Disconnect()
		return nil, err
	}
	return &ngrokEndpoint{EndpointListener: ln, agent: agent}, nil
}

// Diagnose implements Backend with the agent's own probe (TCP, TLS, then
// ngrok's protocol), which needs no valid token.
func (b *NgrokBackend) Diagnose(ctx context.Context) error {
	agent, err := ngrok.NewAgent(b.agentOptions()...)
	if err != nil {
		return err
	}
	d, ok := agent.(ngrok.Diagnoser)
	if !ok {
		return errors.New("this ngrok library cannot diagnose")
	}
	_, err = d.Diagnose(ctx, "")
	return err
}

type ngrokEndpoint struct {
	ngrok.EndpointListener
	agent ngrok.Agent
}

func (e *ngrokEndpoint) URL() string { return e.EndpointListener.URL().String() }

func (e *ngrokEndpoint) Close() error {
	err := e.EndpointListener.Close()
	return errors.Join(err, e.agent.Disconnect())
}

// redactHandler sends ngrok's records to swhook's logger at debug level
// with the authtoken removed from the message and every attribute.
type redactHandler struct {
	inner  slog.Handler
	secret string
}

func newRedactHandler(l *slog.Logger, secret string) slog.Handler {
	if l == nil {
		return slog.DiscardHandler
	}
	return &redactHandler{inner: l.Handler(), secret: secret}
}

// NgrokLog is the logger to hand anything that logs on ngrok's behalf: its
// records go to l under the group "ngrok", at debug level (swhook reports the
// tunnel's state itself, and ngrok's retry chatter would garble the screen),
// with secret removed from the message and every attribute.
func NgrokLog(l *slog.Logger, secret string) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(newRedactHandler(l.WithGroup("ngrok"), secret))
}

func (h *redactHandler) Enabled(ctx context.Context, _ slog.Level) bool {
	return h.inner.Enabled(ctx, slog.LevelDebug)
}

func (h *redactHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, slog.LevelDebug, h.redact(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h *redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		as := v.Group()
		out := make([]any, len(as))
		for i, g := range as {
			out[i] = h.attr(g)
		}
		return slog.Group(a.Key, out...)
	}
	if v.Kind() == slog.KindString || v.Kind() == slog.KindAny {
		return slog.String(a.Key, h.redact(v.String()))
	}
	return slog.Attr{Key: a.Key, Value: v}
}

func (h *redactHandler) redact(s string) string {
	if h.secret == "" {
		return s
	}
	return strings.ReplaceAll(s, h.secret, "[redacted]")
}

func (h *redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = h.attr(a)
	}
	return &redactHandler{inner: h.inner.WithAttrs(red), secret: h.secret}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{inner: h.inner.WithGroup(name), secret: h.secret}
}
