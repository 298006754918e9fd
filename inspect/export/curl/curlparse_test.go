package curl

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/swhook/swhook/inspect/exchange"
)

// parsedCurl is what a shell and curl would make of a Command: parsed
// here without either, by the POSIX quoting rules Command relies on, so the
// round trip is checked on machines without curl too.
type parsedCurl struct {
	method, url string
	header      http.Header
	removed     []string // -H 'Name:': headers curl must not add
	body        []byte
}

func parseCurl(cmd string) (parsedCurl, error) {
	var stdin []byte
	if rest, ok := strings.CutPrefix(cmd, "printf '"); ok {
		i := strings.IndexByte(rest, '\'')
		if i < 0 {
			return parsedCurl{}, fmt.Errorf("unterminated printf")
		}
		var err error
		if stdin, err = unprintf(rest[:i]); err != nil {
			return parsedCurl{}, err
		}
		var ok bool
		if cmd, ok = strings.CutPrefix(rest[i+1:], " | "); !ok {
			return parsedCurl{}, fmt.Errorf("printf not piped")
		}
	}
	words, err := shellWords(strings.ReplaceAll(cmd, " \\\n  ", " "))
	if err != nil {
		return parsedCurl{}, err
	}
	if len(words) == 0 || words[0] != "curl" {
		return parsedCurl{}, fmt.Errorf("not a curl command")
	}
	p := parsedCurl{header: http.Header{}}
	hasData := false
	for i := 1; i < len(words); i++ {
		next := func() string {
			i++
			if i < len(words) {
				return words[i]
			}
			return ""
		}
		switch w := words[i]; w {
		case "--globoff":
		case "--url":
			p.url = next()
		case "-X":
			p.method = next()
		case "-H":
			// curl's rules: "Name: value" sends it, "Name:" removes a
			// header curl would add, "Name;" sends it empty.
			hv := next()
			if name, ok := strings.CutSuffix(hv, ";"); ok && !strings.Contains(name, ":") {
				p.header.Add(name, "")
				continue
			}
			name, value, _ := strings.Cut(hv, ":")
			if value == "" {
				p.removed = append(p.removed, name)
				continue
			}
			p.header.Add(name, strings.TrimPrefix(value, " "))
		case "--data-raw":
			p.body, hasData = []byte(next()), true
		case "--data-binary":
			switch v := next(); {
			case v == "@-":
				p.body = stdin
			case strings.HasPrefix(v, "@"):
				return p, fmt.Errorf("--data-binary %q reads a file", v)
			default:
				p.body = []byte(v)
			}
			hasData = true
		default:
			if strings.HasPrefix(w, "-") || p.url != "" {
				return p, fmt.Errorf("unexpected word %q", w)
			}
			p.url = w
		}
	}
	if p.method == "" {
		p.method = "GET"
		if hasData {
			p.method = "POST"
		}
	}
	return p, nil
}

// shellWords splits on spaces, honouring single quoting, the escaped quote and
// "$(printf '…')" substitutions, which is all Command writes.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur bytes.Buffer
	in := false
	for i := 0; i < len(s); {
		switch {
		case s[i] == ' ':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
			i++
		case s[i] == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated quote")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 2
			in = true
		case strings.HasPrefix(s[i:], `\'`):
			cur.WriteByte('\'')
			i += 2
			in = true
		case strings.HasPrefix(s[i:], `"$(printf '`):
			rest := s[i+len(`"$(printf '`):]
			j := strings.Index(rest, `')"`)
			if j < 0 {
				return nil, fmt.Errorf("unterminated substitution")
			}
			b, err := unprintf(rest[:j])
			if err != nil {
				return nil, err
			}
			cur.Write(bytes.TrimRight(b, "\n")) // command substitution drops trailing newlines
			i += len(`"$(printf '`) + j + 3
			in = true
		default:
			cur.WriteByte(s[i])
			i++
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words, nil
}

// unprintf decodes the printf formats Command writes: literal bytes and \ooo.
func unprintf(f string) ([]byte, error) {
	var out []byte
	for i := 0; i < len(f); i++ {
		switch f[i] {
		case '\\':
			if i+4 > len(f) {
				return nil, fmt.Errorf("short escape")
			}
			n, err := strconv.ParseUint(f[i+1:i+4], 8, 8)
			if err != nil {
				return nil, err
			}
			out = append(out, byte(n))
			i += 3
		case '%':
			return nil, fmt.Errorf("bare %% in format")
		default:
			out = append(out, f[i])
		}
	}
	return out, nil
}

// FuzzCurlRoundTrip: parsing the printed command gives back the request:
// method, URL, headers (less those the connection computes) and body bytes.
func FuzzCurlRoundTrip(f *testing.F) {
	f.Add("POST", "https://a.example/voice?x=1", "X-Signalwire-Signature", "ab'c=", []byte("A=1&B=it's"))
	f.Add("GET", "http://h/[x]", "User-Agent", "\x1b[2J", []byte(nil))
	f.Add("PUT", "http://h/p", "Content-Type", "text/plain", []byte{0, '%', '\\', 0xff, '\n'})
	f.Add("POST", "http://h/e", "X", "v", []byte(nil))
	f.Fuzz(func(t *testing.T, method, u, hn, hv string, body []byte) {
		if method == "" || !validToken(method) || !validToken(hn) || strings.ContainsAny(u, "\n") ||
			strings.ContainsAny(hv, "\r\n") || strings.HasSuffix(hv, " ") || strings.HasPrefix(hv, " ") {
			return // not a request HTTP can carry
		}
		h := http.Header{hn: {hv}}
		r := exchange.Request{Method: method, URL: u, Headers: h, Body: body}
		dropped := r.ResendHeaders()
		dropped.Del("Accept-Encoding")
		got, err := parseCurl(Command(r))
		if err != nil {
			t.Fatalf("%v\n%s", err, Command(r))
		}
		if got.method != method || got.url != u || !bytes.Equal(got.body, body) {
			t.Fatalf("round trip: %q %q %q\ncommand:\n%s", got.method, got.url, got.body, Command(r))
		}
		for k, v := range dropped {
			if got.header.Get(k) != v[0] {
				t.Fatalf("header %s: %q, want %q\n%s", k, got.header.Get(k), v[0], Command(r))
			}
		}
		// What curl adds by itself is removed unless the original had it.
		for _, k := range []string{"Accept", "User-Agent", "Content-Type"} {
			if _, had := dropped[k]; had || (k == "Content-Type" && len(body) == 0) {
				continue
			}
			if !slices.Contains(got.removed, k) {
				t.Fatalf("curl would add %s, which the original lacked:\n%s", k, Command(r))
			}
		}
	})
}

func validToken(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}
