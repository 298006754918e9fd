package cmd

import (
	"context"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/replay/call"
	"github.com/swhook/swhook/replay/cxml"
	"github.com/swhook/swhook/replay/swml"
)

// MessageOptions holds what `swhook message` was asked to do.
type MessageOptions struct {
	SessionOptions
	Body    string
	Media   []string
	Outcome string
}

// NewCmdMessage builds `swhook message`.
func NewCmdMessage(f *cmdutil.Factory, runF func(*MessageOptions) error) *cobra.Command {
	opts := &MessageOptions{SessionOptions: SessionOptions{IO: f.IOStreams}}
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
			if !cmd.Flags().Changed("body") && len(opts.Media) == 0 {
				return cmdutil.UsageErrorf("--body TEXT is required (or --media URL for an MMS)")
			}
			if !slices.Contains(cxml.Outcomes, opts.Outcome) {
				return cmdutil.UsageErrorf("--outcome %q: use %s", opts.Outcome, strings.Join(cxml.Outcomes, ", "))
			}
			if err := opts.resolve(f, false, "message"); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runMessage(cmd.Context(), f, opts)
		},
	}
	addSessionFlags(cmd, &opts.SessionOptions, sessionHelp{
		to:          "the messaging webhook URL (default: the swhook listen running on this store)",
		from:        "the sender: E.164 (default: random)",
		toNumber:    "your number the message is sent to: E.164 (default: random)",
		fallbackURL: "requested when an action-type request fails, as an SmsFallbackUrl",
		swml:        "the webhook answers messaging SWML: send SignalWire's JSON message fetch and run SWML",
	})
	fl := cmd.Flags()
	fl.StringVar(&opts.Body, "body", "", "the message text")
	fl.StringArrayVar(&opts.Media, "media", nil, "a media URL: makes it an MMS (repeatable)")
	fl.StringVar(&opts.Outcome, "outcome", "delivered", "how every reply ends: "+strings.Join(cxml.Outcomes, ", "))
	return cmd
}

func runMessage(ctx context.Context, f *cmdutil.Factory, o *MessageOptions) error {
	cfg := call.Config{Clock: call.FastClock(f.Now)}
	return o.runSession(ctx, f, cfg, func(ctx context.Context, s *call.Session) error {
		if o.SWML {
			return swml.Message(ctx, s, swml.Inbound{Body: o.Body, Media: o.Media}, swml.Options{})
		}
		cxml.Message(ctx, s, cxml.Inbound{Body: o.Body, Media: o.Media, Outcome: o.Outcome})
		return nil
	})
}
