package call

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestJSONSinkEscapesKeepingValues: --json is terminal-safe as every JSON
// output is (C0 escaped by encoding/json, C1 and bidi as \u escapes) and
// still holds what the handler said once decoded.
func TestJSONSinkEscapesKeepingValues(t *testing.T) {
	say := "a\u009b2Jb\u202ec\nd\x1b]0;x\x07"
	var b bytes.Buffer
	JSONSink{W: &b}.Emit(Event{Type: EvSay, Text: say, URL: "http://h/\u2066x"})
	out := b.String()
	if strings.ContainsAny(strings.TrimSuffix(out, "\n"), "\u009b\u202e\u2066\x1b\x07\n") {
		t.Errorf("raw control in %q", out)
	}
	var ev Event
	if err := json.Unmarshal(b.Bytes(), &ev); err != nil || ev.Text != say || ev.URL != "http://h/\u2066x" {
		t.Errorf("decoded %+v %v from %s", ev, err, out)
	}
}
