// Package inspect is the heart of `swhook listen`: for every webhook it
// captures the request, checks its signature, names its event, passes it to
// the developer's handler untouched (or answers harmlessly itself), checks
// the answer, makes the exchange durable and only then answers — and tells
// whoever is watching, without ever waiting for them.
//
// The signature engine, the classifier, the response checker and the store
// are injected (Config), so the pipeline can be tested on its own and never
// depends on the screen.
package inspect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/swhook/swhook/inspect/classify"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/forward"
	"github.com/swhook/swhook/inspect/respcheck"
	"github.com/swhook/swhook/inspect/signature"
)

// Defaults for Config's zero values.
const (
	DefaultMaxBody  int64 = 10 << 20
	DefaultTimeout        = 10 * time.Second
	DefaultSaveWait       = 2 * time.Second
)

// Saver makes an exchange durable and gives it an ID; *store.Store is one.
// Save must return when ctx ends (the pipeline bounds its wait that way)
// and must not touch x after returning. It is an interface so the
// pipeline's own tests can observe a stuck or failing store.
type Saver interface {
	Save(ctx context.Context, x *exchange.Exchange) error
}

// Injected verdict functions; the zero Config uses the real packages.
type (
	VerifyFunc   func(key string, r signature.Request) signature.Verdict
	DiagnoseFunc func(key string, r signature.Request, opts signature.DiagnoseOptions) signature.Diagnosis
	ClassifyFunc func(r classify.Request) exchange.Event
	CheckFunc    func(ev exchange.Event, resp respcheck.Response) exchange.Check
)

// Config says how the pipeline behaves. Only Store is required.
type Config struct {
	// SigningKey verifies signatures; "" marks every exchange unchecked.
	SigningKey string
	// Forward is the developer's handler; nil means swhook answers itself.
	Forward *url.URL
	// EnforceSignature answers 403 to missing or invalid signatures and
	// never forwards them (they are still recorded).
	EnforceSignature bool
	// Respond replaces the default answer when there is no Forward.
	Respond *Answer
	// MaxBody is how many body bytes are kept per request and response;
	// beyond it the exchange is marked truncated (the handler still gets
	// every byte).
	MaxBody int64
	// Timeout bounds the handler's answer; past it swhook answers 504.
	Timeout time.Duration
	// SaveWait bounds how long an answer waits for the store; past it the
	// answer goes back anyway and a warning is logged.
	SaveWait time.Duration
	// Listener is this listen's identity (its local URL), recorded in
	// every exchange it takes, so its view shows its own rows.
	Listener string
	// SenderToken is the token of this listen's entry in the store's
	// listener registry (package listeners): a request whose
	// X-Swhook-Sent-By carries it was sent by swhook itself (trigger,
	// replay, call) and is recorded as such, and its answer names the row
	// (X-Swhook-Id) so the sender stores no second copy. "" turns it off.
	SenderToken string

	Store     Saver
	Feed      *Feed             // nil: nobody is watching
	Transport http.RoundTripper // nil: forward.NewTransport()
	Now       func() time.Time
	Log       *slog.Logger // warnings; nil discards them

	Verify   VerifyFunc
	Diagnose DiagnoseFunc
	Classify ClassifyFunc
	Check    CheckFunc
}

// Pipeline holds what every listener shares: the transport's connection
// pool, the store and the feed.
type Pipeline struct {
	cfg     Config
	forward string // cfg.Forward.String(), recorded in every exchange
	via     string // this pipeline's name in the Via header (newInstance)
	// viaHeader and prefixHeader are the Via and X-Forwarded-Prefix
	// values most forwards send, made once (len == cap: never appended to
	// in place).
	viaHeader    []string
	prefixHeader []string
}

// New validates cfg and fills its defaults.
func New(cfg Config) (*Pipeline, error) {
	if cfg.Store == nil {
		return nil, errors.New("inspect: a store is required")
	}
	if cfg.Forward != nil && (cfg.Forward.Scheme != "http" && cfg.Forward.Scheme != "https" || cfg.Forward.Host == "") {
		return nil, fmt.Errorf("inspect: forward target %q is not an http(s) URL", cfg.Forward.String())
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.SaveWait <= 0 {
		cfg.SaveWait = DefaultSaveWait
	}
	if cfg.Transport == nil {
		cfg.Transport = forward.NewTransport()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Verify == nil {
		fixed, v := cfg.SigningKey, signature.NewVerifier(cfg.SigningKey) // HMAC state kept across webhooks
		cfg.Verify = func(key string, r signature.Request) signature.Verdict {
			if key != fixed {
				return signature.Verify(key, r)
			}
			return v.Verify(r)
		}
	}
	if cfg.Diagnose == nil {
		cfg.Diagnose = signature.Diagnose
	}
	if cfg.Classify == nil {
		cfg.Classify = classify.Classify
	}
	if cfg.Check == nil {
		cfg.Check = respcheck.Check
	}
	p := &Pipeline{cfg: cfg, via: newInstance()}
	p.viaHeader = []string{"1.1 " + p.via}
	if cfg.Forward != nil {
		p.forward = cfg.Forward.String()
		if prefix := ForwardPrefix(cfg.Forward); prefix != "" {
			p.prefixHeader = []string{prefix}
		}
	}
	return p, nil
}

// Config returns the effective configuration (defaults filled in).
func (p *Pipeline) Config() Config { return p.cfg }

// Handler returns the http.Handler for one listener. publicBase returns the
// public base URL that traffic on this listener was sent to (the tunnel's
// URL, or --public-url), or "" when the URL must be rebuilt from the
// request itself; it is called per request because a tunnel's URL can
// change while it reconnects.
func (p *Pipeline) Handler(src exchange.Source, publicBase func() string) http.Handler {
	if publicBase == nil {
		publicBase = func() string { return "" }
	}
	return &handler{p: p, src: src, publicBase: publicBase}
}
