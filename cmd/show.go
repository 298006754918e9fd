package cmd

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/swhook/swhook/cmd/cmdutil"
)

// ShowOptions holds what `swhook show` was asked to do.
type ShowOptions struct {
	IO *cmdutil.IOStreams
}

// NewCmdShow builds `swhook show`. runF replaces the run in tests of
// flag parsing; nil means the real run.
func NewCmdShow(f *cmdutil.Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IOStreams}
	return &cobra.Command{
		Use:   "show ID|last",
		Short: "(not built yet)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return errors.New("swhook show is not built yet")
		},
	}
}
