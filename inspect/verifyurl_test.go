package inspect_test

import (
	"bufio"
	"net/http"
	"strings"
	"testing"

	"github.com/swhook/swhook/inspect"
)

// FuzzVerificationURL: whatever request line arrives, the URL checked is
// the base (or rebuilt scheme and host) followed by the request URI exactly
// as sent — never a decoded or re-encoded variant.
func FuzzVerificationURL(f *testing.F) {
	f.Add("/voice?a=1&b=%2F", "https://pub.example.com", "")
	f.Add("/a%2Fb%20c", "", "https")
	f.Add("/x?", "", "javascript")
	f.Add("/%zz", "https://h/", "http, https")
	f.Fuzz(func(t *testing.T, uri, base, proto string) {
		if !strings.HasPrefix(uri, "/") || strings.ContainsAny(uri, " \r\n\x00") || strings.ContainsAny(proto, "\r\n\x00") {
			return
		}
		raw := "POST " + uri + " HTTP/1.1\r\nHost: h.example:8080\r\n"
		if proto != "" {
			raw += "X-Forwarded-Proto: " + proto + "\r\n"
		}
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw + "\r\n")))
		if err != nil {
			return
		}
		got := inspect.VerificationURL(base, r)
		if !strings.HasSuffix(got, uri) {
			t.Fatalf("VerificationURL(%q, %q) = %q: lost the request URI", base, uri, got)
		}
		if base == "" && !strings.HasPrefix(got, "http://h.example:8080/") && !strings.HasPrefix(got, "https://h.example:8080/") {
			t.Fatalf("rebuilt URL %q has a scheme other than http(s)", got)
		}
	})
}
