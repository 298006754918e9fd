package inspect_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/swhook/swhook/inspect"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/human"
	"github.com/swhook/swhook/inspect/signature/signaturetest"
)

const key = "PSKinspecttest"

var callForm = url.Values{"CallSid": {"CA1"}, "CallStatus": {"ringing"}, "From": {"+15551230000"}, "To": {"+15559870000"}}

func formHeader(sig string) http.Header {
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	if sig != "" {
		h.Set("X-SignalWire-Signature", sig)
	}
	return h
}

func TestEnforceSignature(t *testing.T) {
	rec := &recorder{}
	target := handlerURL(t, rec)
	e := serve(t, inspect.Config{Forward: target, SigningKey: key, EnforceSignature: true}, exchange.SourceLocal, nil)
	body := []byte(callForm.Encode())

	cases := []struct {
		name    string
		sig     string
		status  int
		verdict exchange.SignatureStatus
	}{
		{"valid", signaturetest.SignForm(key, e.url+"/voice", callForm), 200, exchange.SigValid},
		{"missing", "", 403, exchange.SigMissing},
		{"invalid", signaturetest.SignForm(key, e.url+"/other", callForm), 403, exchange.SigInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := rec.count()
			resp, answer := do(t, "POST", e.url+"/voice", formHeader(c.sig), body)
			if resp.StatusCode != c.status {
				t.Errorf("status %d, want %d (%q)", resp.StatusCode, c.status, answer)
			}
			forwarded := rec.count() > before
			if forwarded != (c.status == 200) {
				t.Errorf("forwarded = %v", forwarded)
			}
			x := e.lastExchange(t)
			if x.Signature.Status != c.verdict || x.Response.Status != c.status || x.Response.Forwarded != forwarded {
				t.Errorf("stored: signature %+v response %d forwarded %v", x.Signature, x.Response.Status, x.Response.Forwarded)
			}
			if c.status == 403 && (!strings.Contains(string(answer), "--enforce-signature") || strings.Count(string(answer), "\n") != 1) {
				t.Errorf("403 body %q, want one line naming --enforce-signature", answer)
			}
		})
	}
}

// A handler that rebuilds its own local URL instead of the public one gets
// a hint that says so.
func TestInvalidSignatureHintNamesTheLocalURL(t *testing.T) {
	rec := &recorder{}
	target := handlerURL(t, rec)
	e := serve(t, inspect.Config{Forward: target, SigningKey: key}, exchange.SourceTunnel, func() string { return "https://abc.ngrok.app" })
	// Signed for the handler's local URL, as a misconfigured handler would compute it.
	sig := signaturetest.SignForm(key, target.String()+"/voice", callForm)
	resp, _ := do(t, "POST", e.url+"/voice", formHeader(sig), []byte(callForm.Encode()))
	if resp.StatusCode != 200 || rec.count() != 1 {
		t.Fatalf("not forwarded without --enforce-signature: %d", resp.StatusCode)
	}
	x := e.lastExchange(t)
	if x.Signature.Status != exchange.SigInvalid || !strings.Contains(x.Signature.Hint, target.Host) {
		t.Errorf("signature %+v: want invalid with a hint naming %s", x.Signature, target.Host)
	}
	// And a correct one for the public URL is valid.
	do(t, "POST", e.url+"/voice", formHeader(signaturetest.SignForm(key, "https://abc.ngrok.app/voice", callForm)), []byte(callForm.Encode()))
	if x := e.lastExchange(t); x.Signature.Status != exchange.SigValid {
		t.Errorf("signature for the public URL: %+v", x.Signature)
	}
}

func TestTruncatedBodyIsNotVerified(t *testing.T) {
	e := serve(t, inspect.Config{SigningKey: key, MaxBody: 16, EnforceSignature: true}, exchange.SourceLocal, nil)
	body := []byte(callForm.Encode())
	resp, _ := do(t, "POST", e.url+"/voice", formHeader(signaturetest.SignForm(key, e.url+"/voice", callForm)), body)
	if resp.StatusCode != 403 {
		t.Errorf("status %d: a body that cannot be verified must not pass --enforce-signature", resp.StatusCode)
	}
	x := e.lastExchange(t)
	if x.Signature.Status != exchange.SigUnchecked || !strings.Contains(x.Signature.Hint, "--max-body") || x.Request.BodySize != int64(len(body)) {
		t.Errorf("stored %+v size %d", x.Signature, x.Request.BodySize)
	}
}

// A body over --max-body that carried no signature header is unsigned,
// not unchecked: there was nothing to check, key or no key.
func TestTruncatedUnsignedBodyReadsUnsigned(t *testing.T) {
	for _, k := range []string{key, ""} {
		e := serve(t, inspect.Config{SigningKey: k, MaxBody: 16}, exchange.SourceLocal, nil)
		body := []byte(callForm.Encode())
		h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
		do(t, "POST", e.url+"/voice", h, body)
		x := e.lastExchange(t)
		if got := human.SigBadge(x.Signature.Status); got != "– unsigned" || !x.Request.Truncated {
			t.Errorf("key %v: badge %q (truncated %v), want \"– unsigned\"", k != "", got, x.Request.Truncated)
		}
	}
}
