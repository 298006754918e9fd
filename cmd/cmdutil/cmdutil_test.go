package cmdutil

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestStorePathOrder(t *testing.T) {
	e := env(map[string]string{EnvStore: "/from/env.db", "HOME": "/home/u", "XDG_STATE_HOME": "/xdg"})
	if p, _ := StorePath("/from/flag.db", e); p != "/from/flag.db" {
		t.Errorf("flag: %q", p)
	}
	if p, _ := StorePath("", e); p != "/from/env.db" {
		t.Errorf("env: %q", p)
	}
	if runtime.GOOS != "linux" {
		t.Skip("state-dir defaults below are Linux's")
	}
	if p, _ := StorePath("", env(map[string]string{"HOME": "/home/u", "XDG_STATE_HOME": "/xdg"})); p != filepath.Join("/xdg", "swhook", "swhook.db") {
		t.Errorf("xdg: %q", p)
	}
	if p, _ := StorePath("", env(map[string]string{"HOME": "/home/u"})); p != "/home/u/.local/state/swhook/swhook.db" {
		t.Errorf("home: %q", p)
	}
	if _, err := StorePath("", env(nil)); err == nil || !strings.Contains(err.Error(), "--store") {
		t.Errorf("no home: %v", err)
	}
}

func TestSigningKey(t *testing.T) {
	e := env(map[string]string{EnvSigningKey: "PSK_env\n"})
	if k := SigningKey("PSK_flag", e); k != "PSK_flag" {
		t.Errorf("flag first: %q", k)
	}
	if k := SigningKey("", e); k != "PSK_env" {
		t.Errorf("env, trimmed: %q", k)
	}
	_, err := RequireSigningKey("", env(nil))
	if ExitCode(err) != 2 || !strings.Contains(err.Error(), EnvSigningKey) {
		t.Errorf("missing key: exit %d, %v", ExitCode(err), err)
	}
}

func TestExitCode(t *testing.T) {
	cases := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("handler down"), 1},
		{ErrSilent, 1},
		{UsageErrorf("bad %s", "flag"), 2},
		{fmt.Errorf("wrapped: %w", UsageErrorf("bad")), 2},
	}
	for _, c := range cases {
		if got := ExitCode(c.err); got != c.want {
			t.Errorf("ExitCode(%v) = %d, want %d", c.err, got, c.want)
		}
	}
}

func TestArgsValidatorsAreUsageErrors(t *testing.T) {
	cmd := &cobra.Command{Use: "show ID"}
	cmd.Flags().Bool("a", false, "")
	cmd.Flags().Bool("b", false, "")
	for name, err := range map[string]error{
		"exact":   ExactArgs(1)(cmd, nil),
		"maximum": MaximumNArgs(1)(cmd, []string{"1", "2"}),
		"none":    NoArgs(cmd, []string{"x"}),
	} {
		if !IsUsage(err) {
			t.Errorf("%s: %v is not a usage error", name, err)
		}
	}
	if err := ExactArgs(1)(cmd, []string{"1"}); err != nil {
		t.Errorf("exact with one arg: %v", err)
	}
	_ = cmd.Flags().Set("a", "true")
	if err := MutuallyExclusive(cmd, "a", "b"); err != nil {
		t.Errorf("one flag set: %v", err)
	}
	_ = cmd.Flags().Set("b", "true")
	if err := MutuallyExclusive(cmd, "a", "b"); !IsUsage(err) || !strings.Contains(err.Error(), "--a and --b") {
		t.Errorf("both set: %v", err)
	}
}
