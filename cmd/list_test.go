package cmd

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect/exchange"
)

func TestListGolden(t *testing.T) {
	env, _ := seedStore(t)
	code, stdout, stderr := storeRun{env: env}.run(t, "list")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	golden.RequireEqual(t, stdout)
	if strings.Contains(stdout+stderr, testSigningKeySecret) {
		t.Error("the signing key was printed")
	}
	if strings.ContainsAny(stdout, "\x1b\x07\r\x00") {
		t.Errorf("control bytes reached the table: %q", stdout)
	}
}

func TestListColourGolden(t *testing.T) {
	env, _ := seedStore(t)
	code, stdout, _ := storeRun{env: env, stdoutTTY: true, color: true}.run(t, "list")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	golden.RequireEqual(t, stdout)
	// Colour never skews alignment: without the SGR codes, it is the plain table.
	_, plain, _ := storeRun{env: env}.run(t, "list")
	if stripSGR(stdout) != plain {
		t.Errorf("colour table differs from the plain one once colour is removed:\n%s", stripSGR(stdout))
	}
}

func stripSGR(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && (s[j] == ';' || (s[j] >= '0' && s[j] <= '9')) {
				j++
			}
			if j < len(s) && s[j] == 'm' {
				i = j
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestListJSONGivesWholeExchangesNewestFirst(t *testing.T) {
	env, saved := seedStore(t)
	code, stdout, _ := storeRun{env: env}.run(t, "list", "--json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var got []*exchange.Exchange
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("not a JSON array of exchanges: %v\n%s", err, stdout)
	}
	if len(got) != len(saved) {
		t.Fatalf("%d exchanges, want %d", len(got), len(saved))
	}
	for i, x := range got {
		want := saved[len(saved)-1-i]
		if x.ID != want.ID {
			t.Errorf("position %d: #%d, want #%d (newest first)", i, x.ID, want.ID)
		}
		if !bytes.Equal(x.Request.Body, want.Request.Body) || !bytes.Equal(x.Response.Body, want.Response.Body) {
			t.Errorf("#%d: bodies differ after JSON", x.ID)
		}
		if x.Request.Headers.Get("Content-Type") != want.Request.Headers.Get("Content-Type") {
			t.Errorf("#%d: headers missing from --json", x.ID)
		}
	}
}

func TestListFilters(t *testing.T) {
	env, _ := seedStore(t)
	ids := func(args ...string) []int64 {
		t.Helper()
		code, stdout, stderr := storeRun{env: env}.run(t, append([]string{"list", "--json"}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		var xs []*exchange.Exchange
		if err := json.Unmarshal([]byte(stdout), &xs); err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, x := range xs {
			out = append(out, x.ID)
		}
		return out
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--event", "call"}, "[5 2 1]"},
		{[]string{"--event", "call.status"}, "[5 2]"},
		{[]string{"--event", "swml"}, "[4]"},
		{[]string{"--status", "5xx"}, "[3 2]"},
		{[]string{"--status", "500"}, "[2]"},
		{[]string{"--status", "error"}, "[3 2]"}, // unreachable, and a 500: human.HandlerFailed
		{[]string{"--invalid"}, "[2]"},
		{[]string{"--event", "call", "--status", "2xx"}, "[5 1]"},
		{[]string{"--limit", "2"}, "[6 5]"},
		{[]string{"--limit", "0"}, "[6 5 4 3 2 1]"},
		{[]string{"--event", "fax"}, "[]"},
		// Detail words, as the live view's event:completed (issue 11.13).
		{[]string{"--event", "completed"}, "[5 2]"},
		{[]string{"--event", "Delivered"}, "[3]"},
		{[]string{"--event", "ringing"}, "[]"},
	} {
		if got := jsonIDs(ids(c.args...)); got != c.want {
			t.Errorf("list %v = %s, want %s", c.args, got, c.want)
		}
	}
}

func jsonIDs(ids []int64) string {
	if ids == nil {
		ids = []int64{}
	}
	b, _ := json.Marshal(ids)
	return strings.ReplaceAll(string(b), ",", " ")
}

func TestListLimitSaysThereIsMore(t *testing.T) {
	env, _ := seedStore(t)
	code, stdout, stderr := storeRun{env: env}.run(t, "list", "--limit", "2")
	if code != 0 || strings.Count(stdout, "\n") != 3 {
		t.Fatalf("exit %d, stdout:\n%s", code, stdout)
	}
	if !strings.Contains(stderr, "showing the newest 2 of 6") {
		t.Errorf("stderr %q", stderr)
	}
}

func TestListEmptyAndMissingStore(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "not", "yet", "swhook.db")
	env := map[string]string{cmdutil.EnvStore: path}
	code, stdout, stderr := storeRun{env: env}.run(t, "list")
	if code != 0 || stdout != "" || !strings.Contains(stderr, "no exchanges yet") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("missing store: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "not")); !os.IsNotExist(err) {
		t.Errorf("list created a directory tree: %v", err)
	}
	if code, stdout, _ := (storeRun{env: env}).run(t, "list", "--json"); code != 0 || stdout != "[]\n" {
		t.Errorf("--json on a missing store: exit %d, %q", code, stdout)
	}

	// An existing but empty store says the same.
	env2, _ := seedStore(t)
	if code, _, _ := (storeRun{env: env2}).run(t, "clear", "--yes"); code != 0 {
		t.Fatal("clear failed")
	}
	code, stdout, stderr = storeRun{env: env2}.run(t, "list")
	if code != 0 || stdout != "" || !strings.Contains(stderr, "no exchanges yet") {
		t.Errorf("empty store: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if code, stdout, _ := (storeRun{env: env2}).run(t, "list", "--json"); code != 0 || stdout != "[]\n" {
		t.Errorf("--json on an empty store: exit %d, %q", code, stdout)
	}
}

func TestListNoMatch(t *testing.T) {
	env, _ := seedStore(t)
	code, stdout, stderr := storeRun{env: env}.run(t, "list", "--event", "fax")
	if code != 0 || stdout != "" || !strings.Contains(stderr, "no exchanges match") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestListUsageErrors(t *testing.T) {
	env, _ := seedStore(t)
	for _, args := range [][]string{
		{"list", "--status", "teapot"},
		{"list", "--status", "6xx"},
		{"list", "--event", "calls"},
		{"list", "--limit", "-1"},
		{"list", "extra"},
	} {
		code, _, stderr := storeRun{env: env}.run(t, args...)
		if code != 2 || !strings.HasPrefix(stderr, "swhook: ") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

func TestListFlagParsing(t *testing.T) {
	ios, _, _, _ := cmdutil.Test()
	f := &cmdutil.Factory{IOStreams: ios, Getenv: func(string) string { return "" }}
	var got *ListOptions
	cmd := NewCmdList(f, func(o *ListOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"-n", "5", "--json", "--event", "message", "--status", "4XX", "--invalid", "--store", "/tmp/x.db"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Limit != 5 || !got.JSON || got.Event != "message" || got.Status != "4XX" || !got.Invalid || got.StorePath != "/tmp/x.db" {
		t.Errorf("%+v", got)
	}
	cmd = NewCmdList(f, func(o *ListOptions) error { got = o; return nil })
	cmd.SetArgs([]string{})
	if err := cmd.Execute(); err != nil || got.Limit != 20 {
		t.Errorf("default limit %d, %v", got.Limit, err)
	}
}
