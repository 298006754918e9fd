package cmd

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect/exchange"
)

// A request-target that is not Go's canonical escaping reaches the handler
// byte for byte through listen, is stored as it came, and `swhook replay`
// sends those same bytes again (issue 10 point 10).
func TestRawRequestTargetSurvivesReplay(t *testing.T) {
	got := make(chan string, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.RequestURI
	}))
	defer srv.Close()
	for _, base := range []string{"", "/base"} {
		storePath := filepath.Join(t.TempDir(), "swhook.db")
		l := startListen(t, storePath, "--forward", srv.URL+base)
		const target = "/p\xff{x}|a\\b'c?q=%ZZ&r=\xe9"
		u, _ := url.Parse(l.local)
		c, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write([]byte("POST " + target + " HTTP/1.1\r\nHost: " + u.Host + "\r\nContent-Length: 3\r\nConnection: close\r\n\r\nA=1")); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		c.Close()
		if first := <-got; first != base+target {
			t.Fatalf("first delivery: handler got %q, want %q", first, base+target)
		}
		var id int64
		deadline := time.After(20 * time.Second)
		for id == 0 {
			select {
			case line := <-l.lines:
				var ev struct {
					Type string `json:"type"`
					exchange.Exchange
				}
				if json.Unmarshal([]byte(line), &ev) == nil && ev.Type == "exchange" {
					id = ev.ID
				}
			case <-deadline:
				t.Fatalf("listen reported nothing; stderr %s", l.stderr.String())
			}
		}
		env := map[string]string{cmdutil.EnvSigningKey: testKey, cmdutil.EnvStore: storePath}
		code, stdout, stderr := runCmd(t, env, "", "replay", jsonID(id))
		if code != 0 {
			t.Fatalf("replay: exit %d %s %s", code, stdout, stderr)
		}
		select {
		case again := <-got:
			if again != base+target {
				t.Errorf("replay: handler got %q, want %q", again, base+target)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the replay never reached the handler")
		}
	}
}
