package signaturetest

import (
	"net/http"
	"testing"
)

// The validator itself is checked against SignalWire's published vector, so
// a test that passes through it means something.
func TestValidPublishedVector(t *testing.T) {
	body := []byte("CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212")
	h := http.Header{}
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	h.Set("X-SignalWire-Signature", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
	if !Valid("12345", "POST", "https://mycompany.com/myapp.php?foo=1&bar=2", h, body) {
		t.Fatal("published vector rejected")
	}
	if Valid("12346", "POST", "https://mycompany.com/myapp.php?foo=1&bar=2", h, body) {
		t.Fatal("wrong key accepted")
	}
	if Valid("12345", "POST", "https://mycompany.com/myapp.php?foo=1&bar=3", h, body) {
		t.Fatal("wrong URL accepted")
	}
}
