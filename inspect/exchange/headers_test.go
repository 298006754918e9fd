package exchange

import (
	"net/http"
	"reflect"
	"testing"
)

func TestResendHeaders(t *testing.T) {
	r := Request{Headers: http.Header{
		"Host": {"evil.example"}, "Content-Length": {"999"}, "Transfer-Encoding": {"chunked"},
		"Connection": {"keep-alive, X-Hop"}, "X-Hop": {"1"}, "Keep-Alive": {"timeout=5"},
		"Content-Type": {"application/x-www-form-urlencoded"}, "X-Signalwire-Signature": {"a", "b"},
		"X-Forwarded-Proto": {"https"},
	}}
	got := r.ResendHeaders()
	want := http.Header{
		"Content-Type": {"application/x-www-form-urlencoded"}, "X-Signalwire-Signature": {"a", "b"},
		"X-Forwarded-Proto": {"https"}, // the proxy's view of the original request: kept
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	got["X-Signalwire-Signature"][0] = "changed"
	if r.Headers.Get("X-Signalwire-Signature") != "a" || r.Headers.Get("Host") != "evil.example" {
		t.Errorf("the recorded headers changed: %v", r.Headers)
	}
	if h := (Request{}).ResendHeaders(); h == nil || len(h) != 0 {
		t.Errorf("no headers: got %#v, want an empty map", h)
	}
}
