//go:build unix

package store

import (
	"fmt"
	"path/filepath"
	"syscall"
)

// checkWritable fails when the store file or its directory (where the
// journal, the WAL and the ID counter go) cannot be written: a listener
// would then answer webhooks and keep none of them.
func checkWritable(path string) error {
	const wOK = 2 // W_OK: access(2) also says EROFS for a read-only mount
	for _, p := range []string{path, filepath.Dir(path)} {
		if err := syscall.Access(p, wOK); err != nil {
			what := "the store file"
			if p != path {
				what = "its directory"
			}
			return fmt.Errorf("%w: %s cannot be written (%v), so nothing received would be saved", ErrReadOnly, what, err)
		}
	}
	return nil
}
