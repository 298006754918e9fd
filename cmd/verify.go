package cmd

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/swhook/swhook/cmd/cmdutil"
)

// VerifyOptions holds what `swhook verify` was asked to do.
type VerifyOptions struct {
	IO *cmdutil.IOStreams
}

// NewCmdVerify builds `swhook verify`. runF replaces the run in tests of
// flag parsing; nil means the real run.
func NewCmdVerify(f *cmdutil.Factory, runF func(*VerifyOptions) error) *cobra.Command {
	opts := &VerifyOptions{IO: f.IOStreams}
	return &cobra.Command{
		Use:   "verify [ID]",
		Short: "(not built yet)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return errors.New("swhook verify is not built yet")
		},
	}
}
