package respcheck

import (
	"testing"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/swml"
)

// requirePlainSWMLAgrees: whenever plainSWMLJSONOK vouches for a document,
// the decoder grades it OK too, in every domain, cut short or not.
func requirePlainSWMLAgrees(t *testing.T, body []byte) {
	t.Helper()
	for _, d := range domains {
		if !plainSWMLJSONOK(body, d.flavor()) {
			continue
		}
		for _, truncated := range []bool{false, true} {
			if c := checkSWML(d, body, truncated, "JSON"); c.Status != exchange.CheckOK {
				t.Fatalf("plainSWMLJSONOK(%q) but the decoder says %+v", body, c)
			}
		}
	}
}

func TestPlainSWMLTakesCommonAnswers(t *testing.T) {
	for _, doc := range []string{
		`{"version":"1.0.0","sections":{"main":[{"answer":{}},{"play":{"url":"say:Hello"}}]}}`,
		"{\n  \"version\": \"1.0.0\",\n  \"sections\": {\n    \"main\": [ \"hangup\" ],\n    \"other\": [{\"record\": {\"beep\": true}}]\n  }\n}\n",
		`{"sections":{"main":[{"sleep":{"duration":[1,2,{"y":null}]}},{"answer":{"max_duration":-1.5e3}}]},"version":"1.0.0"}`,
	} {
		if !plainSWMLJSONOK([]byte(doc), swml.Calling) {
			t.Errorf("plainSWMLJSONOK(%q) = false; the fast path misses a common answer", doc)
		}
		requirePlainSWMLAgrees(t, []byte(doc))
	}
}

func TestPlainSWMLDeclines(t *testing.T) {
	for _, doc := range []string{
		``, `{}`, `[]`, `{"version":"1.0.0"}`, `{"version":"1.0.0","sections":{"main":{}}}`, `{"version":"1.0.1","sections":{"main":[]}}`,
		`{"version":"1.0.0","sections":{"other":[]}}`, `{"version":"1.0.0","sections":{"main":[],"x":"y"}}`, `{"version":"1.0.0","sections":null}`,
		`{"version":"1.0.0","sections":{"main":[],"main":{}}}`, `{"version":"1.0.0","sections":{"main":[]},"sections":{"main":3}}`,
		`{"version":"1.0.0","sections":{"main":[]},"version":"2"}`, `{"vers\u0069on":"1.0.0","sections":{"main":[]}}`,
		`{"verſion":"1.0.0","sections":{"main":[]}}`, `{"version":"1.0.0","sections":{"main":[]}`, `{"version":1,"sections":{"main":[]}}`,
		`{"version":"1.0.0","sections":{"ma\u0069n":[]}}`,
	} {
		if plainSWMLJSONOK([]byte(doc), swml.Calling) || plainSWMLJSONOK([]byte(doc), swml.Messaging) {
			t.Errorf("plainSWMLJSONOK(%q) = true; it must leave this to the decoder", doc)
		}
	}
}

var jsonFragments = []string{
	`{`, `}`, `[`, `]`, `,`, `:`, ` `, "\n", `"version"`, `"Version"`, `"sections"`, `"main"`, `"other"`, `"1.0.0"`, `"2"`, `null`,
	`1`, `-0.5e1`, `true`, `"a\"b"`, `"\u0069"`, `"]}"`, `{}`, `[]`, `"verſion"`, `"\\"`, `"x":`, `"main":[]`, `"version":"1.0.0"`,
	`"hangup"`, `"answer"`, `"play"`, `"reply"`, `"receive"`, `"transfer"`, `"${x}"`, `{"answer":{}}`, `"main":["hangup"]`,
}

func FuzzPlainSWMLAgreesWithDecoder(f *testing.F) {
	f.Add([]byte(`{"version":"1.0.0","sections":{"main":[]}}`), []byte{})
	f.Add([]byte{}, []byte{0, 28, 4, 10, 5, 0, 27, 1, 1})
	f.Add([]byte{}, []byte{0, 9, 5, 13, 4, 10, 5, 0, 11, 5, 2, 3, 4, 12, 5, 22, 1, 1})
	f.Add([]byte{}, []byte{0, 28, 4, 10, 5, 0, 27, 4, 27, 1, 4, 10, 5, 15, 1})
	f.Fuzz(func(t *testing.T, raw, picks []byte) {
		requirePlainSWMLAgrees(t, raw)
		var doc []byte
		for _, p := range picks {
			doc = append(doc, jsonFragments[int(p)%len(jsonFragments)]...)
		}
		requirePlainSWMLAgrees(t, doc)
	})
}
