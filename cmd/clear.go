package cmd

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/swhook/swhook/cmd/cmdutil"
)

// ClearOptions holds what `swhook clear` was asked to do.
type ClearOptions struct {
	IO *cmdutil.IOStreams
}

// NewCmdClear builds `swhook clear`. runF replaces the run in tests of
// flag parsing; nil means the real run.
func NewCmdClear(f *cmdutil.Factory, runF func(*ClearOptions) error) *cobra.Command {
	opts := &ClearOptions{IO: f.IOStreams}
	return &cobra.Command{
		Use:   "clear",
		Short: "(not built yet)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return errors.New("swhook clear is not built yet")
		},
	}
}
