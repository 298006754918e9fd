package cmd

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/swhook/swhook/cmd/cmdutil"
)

// ListenOptions holds what `swhook listen` was asked to do.
type ListenOptions struct {
	IO *cmdutil.IOStreams
}

// NewCmdListen builds `swhook listen`. runF replaces the run in tests of
// flag parsing; nil means the real run.
func NewCmdListen(f *cmdutil.Factory, runF func(*ListenOptions) error) *cobra.Command {
	opts := &ListenOptions{IO: f.IOStreams}
	return &cobra.Command{
		Use:   "listen",
		Short: "(not built yet)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return errors.New("swhook listen is not built yet")
		},
	}
}
