package replay

import (
	"bytes"
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/swhook/swhook/inspect/exchange"
)

func TestSetFormParamKeepsOrderAndEncoding(t *testing.T) {
	cases := []struct{ form, name, value, want string }{
		{"A=1&CallStatus=ringing&B=%2B1", "CallStatus", "completed", "A=1&CallStatus=completed&B=%2B1"},
		{"A=1&B=2", "C", "x y", "A=1&B=2&C=x+y"},
		{"", "From", "+15551234567", "From=%2B15551234567"},
		{"K=1&K=2&J=3", "K", "9", "K=9&J=3"},
		{"Call%53id=abc&X=1", "CallSid", "new", "CallSid=new&X=1"},
		{"A=%ZZ&B=1", "B", "2", "A=%ZZ&B=2"}, // an undecodable neighbour is left alone
	}
	for _, c := range cases {
		if got := SetFormParam(c.form, c.name, c.value); got != c.want {
			t.Errorf("SetFormParam(%q, %q, %q) = %q, want %q", c.form, c.name, c.value, got, c.want)
		}
	}
}

func TestSetJSONFieldSplicesInPlace(t *testing.T) {
	doc := `{ "event_type": "calling.call.state",
  "params": {"call_state": "answered", "n": 1, "device": {"type": "phone"}},
  "list": [1, 2] }`
	cases := []struct{ path, value, want string }{
		{"params.call_state", "ended", strings.Replace(doc, `"call_state": "answered"`, `"call_state": "ended"`, 1)},
		{"params.n", "42", strings.Replace(doc, `"n": 1`, `"n": 42`, 1)},
		{"params.n", `{"a":true}`, strings.Replace(doc, `"n": 1`, `"n": {"a":true}`, 1)},
		{"params.device.type", "sip", strings.Replace(doc, `"type": "phone"`, `"type": "sip"`, 1)},
		{"list", "null", strings.Replace(doc, `[1, 2]`, `null`, 1)},
		{"params.new", "x", strings.Replace(doc, `{"type": "phone"}}`, `{"type": "phone"},"new":"x"}`, 1)},
		{"a.b.c", "1", strings.Replace(doc, `[1, 2] }`, `[1, 2] ,"a":{"b":{"c":1}}}`, 1)},
	}
	for _, c := range cases {
		got, err := SetJSONField([]byte(doc), c.path, JSONValue(c.value))
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		if string(got) != c.want {
			t.Errorf("%s=%s:\n got %s\nwant %s", c.path, c.value, got, c.want)
		}
		if !json.Valid(got) {
			t.Errorf("%s: result is not JSON: %s", c.path, got)
		}
	}
	if got, err := SetJSONField([]byte(`{}`), "a", JSONValue("1")); err != nil || string(got) != `{"a":1}` {
		t.Errorf("empty object: %s %v", got, err)
	}
}

func TestSetJSONFieldErrors(t *testing.T) {
	for _, c := range []struct{ doc, path string }{
		{`{"params": "text"}`, "params.x"},
		{`[1]`, "a"},
		{`{"a":1`, "a"},
		{`{"a":1} {"b":2}`, "a"},
		{`{"a":1}`, "a..b"},
	} {
		if got, err := SetJSONField([]byte(c.doc), c.path, JSONValue("1")); err == nil {
			t.Errorf("SetJSONField(%s, %s) = %s, want an error", c.doc, c.path, got)
		}
	}
}

func TestJSONValue(t *testing.T) {
	for in, want := range map[string]string{
		"ended": `"ended"`, "42": `42`, "true": `true`, `"q"`: `"q"`, "+15551234567": `"+15551234567"`, "": `""`,
	} {
		if got := string(JSONValue(in)); got != want {
			t.Errorf("JSONValue(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestParseAssignment(t *testing.T) {
	a, err := ParseAssignment("Body=a=b")
	if err != nil || a != (Assignment{"Body", "a=b"}) {
		t.Errorf("got %+v %v", a, err)
	}
	if a, err := ParseAssignment("Empty="); err != nil || a.Value != "" {
		t.Errorf("got %+v %v", a, err)
	}
	for _, bad := range []string{"NoEquals", "=v", ""} {
		if _, err := ParseAssignment(bad); err == nil {
			t.Errorf("ParseAssignment(%q): want an error", bad)
		}
	}
}

func TestTargetURL(t *testing.T) {
	orig := exchange.Request{URL: "https://abc.ngrok.app/voice?x=1", Path: "/voice", Query: "x=1"}
	cases := []struct{ target, want string }{
		{"http://localhost:3000", "http://localhost:3000/voice?x=1"},
		{"http://localhost:3000/", "http://localhost:3000/voice?x=1"},
		{"http://localhost:3000/other", "http://localhost:3000/other?x=1"},
		{"http://localhost:3000/other?y=2", "http://localhost:3000/other?y=2"},
		{"https://h.example:8443", "https://h.example:8443/voice?x=1"},
	}
	for _, c := range cases {
		got, err := TargetURL(c.target, orig)
		if err != nil || got != c.want {
			t.Errorf("TargetURL(%q) = %q, %v; want %q", c.target, got, err, c.want)
		}
	}
	// No path recorded: it comes from the URL.
	if got, _ := TargetURL("http://l:1", exchange.Request{URL: "https://a/b/c?d=e"}); got != "http://l:1/b/c?d=e" {
		t.Errorf("from URL: %q", got)
	}
	for _, bad := range []string{"localhost:3000", "ftp://x/", "http://", "::"} {
		if _, err := TargetURL(bad, orig); err == nil {
			t.Errorf("TargetURL(%q): want an error", bad)
		}
	}
}

func TestApplySetsPicksTheEncoding(t *testing.T) {
	body, q, err := applySets("POST", "application/x-www-form-urlencoded; charset=utf-8", []byte("A=1&B=2"), "k=v", []Assignment{{"B", "3"}})
	if err != nil || string(body) != "A=1&B=3" || q != "k=v" {
		t.Errorf("form: %q %q %v", body, q, err)
	}
	body, _, err = applySets("POST", "", []byte(`{"a":1}`), "", []Assignment{{"a", "2"}})
	if err != nil || string(body) != `{"a":2}` {
		t.Errorf("sniffed JSON: %q %v", body, err)
	}
	body, q, err = applySets("GET", "", nil, "CallSid=1&CallStatus=ringing", []Assignment{{"CallStatus", "completed"}})
	if err != nil || len(body) != 0 || q != "CallSid=1&CallStatus=completed" {
		t.Errorf("GET query: %q %q %v", body, q, err)
	}
	if _, _, err := applySets("POST", "application/octet-stream", []byte{1, 2}, "", []Assignment{{"a", "b"}}); err == nil {
		t.Error("binary body: want an error")
	}
}

func TestLineDiff(t *testing.T) {
	a := []byte("<Response>\n<Say>error</Say>\n</Response>\n")
	b := []byte("<Response>\n<Say>ok</Say>\n</Response>\n")
	got := LineDiff(a, b)
	want := []string{"- <Say>error</Say>", "+ <Say>ok</Say>"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q", got)
	}
	if LineDiff(a, a) != nil {
		t.Error("equal bodies: want no diff")
	}
	if got := LineDiff(nil, []byte("x\x1b]0;t\a")); len(got) != 1 || strings.ContainsAny(got[0], "\x1b\a") {
		t.Errorf("diff is not terminal-safe: %q", got)
	}
	big := bytes.Repeat([]byte("l\n"), maxDiffLines+1)
	if got := LineDiff(big, nil); len(got) != 1 {
		t.Errorf("long bodies: %q", got)
	}
}

// FuzzSetJSONField: whatever the document, the result is either an error
// or valid JSON in which the path now holds the value.
func FuzzSetJSONField(f *testing.F) {
	f.Add([]byte(`{"a":{"b":1},"c":[1,2]}`), "a.b", "2")
	f.Add([]byte(`{}`), "x.y", `"s"`)
	f.Add([]byte(` { "k" : "v" } `), "k", "null")
	f.Add([]byte(`{"a":1,"a":2}`), "a", "3")
	f.Fuzz(func(t *testing.T, doc []byte, path, value string) {
		out, err := SetJSONField(doc, path, JSONValue(value))
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("SetJSONField(%q, %q) gave invalid JSON %q", doc, path, out)
		}
		var v any
		d := json.NewDecoder(bytes.NewReader(out))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			t.Fatal(err)
		}
		if ambiguous(doc, path) {
			return
		}
		for _, k := range strings.Split(path, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%q in %q: not an object", path, out)
			}
			v = m[k]
		}
		var want any
		d = json.NewDecoder(bytes.NewReader(JSONValue(value)))
		d.UseNumber()
		if err := d.Decode(&want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(v, want) && !ambiguous(doc, path) {
			t.Fatalf("%q in %q = %v, want %v", path, out, v, want)
		}
	})
}

// ambiguous reports documents where decoding may not see the edit: with a
// duplicate key the decoder keeps the last while SetJSONField edits the
// first (a key may also be spelt with escapes).
func ambiguous(doc []byte, path string) bool {
	if bytes.Contains(doc, []byte(`\`)) {
		return true
	}
	for _, k := range strings.Split(path, ".") {
		if bytes.Count(doc, []byte(`"`+k+`"`)) > 1 {
			return true
		}
	}
	return false
}

// FuzzSetFormParam: the edited form decodes with the new value first for
// that name, and every other parameter unchanged and in order.
func FuzzSetFormParam(f *testing.F) {
	f.Add("A=1&B=2", "B", "x")
	f.Add("", "k", "v")
	f.Add("a=%20&&=b", "c", "&=")
	f.Fuzz(func(t *testing.T, form, name, value string) {
		if name == "" {
			return
		}
		out := SetFormParam(form, name, value)
		vals, err := url.ParseQuery(out)
		if err != nil {
			if _, err0 := url.ParseQuery(form); err0 == nil {
				t.Fatalf("SetFormParam(%q) made an undecodable form %q: %v", form, out, err)
			}
			return
		}
		if got := vals[name]; len(got) != 1 || got[0] != value {
			t.Fatalf("SetFormParam(%q, %q, %q) = %q: %q holds %q", form, name, value, out, name, got)
		}
	})
}

func TestForwardURLJoinsLikeListen(t *testing.T) {
	orig := exchange.Request{Path: "/voice", Query: "x=1"}
	for fwd, want := range map[string]string{
		"http://localhost:3000":      "http://localhost:3000/voice?x=1",
		"http://localhost:3000/":     "http://localhost:3000/voice?x=1",
		"http://localhost:3000/api":  "http://localhost:3000/api/voice?x=1",
		"http://localhost:3000/api/": "http://localhost:3000/api/voice?x=1",
	} {
		if got, err := ForwardURL(fwd, orig); err != nil || got != want {
			t.Errorf("ForwardURL(%q) = %q, %v; want %q", fwd, got, err, want)
		}
	}
	if _, err := ForwardURL("nonsense", orig); err == nil {
		t.Error("want an error")
	}
}

// FuzzTargetURL: whatever the target and the recorded path, the result is
// an http(s) URL on the target's host — a replay never goes elsewhere.
func FuzzTargetURL(f *testing.F) {
	f.Add("http://localhost:3000", "/voice", "x=1")
	f.Add("https://h:8443/p?q", "//evil.example/x", "")
	f.Add("http://l:1", "/a b", "c=%zz")
	f.Fuzz(func(t *testing.T, target, path, query string) {
		got, err := TargetURL(target, exchange.Request{Path: path, Query: query})
		if err != nil {
			return
		}
		tu, _ := url.Parse(target)
		u, err := url.Parse(got)
		if err != nil {
			// The recorded path was not a valid escaped path: the request
			// would fail to build, not go astray.
			return
		}
		if u.Host != tu.Host || u.Scheme != tu.Scheme {
			t.Fatalf("TargetURL(%q, %q, %q) = %q: host %q, want %q", target, path, query, got, u.Host, tu.Host)
		}
	})
}
