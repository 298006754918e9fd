package cmd

import (
	"path/filepath"
	"strings"
	"testing"
)

// --forward at listen's own address is refused before anything starts,
// in one line, as a usage error: one webhook once became 9 133 stored
// exchanges that way (issue 10 point 4).
func TestListenRefusesToForwardToItself(t *testing.T) {
	env := map[string]string{"SWHOOK_STORE": filepath.Join(t.TempDir(), "s.db")}
	for _, c := range []struct{ addr, forward string }{
		{"127.0.0.1:4747", "http://localhost:4747"},
		{"", "http://LOCALHOST:4747/hooks"},
		{"127.0.0.1:4747", "http://127.0.0.1:4747"},
		{"127.0.0.1:4747", "http://127.0.0.2:4747"},
		{"127.0.0.1:4747", "http://0.0.0.0:4747"},
		{"[::1]:4750", "http://[::1]:4750"},
		{"[::1]:4750", "http://localhost:4750"},
		{"0.0.0.0:4751", "http://127.0.0.1:4751"},
		{"127.0.0.1:80", "http://localhost"},
	} {
		args := []string{"listen", "--no-tunnel", "--no-tui", "--forward", c.forward}
		if c.addr != "" {
			args = append(args, "--addr", c.addr)
		}
		code, stdout, stderr := runCmd(t, env, "", args...)
		if code != 2 || stdout != "" || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "is this listener itself") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
	}
}
