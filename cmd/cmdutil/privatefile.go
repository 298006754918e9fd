package cmdutil

import (
	"fmt"
	"os"
	"path/filepath"
)

// WritePrivateFile writes data to path as a 0600 file, the way a file
// holding captured webhooks (signatures, whatever they said) must be left:
// it writes a new temporary file beside path and renames it over path, so
// a symlink planted at path is replaced, never followed, and an existing
// file's wider mode never survives. A reader sees the old file or the new
// one whole, never half.
func WritePrivateFile(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*") // O_EXCL, 0600
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil { // CreateTemp's mode already, but say it
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
