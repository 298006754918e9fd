package journal

import (
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkAppend is the capture path's journal work per webhook: a
// load-test-sized record (1.3 kB) appended in batches of four, the
// segments deleted as the indexer would once their rows are in SQLite.
// ns/op is per record; the copy's page faults are most of it.
func BenchmarkAppend(b *testing.B) {
	j, err := Open(filepath.Join(b.TempDir(), "swhook.db"), false)
	if err != nil {
		b.Fatal(err)
	}
	defer j.Remove()
	if !j.Mapped() {
		b.Skip("no mapped segments here")
	}
	row := []any{nil, int64(1), int64(2), "call.inbound", "valid", int64(200), "",
		[]byte(strings.Repeat("h", 744)), []byte(strings.Repeat("p", 511)), "http://127.0.0.1:4747", "b3877c40-da60-4998-90ad-b792e98472ca"}
	var buf []byte
	id := int64(0)
	b.SetBytes(int64(len(row[7].([]byte)) + len(row[8].([]byte))))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += 4 {
		buf = buf[:0]
		for range 4 {
			id++
			row[0] = id
			if buf, err = AppendRecord(buf, id, row); err != nil {
				b.Fatal(err)
			}
		}
		if err := j.Append(buf, id); err != nil {
			b.Fatal(err)
		}
		if id%512 == 0 {
			j.IndexedThrough(id - 256)
		}
	}
}
