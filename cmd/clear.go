package cmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect/store"
)

// ClearOptions holds what `swhook clear` was asked to do.
type ClearOptions struct {
	IO        *cmdutil.IOStreams
	StorePath string
	Yes       bool
}

// NewCmdClear builds `swhook clear`. runF replaces the run in tests of
// flag parsing; nil means the real run.
func NewCmdClear(f *cmdutil.Factory, runF func(*ClearOptions) error) *cobra.Command {
	opts := &ClearOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "clear",
		Short: "Delete every captured exchange",
		Long: `Delete every captured exchange from the store. IDs carry on from the
highest, so a number you noted never names another webhook.
On a terminal it asks first; --yes skips the question (and is required when
stdin is not a terminal, so a script never clears by accident).`,
		Example: `  swhook clear
  swhook clear --yes`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !opts.Yes && !opts.IO.IsStdinTTY() {
				return cmdutil.UsageErrorf("clear deletes every exchange: pass --yes to confirm when not on a terminal")
			}
			if runF != nil {
				return runF(opts)
			}
			return runClear(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	cmdutil.AddStoreFlag(cmd, &opts.StorePath)
	return cmd
}

func runClear(ctx context.Context, f *cmdutil.Factory, opts *ClearOptions) error {
	st, err := openExistingStore(ctx, f, opts.StorePath)
	if errors.Is(err, store.ErrNoStore) {
		fmt.Fprintln(opts.IO.ErrOut, "nothing to clear: there is no store yet")
		return nil
	}
	if err != nil {
		return err
	}
	defer st.Close()
	n, err := st.Count(ctx, store.Query{})
	if err != nil {
		return err
	}
	if !opts.Yes {
		fmt.Fprintf(opts.IO.ErrOut, "Delete all %d exchanges in %s? [y/N] ", n, st.Path())
		answer, _ := bufio.NewReader(opts.IO.In).ReadString('\n')
		switch strings.ToLower(strings.TrimSpace(answer)) {
		case "y", "yes":
		default:
			fmt.Fprintln(opts.IO.ErrOut, "nothing deleted")
			return cmdutil.ErrSilent
		}
	}
	if err := st.Clear(ctx); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "deleted %d exchanges\n", n)
	return nil
}
