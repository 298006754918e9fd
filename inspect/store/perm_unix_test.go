//go:build unix

package store

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/swhook/swhook/inspect/exchange"
)

func TestPermissions(t *testing.T) {
	old := syscall.Umask(0) // the most permissive umask must not leak the store
	defer syscall.Umask(old)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "state", "swhook")
	path := filepath.Join(dir, "swhook.db")
	st, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Save(ctx, &exchange.Exchange{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Dir(dir), dir} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v, want 0700", p, fi.Mode().Perm(), err)
		}
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v, want 0600 (%v)", p, fi.Mode().Perm(), err)
		}
	}
	st.Close()
}
