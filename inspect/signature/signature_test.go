package signature

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

func req(method, url, ct, header, sig, body string) Request {
	h := http.Header{}
	if ct != "" {
		h.Set("Content-Type", ct)
	}
	if header != "" {
		h.Set(header, sig)
	}
	return Request{Method: method, URL: url, Header: h, Body: []byte(body)}
}

const formCT = "application/x-www-form-urlencoded"
const jsonCT = "application/json"

// The expected signatures below were computed outside Go with openssl, e.g.
//
//	printf '%s' "$url$k1$v1..." | openssl dgst -sha1 -hmac "$key" -binary | base64
//	printf '%s' "$url$body" | openssl dgst -sha1 -hmac "$key"        (hex)
//	printf '%s' "$url$body" | openssl dgst -sha256 -hmac "$key"      (hex)
//
// so a bug shared by Sign and Verify cannot hide.
var vectors = []struct {
	name       string
	key        string
	method     string
	url        string
	ct         string
	header     string
	body       string
	sig        string
	wantScheme Scheme
	wantURL    string // the URL variant that verified; "" = the URL as given
	wantNote   string // substring of the note; "" = no note
}{
	{name: "published vector", key: "12345", method: "POST", url: "https://mycompany.com/myapp.php?foo=1&bar=2", ct: formCT, header: HeaderSignalWire,
		body: "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212",
		sig:  "RSOYDt4T1cUTdK1PDd93/VVr8B8=", wantScheme: SchemeForm},
	{name: "published vector, params shuffled", key: "12345", method: "POST", url: "https://mycompany.com/myapp.php?foo=1&bar=2", ct: formCT, header: HeaderTwilio,
		body: "To=%2B18005551212&Digits=1234&From=%2B14158675309&CallSid=CA1234567890ABCDE&Caller=%2B14158675309",
		sig:  "RSOYDt4T1cUTdK1PDd93/VVr8B8=", wantScheme: SchemeForm},
	{name: "published vector signed with :443, checked without", key: "12345", method: "POST", url: "https://mycompany.com/myapp.php?foo=1&bar=2", ct: formCT, header: HeaderSignalWire,
		body: "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212",
		sig:  "kvajT1Ptam85bY51eRf/AJRuM3w=", wantScheme: SchemeForm, wantURL: "https://mycompany.com:443/myapp.php?foo=1&bar=2"},
	{name: "published vector signed without :443, checked with", key: "12345", method: "POST", url: "https://mycompany.com:443/myapp.php?foo=1&bar=2", ct: formCT, header: HeaderSignalWire,
		body: "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212",
		sig:  "RSOYDt4T1cUTdK1PDd93/VVr8B8=", wantScheme: SchemeForm, wantURL: "https://mycompany.com/myapp.php?foo=1&bar=2"},
	{name: "http with :80 added", key: "PSK_test", method: "POST", url: "http://example.com/hook", ct: formCT, header: HeaderSignalWire,
		body: "CallSid=CA1", sig: "dcYDW20WTTFWo4rQcnvOlMgQQts=", wantScheme: SchemeForm, wantURL: "http://example.com:80/hook"},
	{name: "non-default port and query", key: "PSK_test", method: "POST", url: "https://example.com:8443/hook?x=1", ct: formCT, header: HeaderSignalWire,
		body: "CallSid=CA1", sig: "JxpCySoxGHbx79Z1pl3/A3atfs4=", wantScheme: SchemeForm},
	{name: "non-ASCII key and values", key: "clé-ñ✓", method: "POST", url: "https://example.com/voice", ct: formCT, header: HeaderSignalWire,
		body: "From=Jos%C3%A9&Body=H%C3%A9llo+w%C3%B6rld+%E2%9C%93", sig: "FQcSmbHThfs1D3GxUuNG3EvH2jM=", wantScheme: SchemeForm},
	{name: "plus, %20, %2B and empty value", key: "PSK_test", method: "POST", url: "https://example.com/sms", ct: formCT, header: HeaderSignalWire,
		body: "Z=1&Empty=&Body=a+b%20c%2Bd", sig: "OcsRVa52GT6QjdyQwDtoHE2QZR4=", wantScheme: SchemeForm},
	{name: "repeated keys in submission order", key: "PSK_test", method: "POST", url: "https://example.com/hook", ct: formCT, header: HeaderSignalWire,
		body: "b=2&a=z&a=y", sig: "ieR6ZCrt9iuf5rx2afbjmdeTkAc=", wantScheme: SchemeForm},
	{name: "repeated keys, values sorted (Twilio helpers)", key: "PSK_test", method: "POST", url: "https://example.com/hook", ct: formCT, header: HeaderSignalWire,
		body: "b=2&a=z&a=y", sig: "7y9V83RKAx+zqDO+ws9v4Xm66zM=", wantScheme: SchemeForm, wantNote: "values sorted"},
	{name: "key-only and value-only segments", key: "PSK_test", method: "POST", url: "https://example.com/hook", ct: formCT, header: HeaderSignalWire,
		body: "flag&&=v", sig: "a/KDLYG5RlmZ7UY5CJsT5MmCeOo=", wantScheme: SchemeForm},
	{name: "malformed escapes kept raw", key: "PSK_test", method: "POST", url: "https://example.com/hook", ct: formCT, header: HeaderSignalWire,
		body: "A=100%&B=%zz%41", sig: "R8g5KZhoDaw6ihfaewzly3yK60o=", wantScheme: SchemeForm, wantNote: "malformed"},
	{name: "form without content type", key: "12345", method: "POST", url: "https://mycompany.com/myapp.php?foo=1&bar=2", header: HeaderSignalWire,
		body: "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212",
		sig:  "RSOYDt4T1cUTdK1PDd93/VVr8B8=", wantScheme: SchemeForm},
	{name: "GET signs the full URL", key: "PSK_test", method: "GET", url: "https://example.com/hook?CallSid=CA1&From=%2B15551234567", header: HeaderSignalWire,
		sig: "mUrtb0Qdy7/lXLXjTRHFU1l+U+4=", wantScheme: SchemeForm},
	{name: "GET query with + and %20 kept as sent", key: "PSK_test", method: "GET", url: "https://example.com/hook?q=a+b%20c", header: HeaderSignalWire,
		sig: "YI4J0F1kjYwyXkBj/94gzQD2pao=", wantScheme: SchemeForm},
	{name: "JSON hex SHA-1", key: "PSK_test", method: "POST", url: "https://example.com/swml", ct: jsonCT, header: HeaderSignalWire,
		body: `{"call":{"call_id":"abc","from":"+15551234567"}}`, sig: "25f6f20ad86185e740359fc565bcf0227c1505b6", wantScheme: SchemeJSONSHA1},
	{name: "JSON hex SHA-1 without content type", key: "PSK_test", method: "POST", url: "https://example.com/swml", header: HeaderSignalWire,
		body: `{"call":{"call_id":"abc","from":"+15551234567"}}`, sig: "25f6f20ad86185e740359fc565bcf0227c1505b6", wantScheme: SchemeJSONSHA1},
	{name: "JSON hex SHA-256", key: "PSK_test", method: "POST", url: "https://example.com/swml", ct: jsonCT, header: HeaderSignalWireSHA256,
		body: `{"call":{"call_id":"abc","from":"+15551234567"}}`, sig: "b4ab83e74631fb324c058cb4fcd7033f80c7b7affdbab8e76aa8f447917aa009", wantScheme: SchemeJSONSHA256},
	{name: "bodySHA256 (twilio-python vector)", key: "12345", method: "POST", url: "https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620", ct: jsonCT, header: HeaderTwilio,
		body: `{"property": "value", "boolean": true}`, sig: "a9nBmqA0ju/hNViExpshrM61xv4=", wantScheme: SchemeFormBodySHA256},
	{name: "bodySHA256 without content type", key: "PSK_test", method: "POST", url: "https://example.com/myapp?bodySHA256=5ccde7145dfb8f56479710896586cb9d5911809d83afbe34627818790db0aec9", header: HeaderSignalWire,
		body: `{"CallSid":"CA1234567890ABCDE","Caller":"+12349013030"}`, sig: "5yNp2FrgUdoS+7LbYLKbMaeCh2U=", wantScheme: SchemeFormBodySHA256},
	// From @signalwire/compatibility-api 3.2.0's own getExpectedTwilioSignature
	// and validateRequest (which accepted them): a signature made for the URL
	// without its port holds for the URL with any port.
	{name: "official validator: signed without the port, checked with :4747", key: "12345", method: "POST", url: "https://mycompany.com:4747/myapp", ct: formCT, header: HeaderSignalWire,
		body: "CallSid=CA1234567890ABCDE&From=%2B14158675309&To=%2B18005551212", sig: "HCyJe3BDCw5EPPrNypnoITgZweg=", wantScheme: SchemeForm,
		wantURL: "https://mycompany.com/myapp", wantNote: "signed for https://mycompany.com/myapp, the URL without its port :4747"},
	{name: "official validator: signed with :80, checked without", key: "12345", method: "POST", url: "http://mycompany.com/myapp", ct: formCT, header: HeaderSignalWire,
		body: "CallSid=CA1234567890ABCDE&From=%2B14158675309&To=%2B18005551212", sig: "vZJ7NnyF2WqIqp7UbFwJ/pzldnY=", wantScheme: SchemeForm,
		wantURL: "http://mycompany.com:80/myapp"},
	{name: "URL-only signature, empty body, no note", key: "PSK_test", method: "POST", url: "https://example.com/swml", ct: jsonCT, header: HeaderSignalWire,
		body: "", sig: "Z3/hhlqD0rBeMWbFJME4iB1YgoI=", wantScheme: SchemeForm},
}

func TestVerifyVectors(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			r := req(v.method, v.url, v.ct, v.header, v.sig, v.body)
			got := Verify(v.key, r)
			if got.Status != StatusValid {
				t.Fatalf("status %s, want valid (diagnosis: %s)", got.Status, Diagnose(v.key, r, DiagnoseOptions{}).Sentence)
			}
			if got.Scheme != v.wantScheme {
				t.Errorf("scheme %s, want %s", got.Scheme, v.wantScheme)
			}
			if got.Header != v.header {
				t.Errorf("header %s, want %s", got.Header, v.header)
			}
			wantURL := v.wantURL
			if wantURL == "" {
				wantURL = v.url
			}
			if got.URL != wantURL {
				t.Errorf("URL %s, want %s", got.URL, wantURL)
			}
			if v.wantNote == "" && got.Note != "" {
				t.Errorf("unexpected note %q", got.Note)
			}
			if v.wantNote != "" && !strings.Contains(got.Note, v.wantNote) {
				t.Errorf("note %q, want it to mention %q", got.Note, v.wantNote)
			}
			// The same request with another key never verifies.
			if bad := Verify(v.key+"x", r); bad.Status != StatusInvalid {
				t.Errorf("wrong key: status %s, want invalid", bad.Status)
			}
		})
	}
}

// Sign must reproduce the independently computed vectors whose URL is the
// one signed (not a port variant) and whose order is SignalWire's.
func TestSignVectors(t *testing.T) {
	for _, v := range vectors {
		if v.wantURL != "" || v.wantNote != "" && !strings.Contains(v.wantNote, "malformed") && !strings.Contains(v.wantNote, "covers only") {
			continue
		}
		if strings.Contains(v.name, "uppercase") || strings.Contains(v.name, "shuffled") {
			continue
		}
		t.Run(v.name, func(t *testing.T) {
			scheme := v.wantScheme
			body := []byte(v.body)
			if v.method == "GET" || strings.Contains(v.wantNote, "covers only") {
				body = nil
			}
			got, err := Sign(v.key, scheme, v.url, body)
			if err != nil {
				t.Fatal(err)
			}
			if got != v.sig {
				t.Errorf("Sign = %s, want %s", got, v.sig)
			}
		})
	}
}

func TestVerifyStatuses(t *testing.T) {
	body := "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212"
	u := "https://mycompany.com/myapp.php?foo=1&bar=2"
	t.Run("missing", func(t *testing.T) {
		if got := Verify("12345", req("POST", u, formCT, "", "", body)); got.Status != StatusMissing {
			t.Errorf("status %s", got.Status)
		}
		if got := Verify("12345", req("POST", u, formCT, HeaderSignalWire, "  ", body)); got.Status != StatusMissing {
			t.Errorf("blank header: status %s", got.Status)
		}
	})
	t.Run("unchecked without key", func(t *testing.T) {
		got := Verify("", req("POST", u, formCT, HeaderSignalWire, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", body))
		if got.Status != StatusUnchecked || got.Header != HeaderSignalWire {
			t.Errorf("%+v", got)
		}
	})
	t.Run("tampered body", func(t *testing.T) {
		got := Verify("12345", req("POST", u, formCT, HeaderSignalWire, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", strings.Replace(body, "1234&", "1235&", 1)))
		if got.Status != StatusInvalid || got.Header != HeaderSignalWire {
			t.Errorf("%+v", got)
		}
	})
	t.Run("non-canonical header key", func(t *testing.T) {
		r := Request{Method: "POST", URL: u, Body: []byte(body), Header: http.Header{
			"content-type":           {formCT},
			"X-SignalWire-Signature": {"RSOYDt4T1cUTdK1PDd93/VVr8B8="},
		}}
		if got := Verify("12345", r); got.Status != StatusValid {
			t.Errorf("%+v", got)
		}
	})
	t.Run("a non-default port is never dropped", func(t *testing.T) {
		// Signed for https://example.com/hook?x=1 would not verify for :8443.
		r := req("POST", "https://example.com/hook?x=1", formCT, HeaderSignalWire, "JxpCySoxGHbx79Z1pl3/A3atfs4=", "CallSid=CA1")
		if got := Verify("PSK_test", r); got.Status != StatusInvalid {
			t.Errorf("%+v", got)
		}
	})
	t.Run("hex over a form post is the wrong scheme", func(t *testing.T) {
		sig, _ := Sign("k", SchemeJSONSHA1, u, []byte(body))
		if got := Verify("k", req("POST", u, formCT, HeaderSignalWire, sig, body)); got.Status != StatusInvalid {
			t.Errorf("%+v", got)
		}
		// Without a content type every scheme is tried.
		if got := Verify("k", req("POST", u, "", HeaderSignalWire, sig, body)); got.Status != StatusValid || got.Scheme != SchemeJSONSHA1 {
			t.Errorf("no content type: %+v", got)
		}
	})
	t.Run("SHA-256 in the SHA-1 header is invalid", func(t *testing.T) {
		sig, _ := Sign("k", SchemeJSONSHA256, u, []byte(`{}`))
		if got := Verify("k", req("POST", u, jsonCT, HeaderSignalWire, sig, `{}`)); got.Status != StatusInvalid {
			t.Errorf("%+v", got)
		}
	})
	t.Run("bodySHA256 with a changed body", func(t *testing.T) {
		r := req("POST", "https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620",
			jsonCT, HeaderTwilio, "a9nBmqA0ju/hNViExpshrM61xv4=", `{"property": "value", "boolean": false}`)
		if got := Verify("12345", r); got.Status != StatusInvalid {
			t.Errorf("%+v", got)
		}
	})
	t.Run("both headers, one wrong", func(t *testing.T) {
		b := `{"call":{"call_id":"abc","from":"+15551234567"}}`
		r := req("POST", "https://example.com/swml", jsonCT, HeaderSignalWire, "25f6f20ad86185e740359fc565bcf0227c1505b6", b)
		r.Header.Set(HeaderSignalWireSHA256, strings.Repeat("0", 64))
		got := Verify("PSK_test", r)
		if got.Status != StatusValid || got.Header != HeaderSignalWire || !strings.Contains(got.Note, HeaderSignalWireSHA256) {
			t.Errorf("%+v", got)
		}
		r.Header.Set(HeaderSignalWireSHA256, "b4ab83e74631fb324c058cb4fcd7033f80c7b7affdbab8e76aa8f447917aa009")
		if got := Verify("PSK_test", r); got.Status != StatusValid || got.Note != "" {
			t.Errorf("both right: %+v", got)
		}
	})
	t.Run("garbage signature", func(t *testing.T) {
		for _, sig := range []string{"x", "====", "not a signature at all", strings.Repeat("A", 1000)} {
			if got := Verify("k", req("POST", u, "", HeaderSignalWire, sig, body)); got.Status != StatusInvalid {
				t.Errorf("%q: %+v", sig, got)
			}
		}
	})
}

func TestParseForm(t *testing.T) {
	tests := []struct {
		in        string
		want      []Param
		malformed bool
	}{
		{"", nil, false},
		{"a=1", []Param{{"a", "1"}}, false},
		{"a=1&&b=", []Param{{"a", "1"}, {"b", ""}}, false},
		{"k", []Param{{"k", ""}}, false},
		{"=v", []Param{{"", "v"}}, false},
		{"a=x=y", []Param{{"a", "x=y"}}, false},
		{"a+b=c+d%20e%2B", []Param{{"a b", "c d e+"}}, false},
		{"a=%E2%9C%93", []Param{{"a", "✓"}}, false},
		{"a=%e2%9c%93", []Param{{"a", "✓"}}, false},
		{"a=100%", []Param{{"a", "100%"}}, true},
		{"a=%zz%41", []Param{{"a", "%zzA"}}, true},
		{"a=%4", []Param{{"a", "%4"}}, true},
		{"b=2&a=z&a=y", []Param{{"b", "2"}, {"a", "z"}, {"a", "y"}}, false},
		{"a;b=c", []Param{{"a;b", "c"}}, false},
	}
	for _, tt := range tests {
		got, bad := ParseForm(tt.in)
		if bad != tt.malformed || !slices.Equal(got, tt.want) {
			t.Errorf("ParseForm(%q) = %v, %v; want %v, %v", tt.in, got, bad, tt.want, tt.malformed)
		}
	}
}

func TestSortedParamsIsStable(t *testing.T) {
	got := sortedParams([]Param{{"b", "2"}, {"a", "z"}, {"B", "0"}, {"a", "y"}, {"a", "x"}})
	want := []Param{{"B", "0"}, {"a", "z"}, {"a", "y"}, {"a", "x"}, {"b", "2"}}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v (byte order, repeated keys in submission order)", got, want)
	}
}

func TestPortVariant(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://h/p", "https://h:443/p"},
		{"https://h:443/p", "https://h/p"},
		{"http://h/p?q=1", "http://h:80/p?q=1"},
		{"http://h:80", "http://h"},
		{"HTTPS://h", "HTTPS://h:443"},
		{"https://u:p@h/x", "https://u:p@h:443/x"},
		{"https://[::1]/x", "https://[::1]:443/x"},
		{"https://[::1]:443/x", "https://[::1]/x"},
		{"https://h:8443/p", "https://h/p"},
		{"http://h:443/p", "http://h/p"},
		{"http://127.0.0.1:4747/voice?x=1", "http://127.0.0.1/voice?x=1"},
		{"https://h:/p", "https://h/p"},
		{"ftp://h/p", ""},
		{"/relative", ""},
		{"https://h/a:b?c=d:e", "https://h:443/a:b?c=d:e"},
	}
	for _, tt := range tests {
		got, ok := portVariant(tt.in)
		if !ok {
			got = ""
		}
		if got != tt.want {
			t.Errorf("portVariant(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSchemeFor(t *testing.T) {
	tests := []struct {
		method, ct string
		want       Scheme
	}{
		{"POST", "application/x-www-form-urlencoded", SchemeForm},
		{"POST", "Application/X-WWW-Form-Urlencoded; charset=utf-8", SchemeForm},
		{"GET", "", SchemeForm},
		{"get", "application/json", SchemeForm},
		{"POST", "application/json", SchemeJSONSHA1},
		{"POST", "text/plain", SchemeJSONSHA1},
		{"POST", "", SchemeJSONSHA1},
	}
	for _, tt := range tests {
		if got := SchemeFor(tt.method, tt.ct); got != tt.want {
			t.Errorf("SchemeFor(%q, %q) = %s, want %s", tt.method, tt.ct, got, tt.want)
		}
	}
}

func TestSignErrors(t *testing.T) {
	if _, err := Sign("", SchemeForm, "https://x/", nil); err != ErrNoKey {
		t.Errorf("empty key: %v", err)
	}
	if _, err := Sign("k", "nope", "https://x/", nil); err == nil {
		t.Error("unknown scheme accepted")
	}
	if _, err := Sign("k", SchemeFormBodySHA256, "https://x/", []byte("{}")); err == nil {
		t.Error("bodySHA256 without the query parameter accepted")
	}
	if _, err := Sign("k", SchemeFormBodySHA256, WithBodySHA256("https://x/", []byte("{}")), []byte("{ }")); err == nil {
		t.Error("bodySHA256 for another body accepted")
	}
}

func TestWithBodySHA256(t *testing.T) {
	body := []byte(`{"property": "value", "boolean": true}`)
	got := WithBodySHA256("https://mycompany.com/myapp.php?foo=1&bar=2", body)
	want := "https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
	if got != want {
		t.Fatalf("got %s", got)
	}
	sig, err := Sign("12345", SchemeFormBodySHA256, got, body)
	if err != nil || sig != "a9nBmqA0ju/hNViExpshrM61xv4=" {
		t.Errorf("Sign = %q, %v", sig, err)
	}
	if got := WithBodySHA256("https://x/p", nil); !strings.HasPrefix(got, "https://x/p?bodySHA256=e3b0c442") {
		t.Errorf("no query: %s", got)
	}
}

func TestResign(t *testing.T) {
	formBody := "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212"
	jsonBody := `{"call":{"call_id":"abc","from":"+15551234567"}}`
	t.Run("form post keeps X-Twilio-Signature", func(t *testing.T) {
		r := req("POST", "https://mycompany.com/myapp.php?foo=1&bar=2", formCT, HeaderTwilio, "stale", formBody)
		h, err := Resign("12345", r)
		if err != nil {
			t.Fatal(err)
		}
		if got := h.Get(HeaderTwilio); got != "RSOYDt4T1cUTdK1PDd93/VVr8B8=" {
			t.Errorf("X-Twilio-Signature = %q", got)
		}
		if h.Get(HeaderSignalWire) != "" {
			t.Error("added X-SignalWire-Signature although the original had only X-Twilio-Signature")
		}
		if r.Header.Get(HeaderTwilio) != "stale" {
			t.Error("Resign changed the original headers")
		}
		if h.Get("Content-Type") != formCT {
			t.Error("other headers lost")
		}
	})
	t.Run("JSON with SHA-256 header", func(t *testing.T) {
		r := req("POST", "https://example.com/swml", jsonCT, HeaderSignalWire, "old", jsonBody)
		r.Header["x-signalwire-sha256-signature"] = []string{"old"}
		h, err := Resign("PSK_test", r)
		if err != nil {
			t.Fatal(err)
		}
		if got := h.Get(HeaderSignalWire); got != "25f6f20ad86185e740359fc565bcf0227c1505b6" {
			t.Errorf("sha1 = %q", got)
		}
		if got := h.Get(HeaderSignalWireSHA256); got != "b4ab83e74631fb324c058cb4fcd7033f80c7b7affdbab8e76aa8f447917aa009" {
			t.Errorf("sha256 = %q", got)
		}
		if len(h.Values(HeaderSignalWireSHA256)) != 1 || h["x-signalwire-sha256-signature"] != nil {
			t.Errorf("stale spelling left behind: %v", h)
		}
	})
	t.Run("JSON without SHA-256 header gets none", func(t *testing.T) {
		h, err := Resign("PSK_test", req("POST", "https://example.com/swml", jsonCT, "", "", jsonBody))
		if err != nil {
			t.Fatal(err)
		}
		if h.Get(HeaderSignalWire) != "25f6f20ad86185e740359fc565bcf0227c1505b6" || h.Get(HeaderSignalWireSHA256) != "" {
			t.Errorf("%v", h)
		}
	})
	t.Run("GET", func(t *testing.T) {
		h, err := Resign("PSK_test", req("GET", "https://example.com/hook?CallSid=CA1&From=%2B15551234567", "", "", "", ""))
		if err != nil || h.Get(HeaderSignalWire) != "mUrtb0Qdy7/lXLXjTRHFU1l+U+4=" {
			t.Errorf("%v %v", h, err)
		}
	})
	t.Run("bodySHA256 URL", func(t *testing.T) {
		u := "https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
		h, err := Resign("12345", req("POST", u, jsonCT, HeaderTwilio, "x", `{"property": "value", "boolean": true}`))
		if err != nil || h.Get(HeaderTwilio) != "a9nBmqA0ju/hNViExpshrM61xv4=" {
			t.Errorf("%v %v", h, err)
		}
		if _, err := Resign("12345", req("POST", u, jsonCT, HeaderTwilio, "x", `{}`)); err == nil {
			t.Error("resigned a body that does not match the URL's bodySHA256")
		}
	})
	t.Run("every resigned request verifies", func(t *testing.T) {
		for _, r := range []Request{
			req("POST", "https://a.example/x?y=1", formCT, HeaderSignalWire, "x", "b=2&a=1&a=0"),
			req("POST", "http://localhost:3000/x", jsonCT, HeaderSignalWireSHA256, "x", `{"k":"✓"}`),
			req("PUT", "https://a.example/x", "text/plain", "", "", "hello"),
		} {
			h, err := Resign("sekrit", r)
			if err != nil {
				t.Fatal(err)
			}
			r.Header = h
			if v := Verify("sekrit", r); !v.Valid() || v.Note != "" {
				t.Errorf("%s %s: %+v", r.Method, r.URL, v)
			}
		}
	})
	if _, err := Resign("", req("POST", "https://x/", "", "", "", "")); err != ErrNoKey {
		t.Errorf("empty key: %v", err)
	}
}

// Signatures the official validators reject must be invalid here too, each
// with the hint a developer (or an attacker's target) needs.
func TestVerifyRejects(t *testing.T) {
	const key = "12345"
	form := "CallSid=CA1234567890ABCDE&From=%2B14158675309&To=%2B18005551212"
	urlOnly := b64Of(formDigest(key, "https://example.com/voice", nil))
	getSig := b64Of(formDigest(key, "https://example.com/voice?CallSid=CA1", nil))
	tests := []struct {
		name string
		r    Request
		hint string
	}{
		{"URL-only signature with a form body", req("POST", "https://example.com/voice", formCT, HeaderSignalWire, urlOnly, form), URLOnlyHint},
		{"URL-only signature with a JSON body", req("POST", "https://example.com/voice", jsonCT, HeaderSignalWire, urlOnly, `{"a":1}`), URLOnlyHint},
		{"URL-only signature with an untyped body", req("POST", "https://example.com/voice", "", HeaderTwilio, urlOnly, "x"), URLOnlyHint},
		{"URL-only signature with its default port twin", req("POST", "https://example.com:443/voice", formCT, HeaderSignalWire, urlOnly, form), URLOnlyHint},
		{"a GET's signature on a POST", req("POST", "https://example.com/voice?CallSid=CA1", formCT, HeaderSignalWire, getSig, form), URLOnlyHint},
		// @signalwire/compatibility-api 3.2.0 rejects a signature made for
		// :8443 at the URL without a port or with another port.
		{"official validator: signed with :8443, checked without", req("POST", "https://mycompany.com/myapp", formCT, HeaderSignalWire, "EeEgWT0P7M+FFYHazjHMICdcpTU=", form), "valid for https://mycompany.com:8443/myapp"},
		{"official validator: signed with :8443, checked with :9443", req("POST", "https://mycompany.com:9443/myapp", formCT, HeaderSignalWire, "EeEgWT0P7M+FFYHazjHMICdcpTU=", form), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := requireSame(t, NewVerifier(key), key, tt.r)
			if v.Status != StatusInvalid {
				t.Fatalf("verdict %+v, want invalid", v)
			}
			d := Diagnose(key, tt.r, DiagnoseOptions{LocalURL: "http://localhost:8443/myapp"})
			if tt.hint != "" && !strings.Contains(d.Sentence, tt.hint) {
				t.Errorf("hint %q, want it to contain %q", d.Sentence, tt.hint)
			}
		})
	}
}

// @signalwire/web-api's validateRequest checks a JSON signature against the
// exact URL it is given; only the compatibility API's form check tries the
// URL without its port and with the default one. A JSON signature for the
// port twin is invalid, and Diagnose says which URL it was made for.
func TestJSONSignatureCoversTheExactURL(t *testing.T) {
	const body = `{"call":{"call_id":"abc"}}`
	for _, c := range []struct{ checked, signed, change string }{
		{"https://example.com:8443/swml", "https://example.com/swml", "removed"},
		{"https://example.com/swml", "https://example.com:443/swml", "added"},
		{"https://example.com:443/swml", "https://example.com/swml", "removed"},
	} {
		for _, scheme := range []Scheme{SchemeJSONSHA1, SchemeJSONSHA256} {
			header := HeaderSignalWire
			if scheme == SchemeJSONSHA256 {
				header = HeaderSignalWireSHA256
			}
			sig, err := Sign("k", scheme, c.signed, []byte(body))
			if err != nil {
				t.Fatal(err)
			}
			r := req("POST", c.checked, jsonCT, header, sig, body)
			if got := Verify("k", r); got.Status != StatusInvalid {
				t.Errorf("%s signed for %s, checked at %s: %+v, want invalid", scheme, c.signed, c.checked, got)
			}
			d := Diagnose("k", r, DiagnoseOptions{})
			if !d.Found || d.URL != c.signed || !strings.Contains(d.Sentence, "port "+c.change) || !strings.Contains(d.Sentence, "exact URL") {
				t.Errorf("%s signed for %s, checked at %s: diagnosis %+v", scheme, c.signed, c.checked, d)
			}
			// At the URL it was made for, it holds.
			if got := Verify("k", req("POST", c.signed, jsonCT, header, sig, body)); got.Status != StatusValid || got.Scheme != scheme {
				t.Errorf("%s at its own URL %s: %+v", scheme, c.signed, got)
			}
		}
	}
}

// @signalwire/web-api compares the hex text exactly: an uppercase hex
// signature (SignalWire sends lowercase) fails the developer's check, so it
// is invalid here too, and Diagnose says why.
func TestUppercaseHexIsInvalid(t *testing.T) {
	r := req("POST", "https://example.com/swml", jsonCT, HeaderSignalWire, "25F6F20AD86185E740359FC565BCF0227C1505B6", `{"call":{"call_id":"abc","from":"+15551234567"}}`)
	if got := Verify("PSK_test", r); got.Status != StatusInvalid {
		t.Errorf("uppercase hex: %+v, want invalid", got)
	}
	if d := Diagnose("PSK_test", r, DiagnoseOptions{}); !d.Found || d.Scheme != SchemeJSONSHA1 || !strings.Contains(d.Sentence, "valid in lowercase") {
		t.Errorf("diagnosis %+v", d)
	}
}

// A GET is signed with the base64 form scheme over the URL, and checked
// with the compatibility API's validator, which tries no other: the JSON
// scheme's hex over the same URL is invalid, and Diagnose names the mix-up.
func TestHexOverAGETIsTheWrongScheme(t *testing.T) {
	const u = "https://example.com/status?CallSid=CA1"
	sig, err := Sign("k", SchemeJSONSHA1, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := req("GET", u, "", HeaderSignalWire, sig, "")
	if got := Verify("k", r); got.Status != StatusInvalid {
		t.Errorf("hex over a GET: %+v, want invalid", got)
	}
	if d := Diagnose("k", r, DiagnoseOptions{}); !d.Found || d.Scheme != SchemeJSONSHA1 || !strings.Contains(d.Sentence, "this is a GET") {
		t.Errorf("diagnosis %+v", d)
	}
	good, _ := Sign("k", SchemeForm, u, nil)
	if got := Verify("k", req("GET", u, "", HeaderSignalWire, good, "")); got.Status != StatusValid || got.Scheme != SchemeForm {
		t.Errorf("the form scheme over a GET: %+v", got)
	}
}

// SignalWire signs a messaging SWML request over the URL as configured,
// Basic credentials included (docs: SWML webhook security), while the
// request carries them in Authorization: such a signature is valid, the
// password never shows, and the same signature without the credentials on
// the request is not.
func TestJSONSignatureOverTheURLWithCredentials(t *testing.T) {
	const body = `{"message":{"body":"hi"}}`
	sig, err := Sign("k", SchemeJSONSHA1, "https://bob:s3cret@h.example/sms?x=1", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	r := req("POST", "https://h.example/sms?x=1", jsonCT, HeaderSignalWire, sig, body)
	if got := Verify("k", r); got.Status != StatusInvalid {
		t.Errorf("without the credentials on the request: %+v, want invalid", got)
	}
	r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("bob:s3cret")))
	got := requireSame(t, NewVerifier("k"), "k", r)
	if got.Status != StatusValid || got.Scheme != SchemeJSONSHA1 || got.Note != CredentialNote || got.URL != "https://bob:***@h.example/sms?x=1" {
		t.Errorf("with them: %+v", got)
	}
	if strings.Contains(fmt.Sprint(got), "s3cret") {
		t.Errorf("the verdict shows the password: %+v", got)
	}
	r.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte("bob:other")))
	if got := Verify("k", r); got.Status != StatusInvalid {
		t.Errorf("other credentials: %+v, want invalid", got)
	}
}
