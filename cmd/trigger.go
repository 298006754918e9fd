package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/store"
	"github.com/swhook/swhook/inspect/termsafe"
	"github.com/swhook/swhook/replay"
	"github.com/swhook/swhook/replay/trigger"
)

// TriggerOptions holds what `swhook trigger` was asked to do.
type TriggerOptions struct {
	IO           *cmdutil.IOStreams
	Event        string
	List         bool
	Sequence     string
	To           string
	SignURL      string
	Status       string
	From         string
	ToNumber     string
	Set          []replay.Assignment
	NoSignature  bool
	BadSignature bool
	SigningKey   string
	JSON         bool
	StorePath    string
	// Rand, when set, replaces the random source (tests pass a seeded one).
	Rand *rand.Rand
}

// NewCmdTrigger builds `swhook trigger`. runF replaces the run in tests of
// flag parsing; nil means the real run.
func NewCmdTrigger(f *cmdutil.Factory, runF func(*TriggerOptions) error) *cobra.Command {
	opts := &TriggerOptions{IO: f.IOStreams}
	var sets []string
	cmd := &cobra.Command{
		Use:   "trigger EVENT [--to URL]",
		Short: "Send a realistic, correctly signed synthetic webhook",
		Long: `Send a synthetic webhook with the parameters, encoding and identifiers
SignalWire really uses, signed exactly as SignalWire signs it, to --to and
nowhere else. 'swhook trigger --list' names the events. Without --to it goes
to the swhook listen running on this store (when exactly one is); the
listener then records it once, as its own row marked ⚡.

The signature is made for the --to URL, or for --sign-url when your handler
verifies against another URL (your public URL behind a tunnel).`,
		Example: `  swhook trigger --list
  swhook trigger call.inbound --to http://localhost:3000/voice
  swhook trigger call.status --status busy --to http://localhost:3000/status
  swhook trigger --sequence call --to http://localhost:3000/voice
  swhook trigger message.inbound --set Body=STOP --to http://localhost:3000/sms
  swhook trigger call.inbound --bad-signature --to http://localhost:3000/voice`,
		Args: cmdutil.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Event = args[0]
			}
			if opts.List {
				if opts.Event != "" {
					return cmdutil.UsageErrorf("--list takes no event")
				}
				// --list sends nothing: a flag beside it would be silently
				// ignored, and the user would think it had an effect.
				var others []string
				cmd.Flags().Visit(func(fl *pflag.Flag) {
					if fl.Name != "list" {
						others = append(others, "--"+fl.Name)
					}
				})
				if len(others) > 0 {
					return cmdutil.UsageErrorf("--list only names the events; drop %s, or drop --list to send", strings.Join(others, " "))
				}
				if runF != nil {
					return runF(opts)
				}
				return listTriggerEvents(opts)
			}
			if err := cmdutil.MutuallyExclusive(cmd, "no-signature", "bad-signature"); err != nil {
				return err
			}
			switch {
			case opts.Event != "" && opts.Sequence != "":
				return cmdutil.UsageErrorf("give an EVENT or --sequence, not both")
			case opts.Event == "" && opts.Sequence == "":
				return cmdutil.UsageErrorf("which event? 'swhook trigger --list' names them; or --sequence call")
			}
			var err error
			if opts.Set, err = parseAssignments("--set", sets); err != nil {
				return err
			}
			opts.SigningKey = cmdutil.SigningKey(opts.SigningKey, f.Getenv)
			if opts.SigningKey == "" && !opts.NoSignature && !opts.BadSignature {
				return cmdutil.UsageErrorf("no signing key: pass --signing-key or set $%s (or --no-signature to send unsigned)", cmdutil.EnvSigningKey)
			}
			if runF != nil {
				return runF(opts)
			}
			return runTrigger(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&opts.List, "list", false, "list the events, one a line")
	fl.StringVar(&opts.Sequence, "sequence", "", "send a series: call (inbound, ringing, in-progress, completed, recording)")
	fl.StringVar(&opts.To, "to", "", "the URL to send to (default: the swhook listen running on this store)")
	fl.StringVar(&opts.SignURL, "sign-url", "", "sign for this URL instead of --to (the URL your handler verifies)")
	fl.StringVar(&opts.Status, "status", "", "the status for call.status, message.status, relay.call.state")
	fl.StringVar(&opts.From, "from", "", "the caller / sender: E.164 like +15551234567, or sip:user@host on call events (default: random)")
	fl.StringVar(&opts.ToNumber, "to-number", "", "the called / recipient: E.164 like +15551234567, or sip:user@host on call events (default: random)")
	fl.StringArrayVar(&sets, "set", nil, "override a field: form parameter or JSON dotted path, Name=Value (repeatable)")
	fl.BoolVar(&opts.NoSignature, "no-signature", false, "send without a signature header")
	fl.BoolVar(&opts.BadSignature, "bad-signature", false, "send a deliberately wrong signature (test your rejection path)")
	fl.BoolVar(&opts.JSON, "json", false, "print the sent exchanges as JSON, one a line")
	cmdutil.AddStoreFlag(cmd, &opts.StorePath)
	cmdutil.AddSigningKeyFlag(cmd, &opts.SigningKey)
	return cmd
}

func listTriggerEvents(o *TriggerOptions) error {
	w := 0
	for _, e := range trigger.Events() {
		w = max(w, len(e.Name))
	}
	for _, e := range trigger.Events() {
		fmt.Fprintf(o.IO.Out, "%-*s  %s\n", w, e.Name, e.Description)
	}
	return nil
}

func runTrigger(ctx context.Context, f *cmdutil.Factory, o *TriggerOptions) error {
	p := trigger.Params{From: o.From, To: o.ToNumber, Status: o.Status, Set: o.Set, Rand: o.Rand, Now: f.Now}
	var hooks []trigger.Webhook
	if o.Sequence != "" {
		var err error
		if hooks, err = trigger.Sequence(o.Sequence, p); err != nil {
			return cmdutil.UsageErrorf("%v", err)
		}
	} else {
		w, err := trigger.Build(o.Event, p)
		if err != nil {
			return cmdutil.UsageErrorf("%v", err)
		}
		hooks = []trigger.Webhook{w}
	}
	running := runningListeners(f, o.StorePath)
	if o.To == "" {
		// The listen running on this store, as its live view suggests.
		to, err := defaultTo(running)
		if err != nil {
			return err
		}
		o.To = to
	}
	so := trigger.SendOptions{URL: o.To, SignURL: o.SignURL, Key: o.SigningKey, Now: f.Now,
		SentBy: sentByFor(running, o.To, exchange.SourceTrigger, 0)}
	switch {
	case o.NoSignature:
		so.Mode = trigger.SignNone
	case o.BadSignature:
		so.Mode = trigger.SignBad
	}
	if err := so.Validate(); err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}

	st, err := openStore(ctx, f, o.StorePath, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()

	failed := 0
	for _, w := range hooks {
		x, err := trigger.Send(ctx, f.HTTPClient, w, so)
		if err != nil {
			return err
		}
		// Sent to a listen on this store: its row is the one record.
		if row, ok := adoptListenerRow(ctx, st, x); ok {
			x = row
		} else if err := st.Save(ctx, x); err != nil {
			return fmt.Errorf("store the webhook: %w", err)
		}
		if !replay.OK(x.Response) {
			failed++
		}
		if o.JSON {
			b, err := json.Marshal(x)
			if err != nil {
				return err
			}
			if _, err := o.IO.Out.Write(append(exchange.EscapeControls(b), '\n')); err != nil {
				return err
			}
			continue
		}
		writeTriggerLine(o, w, x)
	}
	if failed > 0 {
		return cmdutil.ErrSilent
	}
	return nil
}

func writeTriggerLine(o *TriggerOptions, w trigger.Webhook, x *exchange.Exchange) {
	sig := "signed"
	switch {
	case o.NoSignature:
		sig = "unsigned"
	case o.BadSignature:
		sig = "bad signature"
	}
	name := w.Name
	if w.Event.Detail != "" {
		name += " " + w.Event.Detail
	}
	answer := replayStatusText(x.Response)
	if x.Response.Error != "" && x.ResponseCheck.Message != "" {
		// The check below quotes the error whole; say it once.
		answer = "no answer"
	}
	if x.ResponseCheck.Status == exchange.CheckError || x.ResponseCheck.Status == exchange.CheckWarning {
		answer += " (" + string(x.ResponseCheck.Status) + ": " + termsafe.String(oneLine(x.ResponseCheck.Message)) + ")"
	}
	fmt.Fprintf(o.IO.Out, "#%d sent %s (%s) to %s: %s\n", x.ID, strings.TrimSpace(name), sig,
		termsafe.String(o.To), answer)
}
