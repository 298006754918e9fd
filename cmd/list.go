package cmd

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/swhook/swhook/cmd/cmdutil"
)

// ListOptions holds what `swhook list` was asked to do.
type ListOptions struct {
	IO *cmdutil.IOStreams
}

// NewCmdList builds `swhook list`. runF replaces the run in tests of
// flag parsing; nil means the real run.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams}
	return &cobra.Command{
		Use:   "list",
		Short: "(not built yet)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return errors.New("swhook list is not built yet")
		},
	}
}
