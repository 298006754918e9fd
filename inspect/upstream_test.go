package inspect_test

import (
	"strings"
	"testing"

	"github.com/swhook/swhook/inspect"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/signature/signaturetest"
)

// Behind a proxy that rewrites Host (ngrok --host-header=rewrite, a
// corporate proxy) the X-Forwarded-Host/-Proto it set name the public URL:
// swhook passes them on as they came (appending only to X-Forwarded-For),
// verifies against the URL the handler rebuilds from them, and when that
// still fails, says to pass --public-url rather than blaming the key
// (issue 11 point 1).
func TestUpstreamForwardingHeadersAreKept(t *testing.T) {
	rec := &recorder{}
	e := serve(t, inspect.Config{Forward: handlerURL(t, rec), SigningKey: key}, exchange.SourceLocal, nil)
	public := "https://hooks.example.com/voice"
	hdr := formHeader(signaturetest.SignForm(key, public, callForm))
	hdr.Set("X-Forwarded-Host", "hooks.example.com")
	hdr.Set("X-Forwarded-Proto", "https")
	hdr.Set("X-Forwarded-For", "203.0.113.9")
	if resp, _ := do(t, "POST", e.url+"/voice", hdr, []byte(callForm.Encode())); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	got := rec.last(t).Header
	if got.Get("X-Forwarded-Host") != "hooks.example.com" || got.Get("X-Forwarded-Proto") != "https" ||
		got.Get("X-Forwarded-For") != "203.0.113.9, 127.0.0.1" || len(got["X-Forwarded-Host"]) != 1 {
		t.Errorf("handler got X-Forwarded-Host %q, -Proto %q, -For %q", got["X-Forwarded-Host"], got.Get("X-Forwarded-Proto"), got.Get("X-Forwarded-For"))
	}
	x := e.lastExchange(t)
	if x.Request.URL != public || x.Signature.Status != exchange.SigValid {
		t.Errorf("checked against %q: %s (%s)", x.Request.URL, x.Signature.Status, x.Signature.Hint)
	}

	// Signed for another URL than the proxy reports: the hint names the flag.
	hdr.Set("X-SignalWire-Signature", signaturetest.SignForm(key, "https://elsewhere.example.com/voice", callForm))
	do(t, "POST", e.url+"/voice", hdr, []byte(callForm.Encode()))
	x = e.lastExchange(t)
	if x.Signature.Status != exchange.SigInvalid || !strings.Contains(x.Signature.Hint, "pass --public-url") || strings.Contains(x.Signature.Hint, "probably not the one") {
		t.Errorf("%s, hint %q", x.Signature.Status, x.Signature.Hint)
	}

	// Without forwarding headers, a request signed for the public URL is
	// checked against the loopback address it reached: the hint asks
	// whether it was signed for a different URL and names the flag.
	plain := formHeader(signaturetest.SignForm(key, public, callForm))
	do(t, "POST", e.url+"/voice", plain, []byte(callForm.Encode()))
	if x = e.lastExchange(t); !strings.Contains(x.Signature.Hint, "signed for a different URL? pass --public-url") {
		t.Errorf("hint %q", x.Signature.Hint)
	}

	// With --public-url given, a wrong signature points at the key.
	pub := serve(t, inspect.Config{Forward: handlerURL(t, rec), SigningKey: key}, exchange.SourceLocal, func() string { return "https://hooks.example.com" })
	do(t, "POST", pub.url+"/voice", formHeader(signaturetest.SignForm("another-key", public, callForm)), []byte(callForm.Encode()))
	if x = pub.lastExchange(t); strings.Contains(x.Signature.Hint, "--public-url") || !strings.Contains(x.Signature.Hint, "key is probably not") {
		t.Errorf("with --public-url: hint %q", x.Signature.Hint)
	}
}
