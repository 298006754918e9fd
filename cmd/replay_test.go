package cmd

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/replay"
)

// parseOnly runs a command's flag parsing with runF capturing the options.
func parseOnly(t *testing.T, env map[string]string, build func(*cmdutil.Factory) *cobra.Command, args ...string) error {
	t.Helper()
	ios, _, _, _ := cmdutil.Test()
	f := &cmdutil.Factory{IOStreams: ios, Getenv: func(k string) string { return env[k] }, Now: time.Now}
	c := build(f)
	c.SetArgs(args)
	c.SetOut(&bytes.Buffer{})
	c.SetErr(&bytes.Buffer{})
	c.SilenceErrors, c.SilenceUsage = true, true
	c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &cmdutil.FlagError{Err: err} })
	return c.Execute()
}

func TestReplayFlags(t *testing.T) {
	var got *ReplayOptions
	build := func(f *cmdutil.Factory) *cobra.Command {
		return NewCmdReplay(f, func(o *ReplayOptions) error { got = o; return nil })
	}
	err := parseOnly(t, nil, build, "12", "--to", "http://localhost:3000", "--resign", "--signing-key", "k",
		"--sign-url", "https://pub.example", "--set", "A=1=2", "--set", "params.x=y", "--header", "X-A=b", "--json")
	if err != nil {
		t.Fatal(err)
	}
	want := []replay.Assignment{{Name: "A", Value: "1=2"}, {Name: "params.x", Value: "y"}}
	if got.Ref != "12" || got.To != "http://localhost:3000" || !got.Resign || got.SigningKey != "k" ||
		got.SignURL != "https://pub.example" || !reflect.DeepEqual(got.Set, want) ||
		!reflect.DeepEqual(got.Headers, []replay.Assignment{{Name: "X-A", Value: "b"}}) || !got.JSON {
		t.Errorf("options %+v", got)
	}

	if err := parseOnly(t, map[string]string{cmdutil.EnvSigningKey: "envkey"}, build, "--failed", "--since", "2d", "--resign"); err != nil {
		t.Fatal(err)
	}
	if !got.Failed || got.Since != 48*time.Hour || got.SigningKey != "envkey" {
		t.Errorf("--failed options %+v", got)
	}

	for _, args := range [][]string{
		{},
		{"12", "--failed"},
		{"12", "--resign"},
		{"12", "--since", "1h"},
		{"--failed", "--since", "soon"},
		{"12", "--set", "novalue"},
		{"12", "--header", "=v"},
		{"1", "2"},
		{"12", "--to", "localhost:3000"},
		{"12", "--to", "ftp://example.com/"},
		{"12", "--resign", "--signing-key", "k", "--sign-url", "/voice"},
	} {
		err := parseOnly(t, nil, build, args...)
		if cmdutil.ExitCode(err) != 2 {
			t.Errorf("%v: %v (exit %d), want a usage error", args, err, cmdutil.ExitCode(err))
		}
	}
}

func TestTriggerFlags(t *testing.T) {
	var got *TriggerOptions
	build := func(f *cmdutil.Factory) *cobra.Command {
		return NewCmdTrigger(f, func(o *TriggerOptions) error { got = o; return nil })
	}
	err := parseOnly(t, map[string]string{cmdutil.EnvSigningKey: "k"}, build, "call.status", "--to", "http://l:1/s",
		"--status", "busy", "--from", "+15550000001", "--to-number", "+15550000002", "--set", "A=b")
	if err != nil {
		t.Fatal(err)
	}
	if got.Event != "call.status" || got.To != "http://l:1/s" || got.Status != "busy" || got.From != "+15550000001" ||
		got.ToNumber != "+15550000002" || got.SigningKey != "k" || len(got.Set) != 1 {
		t.Errorf("options %+v", got)
	}
	if err := parseOnly(t, nil, build, "--sequence", "call", "--to", "http://l:1", "--no-signature"); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{},
		{"call.inbound"},                       // no --to
		{"call.inbound", "--to", "http://l:1"}, // no key
		{"call.inbound", "--to", "http://l:1", "--no-signature", "--bad-signature"},
		{"call.inbound", "--sequence", "call", "--to", "http://l:1", "--no-signature"},
		{"--list", "call.inbound"},
	} {
		if err := parseOnly(t, nil, build, args...); cmdutil.ExitCode(err) != 2 {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}

func TestTriggerList(t *testing.T) {
	code, stdout, stderr := runCmd(t, nil, "", "trigger", "--list")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 10 || !strings.HasPrefix(lines[0], "call.inbound ") || !strings.HasPrefix(lines[9], "relay.call.state ") {
		t.Errorf("--list:\n%s", stdout)
	}
	for _, l := range lines {
		if name, desc, ok := strings.Cut(l, " "); !ok || strings.TrimSpace(desc) == "" || strings.Contains(name, "\t") {
			t.Errorf("line %q: want name then description", l)
		}
	}
}

func TestExportFlags(t *testing.T) {
	var got *ExportOptions
	build := func(f *cmdutil.Factory) *cobra.Command {
		return NewCmdExport(f, func(o *ExportOptions) error { got = o; return nil })
	}
	if err := parseOnly(t, nil, build, "--har", "-", "3", "#5"); err != nil {
		t.Fatal(err)
	}
	if got.HAR != "-" || !reflect.DeepEqual(got.IDs, []int64{3, 5}) {
		t.Errorf("options %+v", got)
	}
	if err := parseOnly(t, nil, build, "--har", "x.har", "--since", "90m", "--event", "call"); err != nil {
		t.Fatal(err)
	}
	if got.Since != 90*time.Minute || got.Event != "call" {
		t.Errorf("options %+v", got)
	}
	for _, args := range [][]string{
		{"3"},
		{"--har", "-", "3", "--since", "1h"},
		{"--har", "-", "--event", "nonsense"},
		{"--har", "-", "last"},
		{"--har", "-", "abc"},
	} {
		if err := parseOnly(t, nil, build, args...); cmdutil.ExitCode(err) != 2 {
			t.Errorf("%v: %v, want a usage error", args, err)
		}
	}
}

func TestProgressBar(t *testing.T) {
	for _, c := range []struct {
		done, total int
		want        string
	}{
		{0, 4, "[>       ] 0/4"},
		{1, 4, "[==>     ] 1/4"},
		{4, 4, "[========] 4/4"},
	} {
		if got := progressBar(c.done, c.total, 8); got != c.want {
			t.Errorf("progressBar(%d, %d) = %q, want %q", c.done, c.total, got, c.want)
		}
	}
}
