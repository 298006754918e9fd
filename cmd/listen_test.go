package cmd

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/swhook/swhook/cmd/cmdutil"
)

// parseListen runs `swhook listen args...` up to the run and returns the
// options it would run with.
func parseListen(t *testing.T, env map[string]string, args ...string) (*ListenOptions, error) {
	t.Helper()
	ios, _, _, _ := cmdutil.Test()
	f := &cmdutil.Factory{IOStreams: ios, Getenv: func(k string) string { return env[k] }, Now: time.Now}
	var got *ListenOptions
	cmd := NewCmdListen(f, func(o *ListenOptions) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	return got, err
}

func TestListenFlagDefaults(t *testing.T) {
	o, err := parseListen(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if o.addr != "127.0.0.1:4747" || int64(o.MaxBody) != 10<<20 || o.Timeout != 10*time.Second || o.Keep != 10000 {
		t.Errorf("defaults: addr %q max-body %d timeout %s keep %d", o.addr, o.MaxBody, o.Timeout, o.Keep)
	}
	if o.forwardURL != nil || o.answer != nil || o.signingKey != "" || o.exposed {
		t.Errorf("unexpected: %+v", o)
	}
}

func TestListenFlags(t *testing.T) {
	respond := filepath.Join(t.TempDir(), "r.json")
	os.WriteFile(respond, []byte(`{"version":"1.0.0","sections":{"main":[]}}`), 0o600)
	o, err := parseListen(t, map[string]string{"SIGNALWIRE_SIGNING_KEY": "PSKxyz"},
		"--addr", ":0", "--max-body", "1KiB", "--timeout", "2s", "--keep", "5", "--respond", respond,
		"--enforce-signature", "--public-url", "https://hooks.example.com/", "--json", "--no-tunnel")
	if err != nil {
		t.Fatal(err)
	}
	if o.addr != "127.0.0.1:0" || o.exposed {
		t.Errorf("--addr :0 became %q (exposed %v), want loopback", o.addr, o.exposed)
	}
	if o.MaxBody != 1024 || o.Timeout != 2*time.Second || o.Keep != 5 || !o.JSON || !o.NoTunnel || !o.EnforceSignature {
		t.Errorf("parsed: %+v", o)
	}
	if o.answer == nil || o.answer.ContentType != "application/json" {
		t.Errorf("--respond: %+v", o.answer)
	}
	if o.signingKey != "PSKxyz" || o.PublicURL != "https://hooks.example.com" {
		t.Errorf("key from env / public url: %q", o.PublicURL)
	}

	o, err = parseListen(t, nil, "-f", "http://localhost:3000/base", "--addr", "0.0.0.0:4747")
	if err != nil {
		t.Fatal(err)
	}
	if o.forwardURL.String() != "http://localhost:3000/base" || !o.exposed {
		t.Errorf("forward %v exposed %v", o.forwardURL, o.exposed)
	}
}

func TestListenFlagErrors(t *testing.T) {
	cases := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--forward", "localhost:3000"}, nil, "http://"},
		{[]string{"--forward", "http://"}, nil, "no host"},
		{[]string{"--public-url", "ftp://x"}, nil, "http://"},
		{[]string{"--respond", "/nonexistent/answer.xml"}, nil, "no such file"},
		{[]string{"--respond", "x.xml", "--forward", "http://localhost:3000"}, nil, "cannot be used together"},
		{[]string{"--enforce-signature"}, nil, "signing key"},
		{[]string{"--max-body", "10 parsecs"}, nil, "unit"},
		{[]string{"--max-body", "0"}, nil, "more than 0"},
		{[]string{"--timeout", "0s"}, nil, "more than 0"},
		{[]string{"--keep", "-1"}, nil, "--keep"},
		{[]string{"--addr", "4747"}, nil, "HOST:PORT"},
		{[]string{"extra"}, nil, "no arguments"},
	}
	for _, c := range cases {
		_, err := parseListen(t, c.env, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err %v, want it to mention %q", c.args, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error is more than one line: %q", c.args, err)
		}
		if !cmdutil.IsUsage(err) && !strings.Contains(err.Error(), "invalid argument") {
			t.Errorf("%v: %v is not a usage error", c.args, err)
		}
	}
}

func TestListenPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, _, stderr := runCmd(t, map[string]string{"SWHOOK_STORE": filepath.Join(t.TempDir(), "s.db")}, "",
		"listen", "--no-tunnel", "--addr", ln.Addr().String())
	if code != 1 || !strings.Contains(stderr, "already in use") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}

func TestTailBufferKeepsTheLastLines(t *testing.T) {
	b := &tailBuffer{max: 2}
	b.Write([]byte("one\ntwo\n"))
	b.Write([]byte("three\n"))
	if got := strings.Join(b.Lines(), "|"); got != "two|three" || b.Total() != 3 {
		t.Errorf("lines %q total %d", got, b.Total())
	}
}
