package replay

import (
	"bytes"
	"fmt"
	"testing"
)

// BenchmarkLineDiff measures the comparison replay prints for a typical
// cXML answer of a few dozen lines.
func BenchmarkLineDiff(b *testing.B) {
	var x, y bytes.Buffer
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&x, "<Say>line %d</Say>\n", i)
		fmt.Fprintf(&y, "<Say>line %d</Say>\n", i+i%7)
	}
	for b.Loop() {
		LineDiff(x.Bytes(), y.Bytes())
	}
}

// BenchmarkSetJSONField measures an in-place JSON edit (--set).
func BenchmarkSetJSONField(b *testing.B) {
	doc := []byte(`{"event_type":"calling.call.state","params":{"call_id":"x","device":{"type":"phone"},"call_state":"answered"}}`)
	v := JSONValue("ended")
	for b.Loop() {
		if _, err := SetJSONField(doc, "params.call_state", v); err != nil {
			b.Fatal(err)
		}
	}
}
