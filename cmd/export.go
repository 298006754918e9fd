package cmd

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/swhook/swhook/cmd/cmdutil"
)

// ExportOptions holds what `swhook export` was asked to do.
type ExportOptions struct {
	IO *cmdutil.IOStreams
}

// NewCmdExport builds `swhook export`. runF replaces the run in tests of
// flag parsing; nil means the real run.
func NewCmdExport(f *cmdutil.Factory, runF func(*ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{IO: f.IOStreams}
	return &cobra.Command{
		Use:   "export",
		Short: "(not built yet)",
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return errors.New("swhook export is not built yet")
		},
	}
}
