package cmd

import (
	"context"
	"io"
	"math/rand/v2"

	"github.com/spf13/cobra"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/listeners"
	"github.com/swhook/swhook/inspect/store"
	"github.com/swhook/swhook/replay/call"
	"github.com/swhook/swhook/replay/trigger"
)

// SessionOptions are what `swhook call` and `swhook message` share: both
// play one pretend SignalWire session (replay/call) against a webhook, so
// where it is sent, who it is from, how it is signed, stored and printed
// are asked for, checked and wired in one place.
type SessionOptions struct {
	IO          *cmdutil.IOStreams
	To          string
	SignURL     string
	From        string
	ToNumber    string
	FallbackURL string
	MaxSteps    int
	JSON        bool
	NoSignature bool
	// SWML says the webhook answers SWML (a relay_script number, or a
	// messaging SWML script).
	SWML       bool
	SigningKey string
	StorePath  string
	// Rand, when set, replaces the random source (tests pass a seeded one).
	Rand *rand.Rand

	// running are the listens on this store, read once by resolve: the
	// default --to and the session's marks both come from them.
	running []listeners.Info
}

// sessionHelp holds the flag help texts that differ between a call and a
// message.
type sessionHelp struct{ to, from, toNumber, fallbackURL, swml string }

func addSessionFlags(cmd *cobra.Command, o *SessionOptions, h sessionHelp) {
	fl := cmd.Flags()
	fl.StringVar(&o.To, "to", "", h.to)
	fl.StringVar(&o.SignURL, "sign-url", "", "sign for this URL instead of --to (the URL your handler verifies)")
	fl.StringVar(&o.From, "from", "", h.from)
	fl.StringVar(&o.ToNumber, "to-number", "", h.toNumber)
	fl.StringVar(&o.FallbackURL, "fallback-url", "", h.fallbackURL)
	fl.IntVar(&o.MaxSteps, "max-steps", call.DefaultMaxSteps, "stop after this many documents (a redirect loop)")
	fl.BoolVar(&o.JSON, "json", false, "print the transcript as JSON, one object a line")
	fl.BoolVar(&o.NoSignature, "no-signature", false, "send without a signature header")
	fl.BoolVar(&o.SWML, "swml", false, h.swml)
	cmdutil.AddStoreFlag(cmd, &o.StorePath)
	cmdutil.AddSigningKeyFlag(cmd, &o.SigningKey)
}

// resolve reads the listens running on this store, fills in --to (the
// one running) and the signing key, and checks the addresses; voice
// allows SIP addresses, what names the command in errors ("call",
// "message").
func (o *SessionOptions) resolve(f *cmdutil.Factory, voice bool, what string) error {
	o.running = runningListeners(f, o.StorePath)
	if o.To == "" {
		// The listen running on this store: the session goes through it.
		to, err := defaultTo(o.running)
		if err != nil {
			return err
		}
		o.To = to
	}
	if err := trigger.CheckAddresses(o.From, o.ToNumber, voice, what); err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	o.SigningKey = cmdutil.SigningKey(o.SigningKey, f.Getenv)
	if o.SigningKey == "" && !o.NoSignature {
		return cmdutil.UsageErrorf("no signing key: pass --signing-key or set $%s (or --no-signature to send unsigned)", cmdutil.EnvSigningKey)
	}
	return nil
}

// runSession opens the store and a session of cfg completed with what o
// says, and runs play on it. Exit status 1 (ErrSilent: the transcript has
// said why) when SignalWire would have logged an error.
func (o *SessionOptions) runSession(ctx context.Context, f *cmdutil.Factory, cfg call.Config, play func(context.Context, *call.Session) error) error {
	st, err := openStore(ctx, f, o.StorePath, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	cfg.URL, cfg.FallbackURL, cfg.SignURL, cfg.Key = o.To, o.FallbackURL, o.SignURL, o.SigningKey
	cfg.From, cfg.To, cfg.MaxSteps = o.From, o.ToNumber, o.MaxSteps
	cfg.Client, cfg.Rand, cfg.Now = f.HTTPClient, o.Rand, f.Now
	cfg.Sink = transcriptSink(o.IO.Out, o.JSON)
	// Sent through a running listen on this store: the listener's row is
	// each request's one record.
	cfg.Store = listenerSaver{st}
	cfg.Mark = listenerMark(o.running, exchange.SourceCall)
	s, err := call.NewSession(cfg)
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	defer s.Close()
	if err := play(ctx, s); err != nil {
		return err
	}
	if s.Failed() {
		return cmdutil.ErrSilent
	}
	return nil
}

func transcriptSink(w io.Writer, asJSON bool) call.Sink {
	if asJSON {
		return call.JSONSink{W: w}
	}
	return call.TextSink{W: w}
}
