package cmd

import (
	"context"
	"strings"
	"testing"

	"github.com/swhook/swhook/cmd/cmdutil"
)

// runCmd runs one swhook command line in-process with buffered streams and
// the given environment, returning the exit status and both outputs.
func runCmd(t *testing.T, env map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ios, in, out, errOut := cmdutil.Test()
	in.WriteString(stdin)
	f := &cmdutil.Factory{
		IOStreams: ios,
		Getenv:    func(k string) string { return env[k] },
		Now:       cmdutil.New("").Now,
		Version:   "test",
	}
	f.HTTPClient = cmdutil.New("").HTTPClient
	code = Run(context.Background(), f, args)
	return code, out.String(), errOut.String()
}

func TestExitStatusForUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"frobnicate"}, {"--frobnicate"}, {"list", "--limit"}, {"sign", "--body", "x"}, {"replay"}, {"trigger", "nope", "--to", "http://127.0.0.1:1"}} {
		code, _, stderr := runCmd(t, nil, "", args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, stderr)
		}
		if !strings.HasPrefix(stderr, "swhook: ") || strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "--help')\n") {
			t.Errorf("%v: want one line naming the help, got %q", args, stderr)
		}
	}
}

func TestVersion(t *testing.T) {
	code, stdout, _ := runCmd(t, nil, "", "--version")
	if code != 0 || stdout != "swhook test\n" {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
}
