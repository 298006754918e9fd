package signature

import (
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode"
)

var fuzzHeaders = []string{HeaderSignalWire, HeaderTwilio, HeaderSignalWireSHA256}

func FuzzVerify(f *testing.F) {
	f.Add("12345", "POST", "https://mycompany.com/myapp.php?foo=1&bar=2", formCT,
		[]byte("CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212"),
		"RSOYDt4T1cUTdK1PDd93/VVr8B8=", uint8(0), uint16(3))
	f.Add("PSK_test", "POST", "https://example.com/swml", jsonCT, []byte(`{"a":1}`), "25f6f20ad86185e740359fc565bcf0227c1505b6", uint8(2), uint16(0))
	f.Add("k", "GET", "http://h:80/x?a=%zz", "", []byte{}, "", uint8(1), uint16(0))
	f.Add("k", "POST", "https://[::1]:443/x?bodySHA256=00", "", []byte("A=100%&B=%zz%41&&=&x"), "====", uint8(0), uint16(5))
	f.Add("", "PUT", "\x1b[2J://\u202e", "multipart/form-data; boundary", []byte{0xff, 0xfe, '='}, "zz", uint8(2), uint16(1))
	f.Fuzz(func(t *testing.T, key, method, u, ct string, body []byte, sig string, hdr uint8, flip uint16) {
		name := fuzzHeaders[int(hdr)%len(fuzzHeaders)]
		h := http.Header{}
		h.Set("Content-Type", ct)
		h.Set(name, sig)
		r := Request{Method: method, URL: u, Header: h, Body: body}

		// Any input: no panic, and the sentence is terminal-safe.
		Verify(key, r)
		d := Diagnose(key, r, DiagnoseOptions{LocalURL: u + "/local"})
		for _, c := range d.Sentence {
			if unicode.IsControl(c) {
				t.Fatalf("control character %U in %q", c, d.Sentence)
			}
		}

		if key == "" {
			return
		}
		if _, ok := queryParam(u, "bodySHA256"); ok {
			return
		}
		// Sign then Verify is valid.
		scheme := SchemeFor(method, ct)
		if name == HeaderSignalWireSHA256 {
			scheme = SchemeJSONSHA256
		}
		signed := body
		if (strings.EqualFold(method, "GET") || strings.EqualFold(method, "HEAD")) && scheme == SchemeForm {
			signed = nil // a GET's parameters are in its URL; the raw-body schemes still sign what was sent
		}
		good, err := Sign(key, scheme, u, signed)
		if err != nil {
			t.Fatal(err)
		}
		h.Set(name, good)
		v := Verify(key, r)
		if params, _ := ParseForm(string(signed)); scheme == SchemeForm && len(params) == 0 && len(body) > 0 {
			// The signature covers only the URL while a body came: it
			// signs no body, so it must not validate one.
			if v.Valid() {
				t.Fatalf("a URL-only signature validates a %d-byte body: %+v", len(body), v)
			}
			if d := Diagnose(key, r, DiagnoseOptions{}); d.Sentence != URLOnlyHint {
				t.Fatalf("URL-only signature with a body diagnosed as %q", d.Sentence)
			}
			return
		}
		if !v.Valid() {
			t.Fatalf("Sign(%s) then Verify: %+v", scheme, v)
		}
		if d := Diagnose(key, r, DiagnoseOptions{}); !d.Found {
			t.Fatalf("Diagnose of a valid request: %+v", d)
		}
		if len(body) == 0 || v.Scheme != scheme || strings.EqualFold(method, "GET") || strings.EqualFold(method, "HEAD") {
			return
		}
		// Flipping a body byte breaks the signature.
		flipped := append([]byte{}, body...)
		flipped[int(flip)%len(flipped)] ^= 1
		r.Body = flipped
		if v := Verify(key, r); v.Valid() {
			t.Fatalf("body %q flipped to %q still verifies: %+v", body, flipped, v)
		}
	})
}

func FuzzFormParse(f *testing.F) {
	for _, s := range []string{"", "a=1", "a=1&&b=", "k", "=v", "a+b=c+d%20e%2B", "a=100%", "a=%zz%41", "b=2&a=z&a=y", "a;b=c", "%E2%9C%93=%e2%9c%93", "%", "&&&", "a=%4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		params, malformed := ParseForm(s)
		if len(params) > strings.Count(s, "&")+1 {
			t.Fatalf("%d params from %d segments", len(params), strings.Count(s, "&")+1)
		}
		if malformed && !strings.Contains(s, "%") {
			t.Fatal("malformed without a %")
		}
		// Re-encoding and parsing again gives the same parameters.
		var enc []string
		for _, p := range params {
			enc = append(enc, url.QueryEscape(p.Key)+"="+url.QueryEscape(p.Value))
		}
		again, bad := ParseForm(strings.Join(enc, "&"))
		if bad || !slices.Equal(again, params) {
			t.Fatalf("round trip: %q -> %v -> %v", s, params, again)
		}
		// Where the standard library accepts the input, it agrees.
		if malformed || strings.Contains(s, ";") {
			return
		}
		std, err := url.ParseQuery(s)
		if err != nil {
			return
		}
		ours := url.Values{}
		for _, p := range params {
			ours[p.Key] = append(ours[p.Key], p.Value)
		}
		if len(std) == 0 && len(ours) == 0 {
			return
		}
		if !reflect.DeepEqual(map[string][]string(std), map[string][]string(ours)) {
			t.Fatalf("%q: ours %v, net/url %v", s, ours, std)
		}
	})
}

func BenchmarkVerifyForm(b *testing.B) {
	r := req("POST", "https://mycompany.com/myapp.php?foo=1&bar=2", formCT, HeaderSignalWire, "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
		"CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212")
	b.ReportAllocs()
	for b.Loop() {
		if !Verify("12345", r).Valid() {
			b.Fatal("invalid")
		}
	}
}

func BenchmarkVerifyFormRealistic(b *testing.B) {
	body := "AccountSid=0b4f5e9a-1c2d-4e5f-8a9b-0c1d2e3f4a5b&ApiVersion=2010-04-01&CallSid=4c2a8e1f-3b5d-4f6a-9c8e-1d2f3a4b5c6d" +
		"&CallStatus=ringing&Called=%2B15551234567&Caller=%2B15557654321&Direction=inbound&From=%2B15557654321" +
		"&ForwardedFrom=&CallerName=&To=%2B15551234567&Timestamp=Tue%2C+24+Nov+2026+17%3A00%3A00+%2B0000"
	u := "https://abc123.ngrok.app/voice"
	sig, _ := Sign("PSK_bench", SchemeForm, u, []byte(body))
	r := req("POST", u, formCT, HeaderSignalWire, sig, body)
	b.ReportAllocs()
	for b.Loop() {
		if !Verify("PSK_bench", r).Valid() {
			b.Fatal("invalid")
		}
	}
}

func BenchmarkVerifyJSON(b *testing.B) {
	body := `{"call":{"call_id":"4c2a8e1f-3b5d-4f6a-9c8e-1d2f3a4b5c6d","node_id":"n1","segment_id":"s1","call_state":"created","direction":"inbound","type":"phone","from":"+15557654321","to":"+15551234567","headers":[]},"vars":{},"params":{}}`
	u := "https://abc123.ngrok.app/swml"
	sig, _ := Sign("PSK_bench", SchemeJSONSHA1, u, []byte(body))
	r := req("POST", u, jsonCT, HeaderSignalWire, sig, body)
	b.ReportAllocs()
	for b.Loop() {
		if !Verify("PSK_bench", r).Valid() {
			b.Fatal("invalid")
		}
	}
}

func BenchmarkVerifyInvalid(b *testing.B) {
	body := "CallSid=CA1&From=%2B15557654321"
	r := req("POST", "https://abc123.ngrok.app/voice", formCT, HeaderSignalWire, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", body)
	b.ReportAllocs()
	for b.Loop() {
		if Verify("PSK_bench", r).Valid() {
			b.Fatal("valid")
		}
	}
}

func BenchmarkDiagnoseNothingMatches(b *testing.B) {
	body := `{"call":{"call_id":"4c2a8e1f","from":"+15557654321"}}`
	r := req("POST", "https://abc123.ngrok.app/swml?x=1", jsonCT, HeaderSignalWire, "25f6f20ad86185e740359fc565bcf0227c1505b6", body)
	b.ReportAllocs()
	for b.Loop() {
		if Diagnose("PSK_bench", r, DiagnoseOptions{LocalURL: "http://localhost:3000/swml"}).Found {
			b.Fatal("found")
		}
	}
}
