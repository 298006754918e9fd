package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/termsafe"
	"github.com/swhook/swhook/tunnel/numbers"
)

// signalWireFlags name the project and Space; the API token is never a
// flag (ps would show it): it comes from the environment or a prompt.
type signalWireFlags struct {
	Project string
	Space   string
	// readToken replaces the terminal prompt in tests.
	readToken func() (string, error)
}

func addSignalWireFlags(cmd *cobra.Command, s *signalWireFlags) {
	cmd.Flags().StringVar(&s.Project, "project", "", "SignalWire project `ID` (default: $"+numbers.EnvProject+"; the API token comes from $"+numbers.EnvToken+" or a prompt, never a flag)")
	cmd.Flags().StringVar(&s.Space, "space", "", "SignalWire Space, e.g. example.signalwire.com (default: $"+numbers.EnvSpace+")")
}

// credentials resolves the flags and environment. The token is asked for
// on the terminal when the environment has none; without a terminal, the
// error says which variable to set.
func (s signalWireFlags) credentials(f *cmdutil.Factory) (numbers.Credentials, error) {
	c := numbers.Credentials{
		Project: strings.TrimSpace(cmpOr(s.Project, f.Getenv(numbers.EnvProject))),
		Space:   strings.TrimSpace(cmpOr(s.Space, f.Getenv(numbers.EnvSpace))),
		Token:   strings.TrimSpace(f.Getenv(numbers.EnvToken)),
	}
	c.TokenSource = "$" + numbers.EnvToken
	if c.Project == "" {
		return c, cmdutil.UsageErrorf("no SignalWire project ID: set $%s or pass --project (the Space dashboard shows it under API)", numbers.EnvProject)
	}
	if c.Space == "" {
		return c, cmdutil.UsageErrorf("no SignalWire Space: set $%s (e.g. example.signalwire.com) or pass --space", numbers.EnvSpace)
	}
	if _, err := numbers.SpaceURL(c.Space); err != nil {
		return c, cmdutil.UsageErrorf("%v", err)
	}
	if c.Token == "" {
		read := s.readToken
		if read == nil && f.IOStreams.IsStdinTTY() {
			read = func() (string, error) { return promptToken(f, c) }
		}
		if read == nil {
			return c, cmdutil.UsageErrorf("no SignalWire API token: set $%s to a token with the Numbers scope (a flag would show it in ps)", numbers.EnvToken)
		}
		tok, err := read()
		if err != nil {
			return c, fmt.Errorf("read the API token: %w", err)
		}
		if c.Token = strings.TrimSpace(tok); c.Token == "" {
			return c, cmdutil.UsageErrorf("no SignalWire API token given")
		}
		c.TokenSource = "the prompt"
	}
	return c, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// promptToken asks on the terminal without echo.
func promptToken(f *cmdutil.Factory, c numbers.Credentials) (string, error) {
	in, ok := f.IOStreams.In.(*os.File)
	if !ok {
		return "", errors.New("stdin is not a terminal")
	}
	fmt.Fprintf(f.IOStreams.ErrOut, "SignalWire API token for project %s (not shown; $%s avoids this): ", c.Project, numbers.EnvToken)
	b, err := term.ReadPassword(int(in.Fd()))
	fmt.Fprintln(f.IOStreams.ErrOut)
	return string(b), err
}

func (s signalWireFlags) client(f *cmdutil.Factory) (*numbers.Client, error) {
	c, err := s.credentials(f)
	if err != nil {
		return nil, err
	}
	return numbers.NewClient(c, f.HTTPClient)
}

// numberRecords is where restore records live: the user's state directory
// (beside the default store, whatever --store says), so every run finds them.
func numberRecords(f *cmdutil.Factory) (numbers.Records, error) {
	p, err := cmdutil.DefaultStorePath(func(k string) string {
		if k == cmdutil.EnvStore {
			return ""
		}
		return f.Getenv(k)
	})
	if err != nil {
		return numbers.Records{}, errors.New("cannot find a state directory for restore records: set $HOME or $XDG_STATE_HOME")
	}
	return numbers.Records{Dir: filepath.Join(filepath.Dir(p), "numbers")}, nil
}

// safeError makes an error safe for the terminal (SignalWire's texts come
// from the network) and keeps joined errors on one line.
type safeError struct{ err error }

func (e safeError) Error() string {
	return termsafe.String(strings.ReplaceAll(e.err.Error(), "\n", "; "))
}
func (e safeError) Unwrap() error { return e.err }

func safeErr(err error) error {
	var fe *cmdutil.FlagError
	if err == nil || errors.As(err, &fe) || errors.Is(err, cmdutil.ErrSilent) {
		return err
	}
	return safeError{err}
}

// sayTo is say bound to w, for the numbers package's notes.
func sayTo(w io.Writer) func(...string) {
	return func(lines ...string) { say(w, lines...) }
}

func say(w io.Writer, lines ...string) {
	for _, l := range lines {
		fmt.Fprintln(w, "swhook: "+termsafe.String(l))
	}
}

// NumbersOptions holds what `swhook numbers` was asked to do.
type NumbersOptions struct {
	IO   *cmdutil.IOStreams
	SW   signalWireFlags
	JSON bool
}

// NewCmdNumbers builds `swhook numbers` and `swhook numbers restore`.
func NewCmdNumbers(f *cmdutil.Factory) *cobra.Command {
	opts := &NumbersOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "numbers",
		Short: "List the project's phone numbers and where their calls and messages go",
		Long: `List the project's phone numbers with where each one's calls and messages go:
the handler type and its URLs, or the Fabric resource it is routed to. Numbers
swhook listen --number has pointed at a tunnel are marked.

Credentials: $SIGNALWIRE_PROJECT_ID, $SIGNALWIRE_SPACE_URL (or --project,
--space) and $SIGNALWIRE_API_TOKEN, a token with the Numbers scope (asked for
on a terminal when unset; never a flag).`,
		Example: `  swhook numbers
  swhook numbers --json
  swhook numbers restore`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return safeErr(runNumbersList(cmd.Context(), f, opts))
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "write the numbers as JSON")
	addSignalWireFlags(cmd, &opts.SW)
	cmd.AddCommand(newCmdNumbersRestore(f))
	return cmd
}

func runNumbersList(ctx context.Context, f *cmdutil.Factory, o *NumbersOptions) error {
	c, err := o.SW.client(f)
	if err != nil {
		return err
	}
	recs, err := numberRecords(f)
	if err != nil {
		return err
	}
	records, recErr := recs.List()
	host, _ := os.Hostname()
	list, err := c.List(ctx, records, host)
	if err != nil {
		return err
	}
	if o.JSON {
		b, err := json.MarshalIndent(list, "", "  ")
		if err != nil {
			return err
		}
		if _, err := o.IO.Out.Write(append(exchange.EscapeControls(b), '\n')); err != nil {
			return err
		}
	} else {
		numbers.WriteList(o.IO.Out, list)
	}
	if recErr != nil {
		say(o.IO.ErrOut, recErr.Error())
	}
	return nil
}

// NumbersRestoreOptions holds what `swhook numbers restore` was asked.
type NumbersRestoreOptions struct {
	IO     *cmdutil.IOStreams
	SW     signalWireFlags
	Number string
}

func newCmdNumbersRestore(f *cmdutil.Factory) *cobra.Command {
	opts := &NumbersRestoreOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "restore [NUMBER]",
		Short: "Put numbers back as they were before swhook listen pointed them",
		Long: `Put back every number (or only NUMBER) from the restore records that swhook
listen --number writes before it changes anything: after a crash, kill -9 or a
restore that failed. Only fields still holding the value swhook set are
changed; a field someone changed meanwhile is left and said. Records of a
listen that is still running are left to it.`,
		Example: `  swhook numbers restore
  swhook numbers restore +15551234567`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return cmdutil.UsageErrorf("%s takes at most one number; usage: %s", cmd.CommandPath(), cmd.UseLine())
			}
			if len(args) == 1 {
				n, err := numbers.E164(args[0])
				if err != nil {
					return cmdutil.UsageErrorf("%v", err)
				}
				opts.Number = n
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return safeErr(runNumbersRestore(cmd.Context(), f, opts))
		},
	}
	addSignalWireFlags(cmd, &opts.SW)
	return cmd
}

func runNumbersRestore(ctx context.Context, f *cmdutil.Factory, o *NumbersRestoreOptions) error {
	recs, err := numberRecords(f)
	if err != nil {
		return err
	}
	list, listErr := recs.List()
	if o.Number != "" {
		list = slices.DeleteFunc(list, func(r *numbers.Record) bool { return !slices.Contains(r.Numbers, o.Number) })
	}
	if len(list) == 0 {
		if listErr != nil {
			return listErr
		}
		what := "no number"
		if o.Number != "" {
			what = o.Number + " is not"
		}
		fmt.Fprintf(o.IO.ErrOut, "swhook: nothing to restore: %s pointed by swhook (no restore record in %s)\n", what, termsafe.String(recs.Dir))
		return nil
	}
	c, err := recordClient(f, o.SW, list[0])
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	err = numbers.RestoreRecords(ctx, c, recs, list, host, sayTo(o.IO.ErrOut), true)
	return errors.Join(err, listErr)
}

// recordClient builds a client for a record's project and Space: the
// environment's token, and its project and Space when given (they must
// match the record's).
func recordClient(f *cmdutil.Factory, sw signalWireFlags, rec *numbers.Record) (*numbers.Client, error) {
	if sw.Project == "" && f.Getenv(numbers.EnvProject) == "" {
		sw.Project = rec.Project
	}
	if sw.Space == "" && f.Getenv(numbers.EnvSpace) == "" {
		sw.Space = rec.Space
	}
	return sw.client(f)
}
