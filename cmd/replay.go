package cmd

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/swhook/swhook/cmd/cmdutil"
)

// ReplayOptions holds what `swhook replay` was asked to do.
type ReplayOptions struct {
	IO *cmdutil.IOStreams
}

// NewCmdReplay builds `swhook replay`. runF replaces the run in tests of
// flag parsing; nil means the real run.
func NewCmdReplay(f *cmdutil.Factory, runF func(*ReplayOptions) error) *cobra.Command {
	opts := &ReplayOptions{IO: f.IOStreams}
	return &cobra.Command{
		Use:   "replay ID|last",
		Short: "(not built yet)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return errors.New("swhook replay is not built yet")
		},
	}
}
