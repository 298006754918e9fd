// Package cmd wires swhook's commands: it parses flags, resolves the
// environment and hands the work to the packages that hold the logic.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/swhook/swhook/cmd/cmdutil"
)

// version is stamped by the release build (-ldflags "-X .../cmd.version=...").
var version = "dev"

// Execute runs swhook with the process's own streams and environment and
// returns the exit status; main passes it to os.Exit.
func Execute() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, cmdutil.New(version), os.Args[1:])
}

// Run executes one command line against a factory. Tests call it in-process.
func Run(ctx context.Context, f *cmdutil.Factory, args []string) int {
	root := NewCmdRoot(f)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil && !errors.Is(err, cmdutil.ErrSilent) {
		msg := err.Error()
		if strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "unknown flag") ||
			strings.HasPrefix(msg, "unknown shorthand") || strings.Contains(msg, "flag needs an argument") {
			err = &cmdutil.FlagError{Err: err}
		}
		msg = oneLine(err.Error())
		if cmdutil.IsUsage(err) {
			// Still one line: where to read the usage goes on the error's.
			msg += fmt.Sprintf(" (see '%s --help')", commandPath(root, args))
		}
		fmt.Fprintf(f.IOStreams.ErrOut, "swhook: %s\n", msg)
	}
	return cmdutil.ExitCode(err)
}

// oneLine keeps an error to one line: the standard says errors are one
// clear line, and a wrapped network error can carry newlines.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

func commandPath(root *cobra.Command, args []string) string {
	c, _, err := root.Find(args)
	if err != nil {
		return root.CommandPath()
	}
	return c.CommandPath()
}

// NewCmdRoot builds the command tree.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "swhook",
		Short: "See, verify and replay SignalWire webhooks on your laptop",
		Long: `swhook opens a public URL to your machine, shows every SignalWire webhook live
with a badge saying whether its signature is valid, passes it to your handler
untouched, keeps it, and replays it on demand.`,
		Example: `  # receive webhooks and pass them to your app on port 3000
  swhook listen --forward http://localhost:3000

  # why does my handler reject this signature?
  swhook verify --url https://example.ngrok.app/voice --signature 'RSOY…' --body-file body.txt

  # the last callback again, re-signed for the public URL your app checks against
  swhook replay last --resign`,
		Version:       f.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(f.IOStreams.In)
	root.SetOut(f.IOStreams.Out)
	root.SetErr(f.IOStreams.ErrOut)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &cmdutil.FlagError{Err: err}
	})
	root.SetVersionTemplate("swhook {{.Version}}\n")

	root.AddCommand(
		NewCmdListen(f, nil),
		NewCmdList(f, nil),
		NewCmdShow(f, nil),
		NewCmdReplay(f, nil),
		NewCmdTrigger(f, nil),
		NewCmdCall(f, nil),
		NewCmdMessage(f, nil),
		NewCmdVerify(f, nil),
		NewCmdSign(f, nil),
		NewCmdExport(f, nil),
		NewCmdClear(f, nil),
		NewCmdNumbers(f),
	)
	return root
}
