package cmd

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/replay/call"
	"github.com/swhook/swhook/replay/cxml"
	"github.com/swhook/swhook/replay/swml"
)

// CallOptions holds what `swhook call` was asked to do.
type CallOptions struct {
	SessionOptions
	Inputs         []string
	Dials          []string
	Record         int
	HangupAfter    time.Duration
	StatusCallback string
	StatusEvents   []string
	Realtime       bool
}

// NewCmdCall builds `swhook call`. runF replaces the run in tests of flag
// parsing; nil means the real run.
func NewCmdCall(f *cmdutil.Factory, runF func(*CallOptions) error) *cobra.Command {
	opts := &CallOptions{SessionOptions: SessionOptions{IO: f.IOStreams}}
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
			if !cmd.Flags().Changed("record") {
				opts.Record = -1
			} else if opts.Record < 0 {
				return cmdutil.UsageErrorf("--record %d: give the seconds the caller speaks (0 = silence)", opts.Record)
			}
			if opts.HangupAfter < 0 {
				return cmdutil.UsageErrorf("--hangup-after must not be negative")
			}
			opts.StatusEvents = strings.FieldsFunc(events, func(r rune) bool { return r == ',' || r == ' ' })
			if err := opts.resolve(f, true, "call"); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runCall(cmd.Context(), f, opts)
		},
	}
	addSessionFlags(cmd, &opts.SessionOptions, sessionHelp{
		to:          "the voice webhook URL (a #ot=&rt=&tt= fragment sets its timeouts; default: the swhook listen running on this store)",
		from:        "the caller: E.164 like +15551234567 (default: random)",
		toNumber:    "the called number: E.164 (default: random)",
		fallbackURL: "requested when an action-type request fails, as a VoiceFallbackUrl",
		swml:        "the webhook answers SWML: send SignalWire's JSON document fetch and run SWML",
	})
	fl := cmd.Flags()
	fl.StringArrayVar(&opts.Inputs, "input", nil, "what the caller does at the next Gather/Record: keys (1, 12#), speech:words, or - (repeatable)")
	fl.StringArrayVar(&opts.Dials, "dial", nil, "the outcome of the next Dial: "+strings.Join(call.DialOutcomes, ", ")+" (repeatable; default completed)")
	fl.IntVar(&opts.Record, "record", 0, "seconds the caller speaks at a Record (0 = silence)")
	fl.DurationVar(&opts.HangupAfter, "hangup-after", 0, "the caller hangs up after this long, like 30s")
	fl.StringVar(&opts.StatusCallback, "status-callback", "", "send the call's status callbacks here, as a number's StatusCallback")
	fl.StringVar(&events, "status-events", "completed", "which: initiated ringing answered completed (space or comma separated)")
	fl.BoolVar(&opts.Realtime, "realtime", false, "wait the real durations (Pause, Gather timeouts, ringing)")
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
	cfg := call.Config{Caller: caller, StatusCallback: o.StatusCallback, StatusEvents: o.StatusEvents}
	if o.Realtime {
		cfg.Clock = call.RealClock(f.Now)
	} else {
		cfg.Clock = call.FastClock(f.Now)
	}
	return o.runSession(ctx, f, cfg, func(ctx context.Context, s *call.Session) error {
		if o.SWML {
			return swml.Call(ctx, s, swml.Options{})
		}
		cxml.Voice(ctx, s)
		return nil
	})
}
