package curl

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/termsafe"
)

type seen struct {
	method, uri string
	header      http.Header
	body        []byte
}

// TestCurlReproducesTheRequest runs the printed command through a real
// shell and curl against a loopback server and compares what arrives.
func TestCurlReproducesTheRequest(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed; TestCurlCommandShape still checks the command")
	}
	var mu sync.Mutex
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seen{r.Method, r.URL.RequestURI(), r.Header.Clone(), b})
		mu.Unlock()
		io.WriteString(w, "<Response/>")
	}))
	defer srv.Close()

	binary := []byte{0, 1, 2, '\'', '%', '\\', 0x1b, '[', '2', 'J', '\n', 0xff, 0xfe, '\n'}
	cases := []struct {
		name   string
		method string
		uri    string
		ct     string
		body   []byte
	}{
		{"form", "POST", "/voice?x=1&y=%5B2%5D", "application/x-www-form-urlencoded", []byte("AccountSid=AC1&CallSid=CA1&CallStatus=ringing&From=%2B15551230000&To=%2B15559870000")},
		{"json with quotes", "POST", "/relay", "application/json", []byte("{\"a\":\"it's \\\"q\\\" ünï\",\n\"b\":\"@file\"}")},
		{"binary", "POST", "/bin", "application/octet-stream", binary},
		{"at sign first", "POST", "/at", "text/plain", []byte("@/etc/passwd")},
		{"get", "GET", "/voice?CallSid=1&CallStatus=ringing", "", nil},
		{"put", "PUT", "/p", "text/plain", []byte("x")},
		{"post without body", "POST", "/empty", "", nil},
		{"tabs and CR", "POST", "/t", "text/plain", []byte("a\tb\r\nc")},
		{"shell metacharacters", "POST", "/voice?x=1&y='2'", "application/json", []byte("{\"a\": \"it's $HOME `x` \\\\ \\n\"}\n")},
		{"form with escapes", "POST", "/voice", "application/x-www-form-urlencoded", []byte("CallSid=CA1&Note=it's+%24(x)&Q=%22")},
		{"form body without a content type", "POST", "/voice", "", []byte("CallSid=CA1&From=%2B1555")},
	}
	for i, c := range cases {
		h := http.Header{}
		if c.ct != "" {
			h.Set("Content-Type", c.ct)
		}
		h.Set("X-Signalwire-Signature", "sig'+/="+strconv.Itoa(i))
		h.Set("Content-Length", "999")
		h.Set("Accept-Encoding", "gzip")
		h.Set("Host", "evil.example")
		h.Set("X-Odd", "a\tb $x")
		h["X-Empty"] = []string{""}
		r := exchange.Request{Method: c.method, URL: srv.URL + c.uri, Headers: h, Body: c.body}
		cmd := Command(r)
		if termsafe.Text(cmd) != cmd {
			t.Errorf("%s: the command is not terminal-safe: %q", c.name, cmd)
		}
		out, err := exec.Command("sh", "-c", cmd+" -sS -o /dev/null").CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v: %s\n%s", c.name, err, out, cmd)
		}
		mu.Lock()
		s := got[len(got)-1]
		mu.Unlock()
		if s.method != c.method || s.uri != c.uri || !bytes.Equal(s.body, c.body) ||
			s.header.Get("X-Signalwire-Signature") != h.Get("X-Signalwire-Signature") ||
			s.header.Get("Content-Type") != c.ct || s.header.Get("X-Odd") != "a\tb $x" {
			t.Errorf("%s: got %s %s ct=%q sig=%q body %q\ncommand:\n%s", c.name, s.method, s.uri,
				s.header.Get("Content-Type"), s.header.Get("X-Signalwire-Signature"), s.body, cmd)
		}
		// Exactly the original headers arrive: none curl adds by itself
		// (a Content-Type the original lacked fails its signature), and
		// an empty one is kept.
		want := r.ResendHeaders()
		want.Del("Accept-Encoding")
		arrived := s.header.Clone()
		arrived.Del("Content-Length")
		if !reflect.DeepEqual(arrived, want) {
			t.Errorf("%s: headers arrived %v, want %v\ncommand:\n%s", c.name, arrived, want, cmd)
		}
	}
}

func TestShellQuote(t *testing.T) {
	tests := map[string]string{
		"https://x.io/a": "'https://x.io/a'",
		"a b":            "'a b'",
		"it's":           `'it'\''s'`,
		"":               "''",
		"$(rm -rf /)":    "'$(rm -rf /)'",
		"a\x1bb":         `"$(printf 'a\033b')"`,
		"a\tb":           `"$(printf 'a\011b')"`,
		"100%":           "'100%'",
	}
	for in, want := range tests {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestCurlLeavesOutComputedHeaders: what the connection works out itself,
// and what Connection names as hop-by-hop, is not sent again.
func TestCurlLeavesOutComputedHeaders(t *testing.T) {
	h := http.Header{
		"Host": {"evil.example"}, "Content-Length": {"999"}, "Accept-Encoding": {"gzip"},
		"Connection": {"X-Hop"}, "X-Hop": {"1"}, "Transfer-Encoding": {"chunked"}, "X-Keep": {"k"},
	}
	got := Command(exchange.Request{Method: "GET", URL: "http://h/", Headers: h})
	want := `curl --globoff --url 'http://h/' \
  -H 'X-Keep: k' \
  -H 'Accept:' \
  -H 'User-Agent:'`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if len(h) != 7 {
		t.Errorf("Command changed the request's headers: %v", h)
	}
}

// TestCurlWarnsWhenTruncated: a body captured only in part is sent as
// captured, and the command says so.
func TestCurlWarnsWhenTruncated(t *testing.T) {
	r := exchange.Request{Method: "POST", URL: "https://x/y", Body: exchange.Body("abc"), BodySize: 10, Truncated: true}
	want := "curl --globoff --url 'https://x/y' \\\n  -H 'Accept:' \\\n  -H 'Content-Type:' \\\n  -H 'User-Agent:' \\\n  --data-binary 'abc'\n# warning: only 3 of 10 body bytes were captured"
	if got := Command(r); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestCurlCommandShape(t *testing.T) {
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "X-Signalwire-Signature": {"abc="}, "Connection": {"close"}}
	got := Command(exchange.Request{Method: "POST", URL: "https://abc.ngrok.app/voice", Headers: h, Body: exchange.Body("A=1&B=it's")})
	want := `curl --globoff --url 'https://abc.ngrok.app/voice' \
  -H 'Content-Type: application/x-www-form-urlencoded' \
  -H 'X-Signalwire-Signature: abc=' \
  -H 'Accept:' \
  -H 'User-Agent:' \
  --data-binary 'A=1&B=it'\''s'`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	got = Command(exchange.Request{Method: "POST", URL: "http://h/x", Headers: http.Header{}, Body: exchange.Body{0, 'a', 0x1b}})
	if got != `printf '\000a\033' | curl --globoff --url 'http://h/x' \
  -H 'Accept:' \
  -H 'Content-Type:' \
  -H 'User-Agent:' \
  --data-binary @-` {
		t.Errorf("binary: %s", got)
	}
}

// FuzzCurlIsTerminalSafe: whatever a request holds, the printed command
// never carries a byte a terminal would act on.
func FuzzCurlIsTerminalSafe(f *testing.F) {
	f.Add("POST", "https://a/b?c=d", "X-A", "v\x1b]0;x\a", []byte("A=1\x00\xff"))
	f.Add("GET", "http://h/[x]", "Content-Type", "text/plain", []byte(nil))
	f.Fuzz(func(t *testing.T, method, u, hn, hv string, body []byte) {
		h := http.Header{}
		if hn != "" {
			h[hn] = []string{hv}
		}
		cmd := Command(exchange.Request{Method: method, URL: u, Headers: h, Body: body})
		if termsafe.Text(cmd) != cmd || strings.ContainsAny(cmd, "\t\r") {
			t.Fatalf("not terminal-safe: %q", cmd)
		}
	})
}

// A stored exchange is resent as its sender sent it: the X-Forwarded-*
// headers swhook's own tunnel added, and a Via entry naming swhook, are
// not part of that; a local exchange's X-Forwarded-* came from its sender.
func TestForExchangeLeavesOutWhatSwhookAdded(t *testing.T) {
	h := http.Header{"X-Forwarded-For": {"203.0.113.9"}, "X-Forwarded-Proto": {"https"}, "X-Forwarded-Host": {"abc.ngrok.app"},
		"Via": {"1.1 corp-proxy, 1.1 swhook"}, "X-Signalwire-Signature": {"s="}, "Content-Type": {"application/x-www-form-urlencoded"}}
	x := &exchange.Exchange{Source: exchange.SourceTunnel, Request: exchange.Request{Method: "POST", URL: "https://abc.ngrok.app/voice", Headers: h, Body: exchange.Body("A=1")}}
	got := ForExchange(x)
	if strings.Contains(got, "X-Forwarded") || strings.Contains(got, "swhook") || !strings.Contains(got, "-H 'Via: 1.1 corp-proxy'") {
		t.Errorf("tunnel exchange:\n%s", got)
	}
	x.Source = exchange.SourceLocal
	if got := ForExchange(x); !strings.Contains(got, "-H 'X-Forwarded-Host: abc.ngrok.app'") {
		t.Errorf("a local exchange's X-Forwarded-Host came from its sender and stays:\n%s", got)
	}
	if len(h) != 6 || h.Get("Via") != "1.1 corp-proxy, 1.1 swhook" {
		t.Errorf("ForExchange changed the stored headers: %v", h)
	}
}
