package cmd

import (
	"bufio"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/syncbuf"
)

// runTunnelListen starts the real binary in plain mode with HOME as given
// (and nothing of the caller's ngrok setup), returning stdout lines as they
// come and the stderr buffer.
func runTunnelListen(t *testing.T, home string, env ...string) (<-chan string, *syncbuf.Buffer) {
	t.Helper()
	bin := swhookBinary(t)
	cmd := exec.Command(bin, "listen", "--no-tui", "--addr", "127.0.0.1:0", "--store", filepath.Join(home, "swhook.db"))
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "HOME", "XDG_CONFIG_HOME", "NGROK_AUTHTOKEN", "SIGNALWIRE_SIGNING_KEY", "SWHOOK_STORE":
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env, append([]string{"HOME=" + home}, env...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &syncbuf.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1000)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		cmd.Wait()
	})
	return lines, stderr
}

// waitLine returns the lines read up to and including the first that
// contains want.
func waitLine(t *testing.T, lines <-chan string, stderr *syncbuf.Buffer, want string) []string {
	t.Helper()
	var seen []string
	timeout := time.After(60 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("listen ended before %q; output:\n%s\nstderr: %s", want, strings.Join(seen, "\n"), stderr.String())
			}
			seen = append(seen, l)
			if strings.Contains(l, want) {
				return seen
			}
		case <-timeout:
			t.Fatalf("no %q; output:\n%s\nstderr: %s", want, strings.Join(seen, "\n"), stderr.String())
		}
	}
}

// A developer with no token gets the local listener at once and one line
// about public URLs.
func TestListenTunnelE2ENoToken(t *testing.T) {
	lines, stderr := runTunnelListen(t, t.TempDir())
	out := waitLine(t, lines, stderr, "Note              no ngrok authtoken")
	if !strings.HasPrefix(out[0], "Send webhooks to  http://127.0.0.1:") {
		t.Errorf("first line %q", out[0])
	}
	local := strings.TrimPrefix(out[0], "Send webhooks to  ")
	postLocal(t, local)
}

// A token, but ngrok's servers cannot be reached: the reason is printed (the
// tunnel's own bound is 10 s), the local listener answers meanwhile, and the
// token is printed nowhere. The ngrok config's connect_url points at a
// refused loopback port, so no test depends on the real network.
func TestListenTunnelE2EUnreachable(t *testing.T) {
	home := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := ln.Addr().String()
	ln.Close()
	cfg := filepath.Join(home, ".config", "ngrok", "ngrok.yml")
	os.MkdirAll(filepath.Dir(cfg), 0o700)
	if err := os.WriteFile(cfg, []byte("version: \"3\"\nagent:\n  authtoken: "+tunnelTestToken+"\n  connect_url: "+refused+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	lines, stderr := runTunnelListen(t, home)
	out := waitLine(t, lines, stderr, "tunnel down: cannot reach ngrok's servers")
	if !strings.HasPrefix(out[0], "Send webhooks to  http://127.0.0.1:") {
		t.Fatalf("first line %q", out[0])
	}
	postLocal(t, strings.TrimPrefix(out[0], "Send webhooks to  "))
	out = append(out, waitLine(t, lines, stderr, "POST")...)
	if all := strings.Join(out, "\n") + stderr.String(); strings.Contains(all, tunnelTestToken) {
		t.Errorf("the ngrok token was printed:\n%s", all)
	}
}

func postLocal(t *testing.T, base string) {
	t.Helper()
	c := &http.Client{Timeout: 30 * time.Second}
	res, err := c.Post(base+"/status", "application/x-www-form-urlencoded", strings.NewReader("CallSid=CA1&CallStatus=completed"))
	if err != nil {
		t.Fatalf("local listener: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("local listener answered %d", res.StatusCode)
	}
}
