package replay

import (
	"net/http"
	"testing"

	"github.com/swhook/swhook/inspect/exchange"
)

// TestCurlBuildsAMissingURL: a request stored without its URL is sent to
// its Host, path and query, and a malformed path stays a path.
func TestCurlBuildsAMissingURL(t *testing.T) {
	tests := []struct {
		name string
		r    exchange.Request
		want string
	}{
		{"host path query", exchange.Request{Method: "GET", Host: "a.example:8080", Path: "/voice", Query: "x=1"}, "'http://a.example:8080/voice?x=1'"},
		{"no host", exchange.Request{Method: "GET", Path: "/v"}, "'http://localhost/v'"},
		{"malformed path", exchange.Request{Method: "GET", Host: "h", Path: "a?b#c", Query: "q#f"}, "'http://h/a%3Fb%23c?q%23f'"},
		{"recorded URL wins", exchange.Request{Method: "GET", URL: "https://pub.example/x", Host: "h", Path: "/y"}, "'https://pub.example/x'"},
	}
	for _, tt := range tests {
		tt.r.Headers = http.Header{}
		want := "curl --globoff --url " + tt.want + " \\\n  -H 'Accept:' \\\n  -H 'User-Agent:'"
		if got := Curl(&exchange.Exchange{Request: tt.r}); got != want {
			t.Errorf("%s: got %s, want %s", tt.name, got, want)
		}
	}
}
