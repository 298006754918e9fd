package cmd

import (
	"context"

	"io"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/store"
	"github.com/swhook/swhook/replay/call"
	"github.com/swhook/swhook/replay/cxml"
	"github.com/swhook/swhook/replay/swml"
	"github.com/swhook/swhook/replay/trigger"
)

// CallOptions holds what `swhook call` was asked to do.
type CallOptions struct {
	IO             *cmdutil.IOStreams
	To             string
	SignURL        string
	From           string
	ToNumber       string
	Inputs         []string
	Dials          []string
	Record         int
	HangupAfter    time.Duration
	StatusCallback string
	StatusEvents   []string
	FallbackURL    string
	MaxSteps       int
	Realtime       bool
	JSON           bool
	NoSignature    bool
	// SWML says the webhook answers SWML (a relay_script number).
	SWML       bool
	SigningKey string
	StorePath  string
	// Rand, when set, replaces the random source (tests pass a seeded one).
	Rand *rand.Rand
}

// NewCmdCall builds `swhook call`. runF replaces the run in tests of flag
// parsing; nil means the real run.
func NewCmdCall(f *cmdutil.Factory, runF func(*CallOptions) error) *cobra.Command {
	opts := &CallOptions{IO: f.IOStreams}
	var events string
	cmd := &cobra.Command{
		Use:   "call --to URL",
		Short: "Play a whole inbound call against your voice webhook, as SignalWire would",
		Long: `Place a pretend inbound call to the cXML voice webhook at --to: fetch it,
run the cXML it answers verb by verb, follow every action, redirect and
callback, and print what the caller hears and what SignalWire would log.
Every request is signed as SignalWire signs it and kept in the store.

The caller's side comes from --input (one per Gather or Record: keys like 1
or 12#, speech:words, or - for nothing), --dial (one per Dial), --record and
--hangup-after; on a terminal, when they run out, you are asked; otherwise
the caller is silent. A call runs as fast as the handler answers unless
--realtime. Exit status 1 when SignalWire would have logged an error.`,
		Example: `  swhook call --to http://localhost:3000/voice
  swhook call --to http://localhost:3000/voice --input 1 --dial busy
  swhook call --to http://localhost:3000/voice --input 2 --record 8 --json
  swhook call --to 'http://localhost:3000/voice#rt=8000' --fallback-url http://localhost:3000/sorry`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.To == "" {
				// The listen running on this store: the call goes through it.
				to, err := defaultTo(runningListeners(f, opts.StorePath))
				if err != nil {
					return err
				}
				opts.To = to
			}
			if !cmd.Flags().Changed("record") {
				opts.Record = -1
			} else if opts.Record < 0 {
				return cmdutil.UsageErrorf("--record %d: give the seconds the caller speaks (0 = silence)", opts.Record)
			}
			if opts.HangupAfter < 0 {
				return cmdutil.UsageErrorf("--hangup-after must not be negative")
			}
			if err := trigger.CheckAddresses(opts.From, opts.ToNumber, true, "call"); err != nil {
				return cmdutil.UsageErrorf("%v", err)
			}
			opts.StatusEvents = strings.FieldsFunc(events, func(r rune) bool { return r == ',' || r == ' ' })
			opts.SigningKey = cmdutil.SigningKey(opts.SigningKey, f.Getenv)
			if opts.SigningKey == "" && !opts.NoSignature {
				return cmdutil.UsageErrorf("no signing key: pass --signing-key or set $%s (or --no-signature to send unsigned)", cmdutil.EnvSigningKey)
			}
			if runF != nil {
				return runF(opts)
			}
			return runCall(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.To, "to", "", "the voice webhook URL (a #ot=&rt=&tt= fragment sets its timeouts; default: the swhook listen running on this store)")
	fl.StringVar(&opts.SignURL, "sign-url", "", "sign for this URL instead of --to (the URL your handler verifies)")
	fl.StringVar(&opts.From, "from", "", "the caller: E.164 like +15551234567 (default: random)")
	fl.StringVar(&opts.ToNumber, "to-number", "", "the called number: E.164 (default: random)")
	fl.StringArrayVar(&opts.Inputs, "input", nil, "what the caller does at the next Gather/Record: keys (1, 12#), speech:words, or - (repeatable)")
	fl.StringArrayVar(&opts.Dials, "dial", nil, "the outcome of the next Dial: "+strings.Join(call.DialOutcomes, ", ")+" (repeatable; default completed)")
	fl.IntVar(&opts.Record, "record", 0, "seconds the caller speaks at a Record (0 = silence)")
	fl.DurationVar(&opts.HangupAfter, "hangup-after", 0, "the caller hangs up after this long, like 30s")
	fl.StringVar(&opts.StatusCallback, "status-callback", "", "send the call's status callbacks here, as a number's StatusCallback")
	fl.StringVar(&events, "status-events", "completed", "which: initiated ringing answered completed (space or comma separated)")
	fl.StringVar(&opts.FallbackURL, "fallback-url", "", "requested when an action-type request fails, as a VoiceFallbackUrl")
	fl.IntVar(&opts.MaxSteps, "max-steps", call.DefaultMaxSteps, "stop after this many documents (a redirect loop)")
	fl.BoolVar(&opts.Realtime, "realtime", false, "wait the real durations (Pause, Gather timeouts, ringing)")
	fl.BoolVar(&opts.JSON, "json", false, "print the transcript as JSON, one object a line")
	fl.BoolVar(&opts.NoSignature, "no-signature", false, "send without a signature header")
	fl.BoolVar(&opts.SWML, "swml", false, "the webhook answers SWML: send SignalWire's JSON document fetch and run SWML")
	cmdutil.AddStoreFlag(cmd, &opts.StorePath)
	cmdutil.AddSigningKeyFlag(cmd, &opts.SigningKey)
	return cmd
}

func runCall(ctx context.Context, f *cmdutil.Factory, o *CallOptions) error {
	var term *call.Terminal
	if f.IOStreams.IsStdinTTY() {
		term = call.NewTerminal(o.IO.In, o.IO.ErrOut)
	}
	caller, err := call.NewScript(o.Inputs, o.Dials, o.Record, o.HangupAfter, term)
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	cfg := call.Config{
		URL: o.To, FallbackURL: o.FallbackURL, SignURL: o.SignURL, Key: o.SigningKey,
		From: o.From, To: o.ToNumber, StatusCallback: o.StatusCallback, StatusEvents: o.StatusEvents,
		MaxSteps: o.MaxSteps, Client: f.HTTPClient, Caller: caller, Rand: o.Rand, Now: f.Now,
		Sink: transcriptSink(o.IO.Out, o.JSON),
	}
	if o.Realtime {
		cfg.Clock = call.RealClock(f.Now)
	} else {
		cfg.Clock = call.FastClock(f.Now)
	}
	st, err := openStore(ctx, f, o.StorePath, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	// Sent through a running listen on this store: the listener's row is
	// each request's one record.
	cfg.Store = listenerSaver{st}
	cfg.Mark = listenerMark(runningListeners(f, o.StorePath), exchange.SourceCall)
	s, err := call.NewSession(cfg)
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	defer s.Close()
	if o.SWML {
		if err := swml.Call(ctx, s, swml.Options{}); err != nil {
			return err
		}
	} else {
		cxml.Voice(ctx, s)
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
