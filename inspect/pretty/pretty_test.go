package pretty

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestParamsOrderRepeatsAndDecoding(t *testing.T) {
	body := "To=%2B18005551212&Digits=1+2&From=%2B1415&Digits=9&Empty=&NoEq&&Bad=%zz%4&Uni=%E2%9C%93"
	got, ok := Params("application/x-www-form-urlencoded; charset=utf-8", []byte(body))
	if !ok {
		t.Fatal("not a form")
	}
	want := []Param{
		{"To", "+18005551212"}, {"Digits", "1 2"}, {"From", "+1415"}, {"Digits", "9"},
		{"Empty", ""}, {"NoEq", ""}, {"Bad", "%zz%4"}, {"Uni", "✓"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestParamsRefusesOtherTypes(t *testing.T) {
	for _, c := range []struct{ ct, body string }{
		{"application/json", `{"a":"b=c"}`},
		{"", `{"a":"b=c"}`},
		{"", `hello world`},
		{"text/xml", `<a b="c"/>`},
	} {
		if _, ok := Params(c.ct, []byte(c.body)); ok {
			t.Errorf("Params(%q, %q) took it for a form", c.ct, c.body)
		}
	}
	if p, ok := Params("", []byte("a=1&b=2")); !ok || len(p) != 2 {
		t.Errorf("query string: %v %v", p, ok)
	}
}

func TestBody(t *testing.T) {
	cases := []struct{ name, ct, body, want string }{
		{"form", "application/x-www-form-urlencoded", "CallSid=CA1&CallStatus=ringing&X=a%0Ab",
			"CallSid     CA1\nCallStatus  ringing\nX           a\n            b"},
		{"json", "application/json", `{"a":[1,2],"b":{"c":"d"}}`,
			"{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {\n    \"c\": \"d\"\n  }\n}"},
		{"broken json", "application/json", `{"a":`, `{"a":`},
		{"sniffed json", "", ` {"a":1}`, "{\n  \"a\": 1\n}"},
		{"xml", "text/xml", `<?xml version="1.0"?><Response><Say voice="x">Hi &amp; bye</Say><Hangup/><Gather><Play>u</Play></Gather></Response>`,
			"<?xml version=\"1.0\"?>\n<Response>\n  <Say voice=\"x\">Hi &amp; bye</Say>\n  <Hangup/>\n  <Gather>\n    <Play>u</Play>\n  </Gather>\n</Response>"},
		{"xml prefixes kept", "application/xml", `<a:x xmlns:a="urn:a"><a:y/></a:x>`,
			"<a:x xmlns:a=\"urn:a\">\n  <a:y/>\n</a:x>"},
		{"mismatched xml as is", "text/xml", `<Response><Say>x</Response>`, `<Response><Say>x</Response>`},
		{"two roots as is", "text/xml", `<a/><b/>`, `<a/><b/>`},
		{"yaml as text", "application/yaml", "version: 1.0.0\nsections:\n  main: []\n", "version: 1.0.0\nsections:\n  main: []\n"},
		{"text", "text/plain", "hello", "hello"},
		{"empty", "application/json", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Body(c.ct, []byte(c.body)); got != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

func TestBodyBinary(t *testing.T) {
	b := make([]byte, 1000)
	for i := range b {
		b[i] = byte(i)
	}
	got := Body("application/octet-stream", b)
	if !strings.Contains(got, "00000000  00 01 02 03") || !strings.Contains(got, "binary, 1000 bytes (first 256 shown)") {
		t.Errorf("hex dump:\n%s", got)
	}
	if strings.Count(got, "\n") > 20 {
		t.Errorf("hex dump too long: %d lines", strings.Count(got, "\n"))
	}
	if got := Body("", []byte{0xff, 0xfe}); !strings.Contains(got, "binary, 2 bytes") {
		t.Errorf("invalid utf-8: %q", got)
	}
}

func FuzzParams(f *testing.F) {
	for _, s := range []string{"a=1&b=2", "%", "%%%zz=+&&=", "a=%E2%9C", "=&=", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ps, ok := Params("application/x-www-form-urlencoded", []byte(s))
		if !ok {
			t.Fatal("a form body was refused")
		}
		// Whatever url.ParseQuery accepts, we must read the same values in the same order.
		if v, err := url.ParseQuery(s); err == nil {
			got := map[string][]string{}
			for _, p := range ps {
				got[p.Name] = append(got[p.Name], p.Value)
			}
			if len(v) != len(got) {
				t.Fatalf("%q: %d names, url.ParseQuery %d", s, len(got), len(v))
			}
			for k, vs := range v {
				if !reflect.DeepEqual(vs, got[k]) {
					t.Fatalf("%q: %s = %q, url.ParseQuery %q", s, k, got[k], vs)
				}
			}
		}
		Params("", []byte(s))
	})
}

func FuzzBody(f *testing.F) {
	for _, s := range []string{`<a><b>x</b></a>`, `{"a":1}`, "a=1", "\x00\x01", `<a b="&lt;"><!-- c --><![CDATA[x]]></a>`, `<?xml?><a`, "<a></b>"} {
		for _, ct := range []string{"", "text/xml", "application/json", "application/x-www-form-urlencoded"} {
			f.Add(ct, s)
		}
	}
	f.Fuzz(func(t *testing.T, ct, s string) {
		out := Body(ct, []byte(s))
		if len(s) > 0 && out == "" && strings.TrimSpace(s) != "" {
			t.Fatalf("Body(%q, %q) lost the body", ct, s)
		}
	})
}
