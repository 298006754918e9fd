package tui

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/exchange"
)

func TestShellQuote(t *testing.T) {
	tests := map[string]string{
		"https://x.io/a": "https://x.io/a",
		"a b":            "'a b'",
		"it's":           `'it'\''s'`,
		"":               "''",
		"$(rm -rf /)":    "'$(rm -rf /)'",
		"a\x1bb":         `"$(printf '%b' 'a\0033b')"`,
	}
	for in, want := range tests {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestCurlResendsExactBytes runs the generated command in a real shell
// against a real server: what arrives must be what was captured.
func TestCurlResendsExactBytes(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed")
	}
	type got struct {
		method string
		header http.Header
		body   []byte
	}
	ch := make(chan got, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ch <- got{r.Method, r.Header.Clone(), b}
	}))
	defer srv.Close()

	bodies := map[string][]byte{
		"form":   []byte("CallSid=CA1&Note=it's+%24(x)&Q=%22"),
		"json":   []byte("{\"a\": \"it's $HOME `x` \\\\ \\n\"}\n"),
		"binary": {0, 1, 2, '\'', '\\', 0x1b, 0xff, 0xfe, '\n', '%', 'b'},
		"empty":  nil,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			x := &exchange.Exchange{Request: exchange.Request{
				Method: "POST",
				URL:    srv.URL + "/voice?x=1&y='2'",
				Headers: http.Header{
					"Content-Type":           {"application/x-www-form-urlencoded"},
					"X-Signalwire-Signature": {"abc+/=='\""},
					"X-Odd":                  {"a\tb $x"},
					"Host":                   {"evil.example"},
					"Content-Length":         {"999"},
				},
				Body: body,
			}}
			cmdline := Curl(x) + " -s -o /dev/null"
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, "sh", "-c", cmdline).CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %s\n%s", err, out, cmdline)
			}
			g := <-ch
			if g.method != "POST" || !bytes.Equal(g.body, body) {
				t.Errorf("got %s %q, want POST %q\n%s", g.method, g.body, body, cmdline)
			}
			if v := g.header.Get("X-Signalwire-Signature"); v != "abc+/=='\"" {
				t.Errorf("signature header %q", v)
			}
			if v := g.header.Get("X-Odd"); v != "a\tb $x" {
				t.Errorf("X-Odd %q", v)
			}
		})
	}
}

func TestCurlWarnsWhenTruncated(t *testing.T) {
	x := &exchange.Exchange{Request: exchange.Request{Method: "POST", URL: "https://x/y", Body: exchange.Body("abc"), BodySize: 10, Truncated: true}}
	if c := Curl(x); !strings.Contains(c, "only 3 of 10 body bytes") {
		t.Errorf("no truncation warning:\n%s", c)
	}
}
