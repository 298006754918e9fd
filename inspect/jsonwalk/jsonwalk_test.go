package jsonwalk

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestEachMember(t *testing.T) {
	doc := []byte(` { "version" : "1.0.0", "sections": {"main": [ {"a": "}"} ]}, "n": -1.5e3 ,"t":true}`)
	var names, values []string
	ok := EachMember(SkipSpace(doc), func(name, v []byte) bool {
		names = append(names, string(name))
		values = append(values, string(v))
		return true
	})
	want := []string{"version", "sections", "n", "t"}
	wantV := []string{`"1.0.0"`, `{"main": [ {"a": "}"} ]}`, `-1.5e3`, `true`}
	if !ok || len(names) != 4 {
		t.Fatalf("ok %v, names %q", ok, names)
	}
	for i := range want {
		if names[i] != want[i] || values[i] != wantV[i] {
			t.Errorf("member %d: %q = %q, want %q = %q", i, names[i], values[i], want[i], wantV[i])
		}
	}
	if EachMember([]byte(`{"a\u0062": 1}`), func(_, _ []byte) bool { return true }) {
		t.Error("a name with an escape was walked")
	}
	stop := 0
	if EachMember([]byte(`{"a":1,"b":2}`), func(_, _ []byte) bool { stop++; return false }) || stop != 1 {
		t.Errorf("fn's false did not stop the walk (%d calls)", stop)
	}
}

func TestHelpers(t *testing.T) {
	if s, ok := PlainString([]byte(`"ringing"`)); !ok || s != "ringing" {
		t.Errorf("PlainString = %q, %v", s, ok)
	}
	for _, v := range []string{`"a\n"`, `"é"`, `1`, `"`} {
		if _, ok := PlainString([]byte(v)); ok {
			t.Errorf("PlainString(%s) accepted", v)
		}
	}
	if !ASCIIFold([]byte("Event_TYPE"), "event_type") || ASCIIFold([]byte("event"), "event_type") {
		t.Error("ASCIIFold")
	}
}

// FuzzEachMember: on any valid JSON object the walk either declines or
// yields exactly the members encoding/json reads, in order.
func FuzzEachMember(f *testing.F) {
	f.Add([]byte(`{"version":"1.0.0","sections":{"main":[]}}`))
	f.Add([]byte(`{"a":[1,{"b":"]"}],"c":"\"}"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := SkipSpace(b)
		if !json.Valid(b) || len(p) == 0 || p[0] != '{' {
			return
		}
		var got [][2][]byte
		if !EachMember(p, func(name, v []byte) bool {
			got = append(got, [2][]byte{name, v})
			return true
		}) {
			return
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.Token() // '{'
		i := 0
		for ; dec.More(); i++ {
			tok, _ := dec.Token()
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				t.Fatal(err)
			}
			if i >= len(got) || tok.(string) != string(got[i][0]) || !bytes.Equal(bytes.TrimSpace(got[i][1]), raw) {
				t.Fatalf("member %d: walk %q, decoder %q = %s", i, got, tok, raw)
			}
		}
		if i != len(got) {
			t.Fatalf("walk gave %d members, the decoder %d", len(got), i)
		}
	})
}
