package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// export --har never writes through a symlink planted at FILE, and leaves
// a 0600 file whatever mode an existing one had.
func TestExportHARFileIsPrivateAndNeverFollowsSymlinks(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"SWHOOK_STORE": filepath.Join(dir, "s.db")}

	victim := filepath.Join(dir, "victim")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.har")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCmd(t, env, "", "export", "--har", link); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
		t.Fatalf("the symlink's target was overwritten: %q", b)
	}
	fi, err := os.Lstat(link)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%s is %v, want a regular 0600 file", link, fi.Mode())
	}

	wide := filepath.Join(dir, "wide.har")
	if err := os.WriteFile(wide, []byte("old"), 0o666); err != nil {
		t.Fatal(err)
	}
	os.Chmod(wide, 0o666)
	if code, _, stderr := runCmd(t, env, "", "export", "--har", wide); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	fi, _ = os.Stat(wide)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("existing file left %v, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(wide)
	if !strings.Contains(string(b), `"version": "1.2"`) {
		t.Fatalf("not an archive: %q", b)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}
