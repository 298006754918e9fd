package classify

import (
	"path/filepath"
	"testing"
)

// requirePlainJSONAgrees: whenever plainJSON is certain, it says what the
// decoder says.
func requirePlainJSONAgrees(t *testing.T, body []byte) {
	t.Helper()
	if ev, ok := plainJSON(body); ok {
		if want := classifyJSON(body); ev != want {
			t.Fatalf("plainJSON(%q) = %+v, classifyJSON = %+v", body, ev, want)
		}
	}
}

// TestPlainJSONTakesEveryJSONFixture: the fast path decides every real JSON
// webhook in testdata, and agrees with the decoder on each.
func TestPlainJSONTakesEveryJSONFixture(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txtar")
	n := 0
	for _, name := range files {
		r := loadRequest(t, filepath.Base(name))
		if !isJSON(mediaType(r.ContentType), r.Body) {
			continue
		}
		n++
		if _, ok := plainJSON(r.Body); !ok {
			t.Errorf("%s: plainJSON is not certain; the fast path misses a real webhook", name)
		}
		requirePlainJSONAgrees(t, r.Body)
	}
	if n < 4 {
		t.Fatalf("only %d JSON fixtures", n)
	}
}

func TestPlainJSONDeclines(t *testing.T) {
	for _, doc := range []string{
		``, `[]`, `{"call":null}`, `{"call":{"call_state":1}}`, `{"call":{"direction":null}}`, `{"call":{},"Call":{}}`,
		`{"event_type":"calling.call.state","params":{"call_state":"a","call_state":"b"}}`, `{"event_type":"calling.call.state","params":null}`,
		`{"event_\u0074ype":"x"}`, `{"event_type":"caf\u00e9"}`, `{"event_type":"café"}`, `{"status":"sent","number_of_segments":null}`,
		`{"status":5,"number_of_segments":1}`, `{"message":[]}`, `{"call":{"call_ſtate":"a"}}`, `{"a":1`,
	} {
		if _, ok := plainJSON([]byte(doc)); ok {
			t.Errorf("plainJSON(%q) is certain; it must leave this to the decoder", doc)
		}
	}
}

var jsonFragments = []string{
	`{`, `}`, `[`, `]`, `,`, `:`, ` `, `"event_type"`, `"calling.call.state"`, `"call"`, `"Call"`, `"message"`, `"params"`,
	`"status"`, `"number_of_segments"`, `"call_state"`, `"direction"`, `"created"`, `"inbound"`, `null`, `1`, `"x"`, `""`,
	`"\u0041"`, `"é"`, `{}`, `[]`, `"calling.call.receive"`, `"sent"`, `true`,
}

func FuzzPlainJSONAgreesWithDecoder(f *testing.F) {
	f.Add([]byte(`{"call":{"call_id":"1","call_state":"created","direction":"inbound"},"vars":{}}`), []byte{})
	f.Add([]byte{}, []byte{0, 7, 5, 8, 4, 12, 5, 0, 15, 5, 17, 1, 1})
	f.Add([]byte{}, []byte{0, 9, 5, 0, 15, 5, 17, 4, 16, 5, 18, 1, 1})
	f.Add([]byte{}, []byte{0, 13, 5, 28, 4, 14, 5, 20, 1})
	f.Add([]byte{}, []byte{0, 11, 5, 0, 16, 5, 18, 4, 13, 5, 21, 1, 4, 11, 5, 25, 1})
	f.Fuzz(func(t *testing.T, raw, picks []byte) {
		requirePlainJSONAgrees(t, raw)
		var doc []byte
		for _, p := range picks {
			doc = append(doc, jsonFragments[int(p)%len(jsonFragments)]...)
		}
		requirePlainJSONAgrees(t, doc)
	})
}
