package cmd

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/swhook/swhook/cmd/cmdutil"
)

// SignOptions holds what `swhook sign` was asked to do.
type SignOptions struct {
	IO *cmdutil.IOStreams
}

// NewCmdSign builds `swhook sign`. runF replaces the run in tests of
// flag parsing; nil means the real run.
func NewCmdSign(f *cmdutil.Factory, runF func(*SignOptions) error) *cobra.Command {
	opts := &SignOptions{IO: f.IOStreams}
	return &cobra.Command{
		Use:   "sign",
		Short: "(not built yet)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return errors.New("swhook sign is not built yet")
		},
	}
}
