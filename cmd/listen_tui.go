package cmd

import (
	"context"
	"errors"

	"github.com/swhook/swhook/cmd/cmdutil"
)

// runTUI shows a listen session in the terminal UI until the user quits or
// ctx ends.
func runTUI(ctx context.Context, f *cmdutil.Factory, s liveSession) error {
	return errors.New("the terminal UI is not built yet; use --no-tui")
}
