package cmd

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/swhook/swhook/cmd/cmdutil"
)

// TriggerOptions holds what `swhook trigger` was asked to do.
type TriggerOptions struct {
	IO *cmdutil.IOStreams
}

// NewCmdTrigger builds `swhook trigger`. runF replaces the run in tests of
// flag parsing; nil means the real run.
func NewCmdTrigger(f *cmdutil.Factory, runF func(*TriggerOptions) error) *cobra.Command {
	opts := &TriggerOptions{IO: f.IOStreams}
	return &cobra.Command{
		Use:   "trigger EVENT",
		Short: "(not built yet)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return errors.New("swhook trigger is not built yet")
		},
	}
}
