package inspect

import (
	"net/http"
	"testing"
)

// BenchmarkForwardHeaders is the per-webhook cost of the headers the
// handler receives, for a request as SignalWire sends one.
func BenchmarkForwardHeaders(b *testing.B) {
	r := &http.Request{
		RemoteAddr: "127.0.0.1:50123",
		Header: http.Header{
			"Content-Type":           {"application/x-www-form-urlencoded"},
			"X-Signalwire-Signature": {"abc="},
			"Content-Length":         {"150"},
			"Accept":                 {"*/*"},
		},
	}
	b.ReportAllocs()
	for b.Loop() {
		forwardHeaders(r, "https://example.ngrok.app/voice")
	}
}
