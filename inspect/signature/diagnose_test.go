package signature

import (
	"strings"
	"testing"
	"unicode"

	"github.com/charmbracelet/x/exp/golden"
)

const diagKey = "PSK_diagnose_Key_7f3a"

func mustSign(t *testing.T, key string, scheme Scheme, u string, body []byte) string {
	t.Helper()
	s, err := Sign(key, scheme, u, body)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDiagnoseVariants(t *testing.T) {
	form := "CallSid=CA1&From=%2B15551234567&Body=hi+there"
	jsonBody := `{"call": {"call_id": "abc", "from": "+15551234567"}}`
	compact := `{"call":{"call_id":"abc","from":"+15551234567"}}`
	tests := []struct {
		name string
		// what the signer signed
		signURL    string
		signBody   string
		signScheme Scheme
		signKey    string
		// what was checked
		r     Request
		local string
		// what Diagnose must say
		wantURL    string
		wantWords  []string
		wantScheme Scheme
	}{
		{name: "http checked, https signed", signURL: "https://abc.ngrok.app/voice", signBody: form, signScheme: SchemeForm,
			r:       req("POST", "http://abc.ngrok.app/voice", formCT, HeaderSignalWire, "", form),
			wantURL: "https://abc.ngrok.app/voice", wantWords: []string{"valid for https://abc.ngrok.app/voice", "X-Forwarded-Proto"}, wantScheme: SchemeForm},
		{name: "https checked, http signed", signURL: "http://abc.ngrok.app/voice", signBody: form, signScheme: SchemeForm,
			r:       req("POST", "https://abc.ngrok.app/voice", formCT, HeaderSignalWire, "", form),
			wantURL: "http://abc.ngrok.app/voice", wantWords: []string{"http://, not https://"}},
		{name: "local port and scheme", signURL: "https://abc.ngrok.app/voice", signBody: form, signScheme: SchemeForm,
			r:       req("POST", "http://abc.ngrok.app:3000/voice", formCT, HeaderSignalWire, "", form),
			wantURL: "https://abc.ngrok.app/voice", wantWords: []string{"X-Forwarded-Proto"}},
		{name: "port dropped", signURL: "https://abc.example:8443/voice", signBody: form, signScheme: SchemeForm,
			r: req("POST", "https://abc.example/voice", formCT, HeaderSignalWire, "", form), local: "http://localhost:8443/voice",
			wantURL: "https://abc.example:8443/voice", wantWords: []string{"port :8443"}},
		{name: "trailing slash dropped", signURL: "https://abc.example/voice/", signBody: form, signScheme: SchemeForm,
			r:       req("POST", "https://abc.example/voice", formCT, HeaderSignalWire, "", form),
			wantURL: "https://abc.example/voice/", wantWords: []string{"slash that yours lacks"}},
		{name: "trailing slash added", signURL: "https://abc.example/voice", signBody: form, signScheme: SchemeForm,
			r:       req("POST", "https://abc.example/voice/", formCT, HeaderSignalWire, "", form),
			wantURL: "https://abc.example/voice", wantWords: []string{"no trailing slash"}},
		{name: "root slash", signURL: "https://abc.example/", signBody: form, signScheme: SchemeForm,
			r:       req("POST", "https://abc.example", formCT, HeaderSignalWire, "", form),
			wantURL: "https://abc.example/", wantWords: []string{"slash"}},
		{name: "query dropped by the signer", signURL: "https://abc.example/voice", signBody: form, signScheme: SchemeForm,
			r:       req("POST", "https://abc.example/voice?tenant=7", formCT, HeaderSignalWire, "", form),
			wantURL: "https://abc.example/voice", wantWords: []string{"signed without the query string"}},
		{name: "query dropped by the checker", signURL: "https://abc.example/voice?tenant=7", signBody: form, signScheme: SchemeForm,
			r: req("POST", "https://abc.example/voice", formCT, HeaderSignalWire, "", form), local: "http://localhost:3000/voice?tenant=7",
			wantURL: "https://abc.example/voice?tenant=7", wantWords: []string{"your URL drops"}},
		{name: "query re-encoded", signURL: "https://abc.example/voice?name=a%20b&z=1", signBody: form, signScheme: SchemeForm,
			r:       req("POST", "https://abc.example/voice?name=a+b&z=1", formCT, HeaderSignalWire, "", form),
			wantURL: "https://abc.example/voice?name=a%20b&z=1", wantWords: []string{"re-encoded"}},
		{name: "query re-ordered", signURL: "https://abc.example/voice?a=1&b=2", signBody: form, signScheme: SchemeForm,
			r:       req("POST", "https://abc.example/voice?b=2&a=1", formCT, HeaderSignalWire, "", form),
			wantURL: "https://abc.example/voice?a=1&b=2", wantWords: []string{"re-encoded"}},
		{name: "local URL", signURL: "http://localhost:3000/voice", signBody: form, signScheme: SchemeForm,
			r: req("POST", "https://abc.ngrok.app/voice", formCT, HeaderSignalWire, "", form), local: "http://localhost:3000/voice",
			wantURL: "http://localhost:3000/voice", wantWords: []string{"signed for the local URL"}},
		{name: "local address with the public path", signURL: "http://127.0.0.1:4747/voice?x=1", signBody: form, signScheme: SchemeForm,
			r: req("POST", "https://abc.ngrok.app/voice?x=1", formCT, HeaderSignalWire, "", form), local: "http://127.0.0.1:4747/",
			wantURL: "http://127.0.0.1:4747/voice?x=1", wantWords: []string{"local address"}},
		{name: "JSON re-indented by the checker", signURL: "https://abc.example/swml", signBody: compact, signScheme: SchemeJSONSHA1,
			r:       req("POST", "https://abc.example/swml", jsonCT, HeaderSignalWire, "", "{\n  \"call\": {\n    \"call_id\": \"abc\",\n    \"from\": \"+15551234567\"\n  }\n}"),
			wantURL: "https://abc.example/swml", wantWords: []string{"compactly", "raw request bytes"}, wantScheme: SchemeJSONSHA1},
		{name: "JSON re-serialised Python-style", signURL: "https://abc.example/swml", signBody: jsonBody, signScheme: SchemeJSONSHA1,
			r:       req("POST", "https://abc.example/swml", jsonCT, HeaderSignalWire, "", compact),
			wantURL: "https://abc.example/swml", wantWords: []string{"json.dumps"}},
		{name: "JSON indented by the signer", signURL: "https://abc.example/swml", signBody: "{\n    \"call\": {\n        \"call_id\": \"abc\",\n        \"from\": \"+15551234567\"\n    }\n}", signScheme: SchemeJSONSHA1,
			r:       req("POST", "https://abc.example/swml", jsonCT, HeaderSignalWire, "", compact),
			wantURL: "https://abc.example/swml", wantWords: []string{"re-indented"}},
		{name: "JSON keys sorted", signURL: "https://abc.example/swml", signBody: `{"a":1,"b":{"c":2,"d":3}}`, signScheme: SchemeJSONSHA1,
			r:       req("POST", "https://abc.example/swml", jsonCT, HeaderSignalWire, "", `{"b":{"d":3,"c":2},"a":1}`),
			wantURL: "https://abc.example/swml", wantWords: []string{"keys sorted"}},
		{name: "trailing newline added", signURL: "https://abc.example/swml", signBody: compact, signScheme: SchemeJSONSHA1,
			r:       req("POST", "https://abc.example/swml", jsonCT, HeaderSignalWire, "", compact+"\n"),
			wantURL: "https://abc.example/swml", wantWords: []string{"without its trailing newline"}},
		{name: "SHA-256 trailing newline", signURL: "https://abc.example/swml", signBody: compact, signScheme: SchemeJSONSHA256,
			r:       req("POST", "https://abc.example/swml", jsonCT, HeaderSignalWireSHA256, "", compact+"\r\n"),
			wantURL: "https://abc.example/swml", wantWords: []string{"trailing newline"}, wantScheme: SchemeJSONSHA256},
		{name: "form re-encoded, hex scheme", signURL: "https://abc.example/hook", signBody: "a=1&b=x+y", signScheme: SchemeJSONSHA1,
			r:       req("POST", "https://abc.example/hook", "", HeaderSignalWire, "", "b=x%20y&a=1"),
			wantURL: "https://abc.example/hook", wantWords: []string{"form re-encoded"}},
		{name: "form params signed as JSON hex", signURL: "https://abc.example/hook", signBody: form, signScheme: SchemeJSONSHA1,
			r:       req("POST", "https://abc.example/hook", formCT, HeaderSignalWire, "", form),
			wantURL: "https://abc.example/hook", wantWords: []string{"JSON scheme", "form post"}, wantScheme: SchemeJSONSHA1},
		{name: "SHA-256 in the SHA-1 header", signURL: "https://abc.example/swml", signBody: compact, signScheme: SchemeJSONSHA256,
			r:       req("POST", "https://abc.example/swml", jsonCT, HeaderSignalWire, "", compact),
			wantURL: "https://abc.example/swml", wantWords: []string{"HMAC-SHA256", HeaderSignalWireSHA256}, wantScheme: SchemeJSONSHA256},
		{name: "SHA-1 in the SHA-256 header", signURL: "https://abc.example/swml", signBody: compact, signScheme: SchemeJSONSHA1,
			r:       req("POST", "https://abc.example/swml", jsonCT, HeaderSignalWireSHA256, "", compact),
			wantURL: "https://abc.example/swml", wantWords: []string{"HMAC-SHA1", "belongs in " + HeaderSignalWire}},
		{name: "form scheme hex-encoded", signURL: "https://abc.example/hook", signBody: form, signScheme: "form-hex",
			r:       req("POST", "https://abc.example/hook", formCT, HeaderSignalWire, "", form),
			wantURL: "https://abc.example/hook", wantWords: []string{"hex-encoded"}},
		{name: "raw body base64", signURL: "https://abc.example/swml", signBody: compact, signScheme: "raw-b64",
			r:       req("POST", "https://abc.example/swml", jsonCT, HeaderSignalWire, "", compact),
			wantURL: "https://abc.example/swml", wantWords: []string{"mixes the two schemes"}},
		{name: "values not decoded", signURL: "https://abc.example/hook", signBody: "", signScheme: "raw-params",
			r:       req("POST", "https://abc.example/hook", formCT, HeaderSignalWire, "", form),
			wantURL: "https://abc.example/hook", wantWords: []string{"%-encoded"}},
		{name: "plus kept", signURL: "https://abc.example/hook", signBody: "", signScheme: "plus-kept",
			r:       req("POST", "https://abc.example/hook", formCT, HeaderSignalWire, "", form),
			wantURL: "https://abc.example/hook", wantWords: []string{"re-encoded on the way"}},
		// SignalWire signed From=+1555… and sent From=%2B1555…; the body
		// arrived with the + unescaped (issue 11.11).
		{name: "plus signs arrived unescaped", signURL: "https://abc.example/hook", signBody: "CallSid=CA1&From=%2B15551234567&To=%2B15559870000", signScheme: SchemeForm,
			r:       req("POST", "https://abc.example/hook", formCT, HeaderSignalWire, "", "CallSid=CA1&From=+15551234567&To=+15559870000"),
			wantURL: "https://abc.example/hook", wantWords: []string{"re-encoded on the way", "%2B into +"}},
		{name: "params not sorted", signURL: "https://abc.example/hook", signBody: "", signScheme: "unsorted",
			r:       req("POST", "https://abc.example/hook", formCT, HeaderSignalWire, "", form),
			wantURL: "https://abc.example/hook", wantWords: []string{"sort them by name"}},
		{name: "query merged into params", signURL: "https://abc.example/hook?tenant=7", signBody: form + "&tenant=7", signScheme: SchemeForm,
			r:       req("POST", "https://abc.example/hook?tenant=7", formCT, HeaderSignalWire, "", form),
			wantURL: "https://abc.example/hook?tenant=7", wantWords: []string{"query parameters are counted as form parameters"}},
		{name: "GET signed like a POST", signURL: "https://abc.example/hook", signBody: "CallSid=CA1&From=%2B1555", signScheme: SchemeForm,
			r:       req("GET", "https://abc.example/hook?From=%2B1555&CallSid=CA1", "", HeaderSignalWire, "", ""),
			wantURL: "https://abc.example/hook", wantWords: []string{"for a GET"}},
		{name: "key with a trailing newline", signURL: "https://abc.example/hook", signBody: form, signScheme: SchemeForm, signKey: diagKey,
			r:       req("POST", "https://abc.example/hook", formCT, HeaderSignalWire, "", form),
			wantURL: "https://abc.example/hook", wantWords: []string{"whitespace"}},
	}
	var sentences strings.Builder
	ran := 0
	defer func() {
		if ran == len(tests) { // not when -run picked a few
			golden.RequireEqual(t, sentences.String())
		}
	}()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkKey := diagKey
			signKey := diagKey
			if tt.signKey != "" {
				checkKey = diagKey + "\n"
			}
			tt.r.Header.Set(tt.r.headerName(), signFor(t, signKey, tt.signScheme, tt.signURL, tt.signBody, tt.r.Body))
			if v := Verify(checkKey, tt.r); v.Valid() {
				t.Fatalf("the variant verifies as it is (%+v): the test proves nothing", v)
			}
			d := Diagnose(checkKey, tt.r, DiagnoseOptions{LocalURL: tt.local})
			if !d.Found {
				t.Fatalf("not found: %s", d.Sentence)
			}
			if d.URL != tt.wantURL {
				t.Errorf("URL %s, want %s", d.URL, tt.wantURL)
			}
			for _, w := range tt.wantWords {
				if !strings.Contains(d.Sentence, w) {
					t.Errorf("sentence %q lacks %q", d.Sentence, w)
				}
			}
			if tt.wantScheme != "" && d.Scheme != tt.wantScheme {
				t.Errorf("scheme %s, want %s", d.Scheme, tt.wantScheme)
			}
			assertSentence(t, d.Sentence, checkKey)
			sentences.WriteString(tt.name + ":\n\t" + d.Sentence + "\n")
			ran++
		})
	}
}

// headerName returns the signature header the test request names (set with
// an empty value by req).
func (r Request) headerName() string {
	for _, s := range []string{HeaderSignalWireSHA256, HeaderTwilio, HeaderSignalWire} {
		if _, ok := r.Header[s]; ok {
			return s
		}
		if _, ok := r.Header[strings.ReplaceAll(s, "SignalWire", "Signalwire")]; ok {
			return s
		}
	}
	return HeaderSignalWire
}

// signFor computes what a signer (right or wrong) produced. The wrong
// schemes are spelt out here rather than borrowed from the code under test.
func signFor(t *testing.T, key string, scheme Scheme, u, body string, checkedBody []byte) string {
	t.Helper()
	params, _ := ParseForm(string(checkedBody))
	switch scheme {
	case "form-hex":
		return hexOf(formDigest(key, u, sortedParams(params)))
	case "raw-b64":
		return b64Of(hmacSHA1(key, u+body))
	case "raw-params":
		msg := u
		for _, p := range sortedParams(rawParams(string(checkedBody))) {
			msg += p.Key + p.Value
		}
		return b64Of(hmacSHA1(key, msg))
	case "plus-kept":
		msg := u
		for _, p := range sortedParams(rawParams(string(checkedBody))) {
			v, _ := formUnescape(strings.ReplaceAll(p.Value, "+", "%2B"))
			msg += p.Key + v
		}
		return b64Of(hmacSHA1(key, msg))
	case "unsorted":
		msg := u
		for _, p := range params {
			msg += p.Key + p.Value
		}
		return b64Of(hmacSHA1(key, msg))
	}
	return mustSign(t, key, scheme, u, []byte(body))
}

func assertSentence(t *testing.T, s, key string) {
	t.Helper()
	if strings.Contains(s, strings.TrimSpace(key)) {
		t.Errorf("sentence contains the key: %q", s)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			t.Errorf("sentence contains control character %U: %q", r, s)
		}
	}
	if s == "" {
		t.Error("empty sentence")
	}
}

func TestDiagnoseNothingMatches(t *testing.T) {
	form := "CallSid=CA1"
	sig := mustSign(t, "the-right-key", SchemeForm, "https://abc.example/hook", []byte(form))
	r := req("POST", "https://abc.example/hook", formCT, HeaderSignalWire, sig, form)
	d := Diagnose(diagKey, r, DiagnoseOptions{LocalURL: "http://localhost:3000/hook"})
	if d.Found {
		t.Fatalf("found %+v", d)
	}
	for _, w := range []string{"key is probably not", "Signing Key"} {
		if !strings.Contains(d.Sentence, w) {
			t.Errorf("%q lacks %q", d.Sentence, w)
		}
	}
	// Nothing about the key itself, not even its length, is said.
	if strings.Contains(d.Sentence, "characters") || strings.Contains(d.Sentence, "21") {
		t.Errorf("sentence describes the key: %q", d.Sentence)
	}
	assertSentence(t, d.Sentence, diagKey)
}

// A request signed for the public URL that reaches listen's loopback
// address with no X-Forwarded-* headers is checked against the local URL:
// the URL, not the key, is then the likelier cause, and the sentence names
// the flag. Behind a proxy the proxy's URL is blamed; with the flag not
// offered (the public URL known), or at a non-loopback host, the key is.
func TestDiagnoseUnforwardedLoopbackBlamesTheURL(t *testing.T) {
	form := "CallSid=CA1"
	sig := mustSign(t, diagKey, SchemeForm, "https://abc.example/hook", []byte(form))
	local := "http://127.0.0.1:8080/hook"
	opts := DiagnoseOptions{PublicURLFlag: "--public-url"}
	d := Diagnose(diagKey, req("POST", local, formCT, HeaderSignalWire, sig, form), opts)
	for _, w := range []string{"signed for a different URL? pass --public-url", "127.0.0.1:8080", "local address", "check the signing key"} {
		if d.Found || !strings.Contains(d.Sentence, w) {
			t.Errorf("%q lacks %q", d.Sentence, w)
		}
	}
	for _, u := range []string{"http://localhost:3000/hook", "http://[::1]:3000/hook"} {
		if d := Diagnose(diagKey, req("POST", u, formCT, HeaderSignalWire, sig, form), opts); !strings.Contains(d.Sentence, "signed for a different URL?") {
			t.Errorf("%s: %q", u, d.Sentence)
		}
	}
	proxied := req("POST", "https://proxy.example/hook", formCT, HeaderSignalWire, sig, form)
	proxied.Header.Set("X-Forwarded-Host", "proxy.example")
	if d := Diagnose(diagKey, proxied, opts); !strings.Contains(d.Sentence, "rebuilt from the X-Forwarded-Host/-Proto") {
		t.Errorf("proxied: %q", d.Sentence)
	}
	if d := Diagnose(diagKey, req("POST", local, formCT, HeaderSignalWire, sig, form), DiagnoseOptions{}); !strings.Contains(d.Sentence, "key is probably not") {
		t.Errorf("without the flag: %q", d.Sentence)
	}
	if d := Diagnose(diagKey, req("POST", "http://192.0.2.7:8080/hook", formCT, HeaderSignalWire, sig, form), opts); !strings.Contains(d.Sentence, "key is probably not") {
		t.Errorf("at a non-loopback host: %q", d.Sentence)
	}
}

func TestDiagnoseOtherStatuses(t *testing.T) {
	form := "CallSid=CA1"
	sig := mustSign(t, diagKey, SchemeForm, "https://abc.example/hook", []byte(form))
	d := Diagnose(diagKey, req("POST", "https://abc.example/hook", formCT, HeaderSignalWire, sig, form), DiagnoseOptions{})
	if !d.Found || d.Scheme != SchemeForm || !strings.Contains(d.Sentence, "valid") {
		t.Errorf("valid: %+v", d)
	}
	d = Diagnose(diagKey, req("POST", "https://abc.example/hook", formCT, "", "", form), DiagnoseOptions{})
	if d.Found || !strings.Contains(d.Sentence, "no "+HeaderSignalWire) {
		t.Errorf("missing: %+v", d)
	}
	d = Diagnose(diagKey, req("POST", "https://abc.example/hook", formCT, HeaderSignalWire, "abc", form), DiagnoseOptions{})
	if d.Found || !strings.Contains(d.Sentence, "not a signature (3 characters") {
		t.Errorf("garbage: %+v", d)
	}
	d = Diagnose("", req("POST", "https://abc.example/hook", formCT, HeaderSignalWire, sig, form), DiagnoseOptions{})
	if d.Found || !strings.Contains(d.Sentence, "no signing key") {
		t.Errorf("no key: %+v", d)
	}
}

func TestDiagnoseBodySHA256Changed(t *testing.T) {
	signed := `{"property":"value"}`
	u := WithBodySHA256("https://abc.example/hook", []byte(signed))
	sig := mustSign(t, diagKey, SchemeFormBodySHA256, u, []byte(signed))
	r := req("POST", u, jsonCT, HeaderSignalWire, sig, "{\n  \"property\": \"value\"\n}")
	d := Diagnose(diagKey, r, DiagnoseOptions{})
	if !d.Found || d.Scheme != SchemeFormBodySHA256 || !strings.Contains(d.Sentence, "bodySHA256 is the hash of the same JSON written compactly") {
		t.Errorf("%+v", d)
	}
	r.Body = []byte(`{"property":"other"}`)
	d = Diagnose(diagKey, r, DiagnoseOptions{})
	if !d.Found || !strings.Contains(d.Sentence, "changed after signing") {
		t.Errorf("%+v", d)
	}
}

func TestDiagnoseSanitisesURLs(t *testing.T) {
	signed := "https://abc.example/\x1b[31mred\u202e"
	form := "a=1"
	sig := mustSign(t, diagKey, SchemeForm, signed, []byte(form))
	d := Diagnose(diagKey, req("POST", "http://abc.example/\x1b[31mred\u202e", formCT, HeaderSignalWire, sig, form), DiagnoseOptions{})
	if !d.Found {
		t.Fatalf("%+v", d)
	}
	if strings.ContainsAny(d.Sentence, "\x1b\u202e") || !strings.Contains(d.Sentence, "%1B[31mred%E2%80%AE") {
		t.Errorf("%q", d.Sentence)
	}
}
