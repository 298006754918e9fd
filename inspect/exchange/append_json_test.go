package exchange

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"
)

// The NDJSON view's tests (inspect/logview) compare AppendJSON with
// json.Marshal field by field and fuzz it; this keeps the contract visible
// where the code is.
func TestAppendJSONMatchesMarshal(t *testing.T) {
	full := Exchange{ID: 7, Time: time.Date(2026, 11, 24, 20, 0, 0, 5, time.UTC), Source: SourceReplay, ReplayOf: 3, Forward: "http://localhost:3000", Listener: "http://127.0.0.1:4747", Call: CallRef{ID: "c-1\u00e9", Parent: "p-\"0"},
		Request: Request{Method: "POST", URL: "https://a.ngrok.app/v?x=<1>", Path: "/v", Query: "x=<1>", Host: "a.ngrok.app",
			Headers: http.Header{"X-A": {"1", "2"}}, Body: Body{0xff, 0x00}, BodySize: 2, Truncated: true, RemoteAddr: "[::1]:5"},
		Event:         Event{Kind: KindCallStatus, Detail: "completed"},
		Signature:     Signature{Status: SigInvalid, Scheme: "form", Header: "X-SignalWire-Signature", Hint: "URL differs"},
		Response:      Response{Status: 502, Headers: http.Header{"Content-Type": {"text/plain"}}, Body: Body("swhook: down\n"), BodySize: 13, DurationMS: 1.5, Error: "down"},
		ResponseCheck: Check{Status: CheckError, Message: "not 2xx"}}
	for _, x := range []Exchange{{}, full} {
		want, err := json.Marshal(&x)
		if err != nil {
			t.Fatal(err)
		}
		want = EscapeControls(want)
		got, ok := AppendJSON(nil, &x)
		if !ok || !bytes.Equal(got, want) {
			t.Errorf("ok %v\n got %s\nwant %s", ok, got, want)
		}
	}
}

// fillAll sets every field reachable from v to a distinct non-zero value,
// by reflection, so a field added to Exchange is filled without anyone
// remembering to: AppendJSON must then write it, or the comparison below
// fails. A field of a kind it does not know fails the test, to be taught.
func fillAll(t *testing.T, v reflect.Value, path string, n *int) {
	t.Helper()
	*n++
	switch v.Interface().(type) {
	case time.Time:
		v.Set(reflect.ValueOf(time.Date(2026, 11, 24, 20, 0, *n, 5000, time.UTC)))
		return
	case http.Header:
		v.Set(reflect.ValueOf(http.Header{"X-" + path: {"a\u0085b", ""}, "Y": {fmt.Sprint(*n)}}))
		return
	case Body:
		v.Set(reflect.ValueOf(Body(path + " <&> \u202e\u0085")))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			fillAll(t, v.Field(i), path+"."+v.Type().Field(i).Name, n)
		}
	case reflect.String:
		v.SetString(path + " <&>\u2028\u202a\u0080\u009f\u2066\u2069")
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(int64(100 + *n))
	case reflect.Float64:
		v.SetFloat(float64(*n) + 0.25)
	case reflect.Bool:
		v.SetBool(true)
	default:
		t.Fatalf("fillAll: %s is a %s; teach fillAll (and check AppendJSON writes it)", path, v.Type())
	}
}

// A field added to Exchange (or any struct in it) and forgotten in
// AppendJSON used to vanish on save with every test green (issue 11.20).
func TestAppendJSONWritesEveryField(t *testing.T) {
	var x Exchange
	n := 0
	fillAll(t, reflect.ValueOf(&x).Elem(), "x", &n)
	want, err := json.Marshal(&x)
	if err != nil {
		t.Fatal(err)
	}
	want = EscapeControls(want)
	got, ok := AppendJSON(nil, &x)
	if !ok {
		t.Fatal("AppendJSON refused a filled exchange")
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("AppendJSON differs from json.Marshal:\n got %s\nwant %s", got, want)
	}
	var back Exchange
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, x) {
		t.Fatalf("round trip lost something:\n got %+v\nwant %+v", back, x)
	}
	for _, r := range "\u0080\u0085\u009f\u202a\u202e\u2066\u2069" {
		if bytes.ContainsRune(got, r) {
			t.Errorf("%U written raw", r)
		}
	}
}

func TestEscapeControls(t *testing.T) {
	for in, want := range map[string]string{
		``:                          ``,
		`"plain ü é € ✓"`:           `"plain ü é € ✓"`,
		"\"a\u0085b\u009bc\u0080\"": `"a\u0085b\u009bc\u0080"`,
		"[\"\u202e\",\"\u2066x\u2069\",\"\u200f\"]": `["\u202e","\u2066x\u2069","\u200f"]`,
		"\"\u2028 kept by json\u202f\u2065\"":       "\"\u2028 kept by json\u202f\u2065\"",
	} {
		got := EscapeControls([]byte(in))
		if string(got) != want {
			t.Errorf("EscapeControls(%q) = %q, want %q", in, got, want)
		}
		var a, b any
		if in != "" && (json.Unmarshal([]byte(in), &a) != nil || json.Unmarshal(got, &b) != nil || !reflect.DeepEqual(a, b)) {
			t.Errorf("EscapeControls(%q) changed the decoded value: %v vs %v", in, a, b)
		}
	}
}

func FuzzEscapeControls(f *testing.F) {
	f.Add("a\u0085\u202e\u2069b")
	f.Fuzz(func(t *testing.T, s string) {
		in, _ := json.Marshal(s)
		out := EscapeControls(in)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%q: %v", out, err)
		}
		var want string
		json.Unmarshal(in, &want)
		if back != want {
			t.Fatalf("decoded %q, want %q", back, want)
		}
		for _, r := range string(out) {
			if escapedRune(r) {
				t.Fatalf("%U left raw in %q", r, out)
			}
		}
		if got := appendJSONString(nil, s); !bytes.Equal(got, out) {
			t.Fatalf("appendJSONString %q, EscapeControls(Marshal) %q", got, out)
		}
	})
}
