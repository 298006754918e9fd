//go:build !unix

package journal

import (
	"errors"
	"os"
)

// Supported says whether journals can be used here: without flock a recovering process cannot tell a
// crashed listener's journal from a running one's, so stores on these
// systems commit every Save to SQLite directly (Options.Journal is ignored).
const Supported = false

func tryLock(*os.File) (bool, error) { return false, errors.New("file locks are not supported here") }
