package cmd

import (
	"context"
	"math/rand/v2"
	"strings"

	"github.com/spf13/cobra"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/store"
	"github.com/swhook/swhook/replay/call"
	"github.com/swhook/swhook/replay/cxml"
	"github.com/swhook/swhook/replay/swml"
	"github.com/swhook/swhook/replay/trigger"
)

// MessageOptions holds what `swhook message` was asked to do.
type MessageOptions struct {
	IO          *cmdutil.IOStreams
	To          string
	SignURL     string
	Body        string
	Media       []string
	From        string
	ToNumber    string
	Outcome     string
	FallbackURL string
	MaxSteps    int
	JSON        bool
	NoSignature bool
	// SWML says the webhook answers messaging SWML.
	SWML       bool
	SigningKey string
	StorePath  string
	Rand       *rand.Rand
}

// NewCmdMessage builds `swhook message`.
func NewCmdMessage(f *cmdutil.Factory, runF func(*MessageOptions) error) *cobra.Command {
	opts := &MessageOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "message --to URL --body TEXT",
		Short: "Send an inbound message to your messaging webhook and play its replies",
		Long: `Send a pretend inbound SMS (or MMS with --media) to the cXML messaging
webhook at --to, run the answer (Message, Redirect), print the replies and
send each reply's status callbacks in order: queued, sent, then delivered
(or --outcome undelivered|failed). An MMS stops at sent, as carriers send no
delivery receipt for MMS. Every request is signed and kept in the store.`,
		Example: `  swhook message --to http://localhost:3000/sms --body "hello"
  swhook message --to http://localhost:3000/sms --body "pic" --media https://example.com/cat.jpg
  swhook message --to http://localhost:3000/sms --body STOP --outcome undelivered --json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.To == "" {
				// The listen running on this store: the message goes through it.
				to, err := defaultTo(runningListeners(f, opts.StorePath))
				if err != nil {
					return err
				}
				opts.To = to
			}
			switch {
			case !cmd.Flags().Changed("body") && len(opts.Media) == 0:
				return cmdutil.UsageErrorf("--body TEXT is required (or --media URL for an MMS)")
			}
			if err := trigger.CheckAddresses(opts.From, opts.ToNumber, false, "message"); err != nil {
				return cmdutil.UsageErrorf("%v", err)
			}
			ok := false
			for _, o := range cxml.Outcomes {
				ok = ok || o == opts.Outcome
			}
			if !ok {
				return cmdutil.UsageErrorf("--outcome %q: use %s", opts.Outcome, strings.Join(cxml.Outcomes, ", "))
			}
			opts.SigningKey = cmdutil.SigningKey(opts.SigningKey, f.Getenv)
			if opts.SigningKey == "" && !opts.NoSignature {
				return cmdutil.UsageErrorf("no signing key: pass --signing-key or set $%s (or --no-signature to send unsigned)", cmdutil.EnvSigningKey)
			}
			if runF != nil {
				return runF(opts)
			}
			return runMessage(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.To, "to", "", "the messaging webhook URL (default: the swhook listen running on this store)")
	fl.StringVar(&opts.SignURL, "sign-url", "", "sign for this URL instead of --to (the URL your handler verifies)")
	fl.StringVar(&opts.Body, "body", "", "the message text")
	fl.StringArrayVar(&opts.Media, "media", nil, "a media URL: makes it an MMS (repeatable)")
	fl.StringVar(&opts.From, "from", "", "the sender: E.164 (default: random)")
	fl.StringVar(&opts.ToNumber, "to-number", "", "your number the message is sent to: E.164 (default: random)")
	fl.StringVar(&opts.Outcome, "outcome", "delivered", "how every reply ends: "+strings.Join(cxml.Outcomes, ", "))
	fl.StringVar(&opts.FallbackURL, "fallback-url", "", "requested when an action-type request fails, as an SmsFallbackUrl")
	fl.IntVar(&opts.MaxSteps, "max-steps", call.DefaultMaxSteps, "stop after this many documents (a redirect loop)")
	fl.BoolVar(&opts.JSON, "json", false, "print the transcript as JSON, one object a line")
	fl.BoolVar(&opts.NoSignature, "no-signature", false, "send without a signature header")
	fl.BoolVar(&opts.SWML, "swml", false, "the webhook answers messaging SWML: send SignalWire's JSON message fetch and run SWML")
	cmdutil.AddStoreFlag(cmd, &opts.StorePath)
	cmdutil.AddSigningKeyFlag(cmd, &opts.SigningKey)
	return cmd
}

func runMessage(ctx context.Context, f *cmdutil.Factory, o *MessageOptions) error {
	st, err := openStore(ctx, f, o.StorePath, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	s, err := call.NewSession(call.Config{
		URL: o.To, FallbackURL: o.FallbackURL, SignURL: o.SignURL, Key: o.SigningKey,
		From: o.From, To: o.ToNumber, MaxSteps: o.MaxSteps, Client: f.HTTPClient, Rand: o.Rand,
		Store: listenerSaver{st}, Mark: listenerMark(runningListeners(f, o.StorePath), exchange.SourceCall),
		Sink: transcriptSink(o.IO.Out, o.JSON), Clock: call.FastClock(f.Now), Now: f.Now,
	})
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	defer s.Close()
	if o.SWML {
		if err := swml.Message(ctx, s, swml.Inbound{Body: o.Body, Media: o.Media}, swml.Options{}); err != nil {
			return err
		}
	} else {
		cxml.Message(ctx, s, cxml.Inbound{Body: o.Body, Media: o.Media, Outcome: o.Outcome})
	}
	if s.Failed() {
		return cmdutil.ErrSilent
	}
	return nil
}
