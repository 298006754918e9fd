package cmd

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/store"
)

func storeCount(t *testing.T, env map[string]string) int {
	t.Helper()
	st, err := store.Open(context.Background(), env[cmdutil.EnvStore], store.Options{MustExist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err := st.Count(context.Background(), store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// IDs carry on after a clear: a listen running meanwhile must see the next
// ones, and a number noted before never names another webhook.
func TestClearYesEmptiesAndKeepsIDsIncreasing(t *testing.T) {
	env, _ := seedStore(t)
	code, stdout, stderr := storeRun{env: env}.run(t, "clear", "--yes")
	if code != 0 || stdout != "" || !strings.Contains(stderr, "deleted 6 exchanges") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if n := storeCount(t, env); n != 0 {
		t.Fatalf("%d exchanges left", n)
	}
	st, err := store.Open(context.Background(), env[cmdutil.EnvStore], store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	x := &exchange.Exchange{}
	if err := st.Save(context.Background(), x); err != nil || x.ID != 7 {
		t.Errorf("first ID after clearing #1-#6 = %d, %v; want 7", x.ID, err)
	}
}

func TestClearAsksOnATerminal(t *testing.T) {
	env, _ := seedStore(t)
	code, _, stderr := storeRun{env: env, stdinTTY: true, stdin: "n\n"}.run(t, "clear")
	if code != 1 || !strings.Contains(stderr, "Delete all 6 exchanges") || !strings.Contains(stderr, "nothing deleted") {
		t.Errorf("declined: exit %d, stderr %q", code, stderr)
	}
	if n := storeCount(t, env); n != 6 {
		t.Fatalf("declining deleted something: %d left", n)
	}
	code, _, _ = storeRun{env: env, stdinTTY: true, stdin: ""}.run(t, "clear")
	if code != 1 || storeCount(t, env) != 6 {
		t.Errorf("end of input must not confirm: exit %d", code)
	}
	code, _, stderr = storeRun{env: env, stdinTTY: true, stdin: "yes\n"}.run(t, "clear")
	if code != 0 || storeCount(t, env) != 0 {
		t.Errorf("confirmed: exit %d, stderr %q", code, stderr)
	}
}

func TestClearWithoutTerminalNeedsYes(t *testing.T) {
	env, _ := seedStore(t)
	code, _, stderr := storeRun{env: env, stdin: "y\n"}.run(t, "clear")
	if code != 2 || !strings.Contains(stderr, "--yes") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if n := storeCount(t, env); n != 6 {
		t.Errorf("cleared without confirmation: %d left", n)
	}
}

func TestClearMissingStore(t *testing.T) {
	env := map[string]string{cmdutil.EnvStore: filepath.Join(t.TempDir(), "a", "swhook.db")}
	code, _, stderr := storeRun{env: env}.run(t, "clear", "-y")
	if code != 0 || !strings.Contains(stderr, "nothing to clear") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
