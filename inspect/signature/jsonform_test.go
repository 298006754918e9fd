package signature

import (
	"testing"
)

// Vectors computed by the official code: the compatibility API's
// getExpectedTwilioSignature over JSON.parse(body), which
// @signalwire/web-api 3.1.7's validateRequest accepts as its fallback (the
// first is web-api's own test; the second was made with
// @signalwire/compatibility-api 3.x's lib/webhooks and checked true by
// webapi.validateRequest).
func TestJSONBodySignedAsForm(t *testing.T) {
	for _, tc := range []struct{ name, key, url, body, sig string }{
		{"web-api's test", "12345", "https://mycompany.com/myapp.php?foo=1&bar=2",
			`{"CallSid":"CA1234567890ABCDE","Caller":"+14158675309","Digits":"1234","From":"+14158675309","To":"+18005551212"}`,
			"RSOYDt4T1cUTdK1PDd93/VVr8B8="},
		{"JavaScript stringification", "PSK_7TruNcSNTxp4zNrykMj4EPzF", "https://example.ngrok.app/hooks/voice?x=1",
			`{"b":"2","a":1.50,"big":1e21,"small":1e-7,"n":null,"t":true,"arr":[1,[2,"x"],null,{"k":1}],"obj":{"z":1},"é":"ü","\ud83d\ude00":"emoji","\uffff":"last","a":"dup-last","c":1.50,"d":123456789012345678,"e":-0,"f":2.5e-8}`,
			"W5NNKwTAHlQ1J8NYZ47feUc2DhM="},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := req("POST", tc.url, "application/json", HeaderSignalWire, tc.sig, tc.body)
			got := requireSame(t, NewVerifier(tc.key), tc.key, r)
			if got.Status != StatusValid || got.Scheme != SchemeForm || got.Note != JSONFormNote || got.URL != tc.url {
				t.Errorf("got %+v, want valid (form) with the JSON-form note", got)
			}
			if got := Verify(tc.key+"x", r); got.Status != StatusInvalid {
				t.Errorf("another key: %+v, want invalid", got)
			}
			r.Body = append(r.Body[:len(r.Body)-1], `,"more":1}`...)
			if got := Verify(tc.key, r); got.Status != StatusInvalid {
				t.Errorf("another body: %+v, want invalid", got)
			}
		})
	}
	// The fallback is web-api's, for JSON only: the same body as a form
	// post is not signed that way.
	const body = `{"CallSid":"CA1234567890ABCDE","Caller":"+14158675309","Digits":"1234","From":"+14158675309","To":"+18005551212"}`
	r := req("POST", "https://mycompany.com/myapp.php?foo=1&bar=2", "text/plain", HeaderSignalWire, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", body)
	if got := requireSame(t, NewVerifier("12345"), "12345", r); got.Status != StatusInvalid {
		t.Errorf("as text/plain: %+v, want invalid", got)
	}
}

func TestJSNumber(t *testing.T) {
	for f, want := range map[float64]string{
		0: "0", 1.5: "1.5", 100: "100", 1e21: "1e+21", 1.5e21: "1.5e+21", 1e-7: "1e-7", 2.5e-8: "2.5e-8",
		123456789012345678: "123456789012345680", -3: "-3", 0.1: "0.1",
	} {
		if got := jsNumber(f); got != want {
			t.Errorf("jsNumber(%v) = %q, want %q", f, got, want)
		}
	}
}
