package cmd

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// update makes checkGolden rewrite the golden files: go test ./cmd -update.
var update = flag.Bool("update", false, "rewrite the golden files")

// checkGolden compares a command's terminal output with testdata/name.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./cmd -run %s -update writes it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n%s", path, got)
	}
}
