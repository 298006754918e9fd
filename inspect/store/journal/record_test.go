package journal

import (
	"math"
	"reflect"
	"testing"
)

func TestRecordRoundTrip(t *testing.T) {
	row := []any{int64(7), int64(-1), 3, "text \x00\xff", []byte{}, []byte{0, 1}, nil, 1.5, math.Inf(-1)}
	b, err := AppendRecord([]byte("prefix"), 7, row)
	if err != nil {
		t.Fatal(err)
	}
	id, got, n, err := NextRecord(b[len("prefix"):])
	if err != nil || id != 7 || n != len(b)-len("prefix") {
		t.Fatalf("id %d n %d err %v", id, n, err)
	}
	want := []any{int64(7), int64(-1), int64(3), "text \x00\xff", []byte{}, []byte{0, 1}, nil, 1.5, math.Inf(-1)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v\nwant %#v", got, want)
	}
	if _, err := AppendRecord(nil, 1, []any{struct{}{}}); err == nil {
		t.Error("an unknown type was encoded")
	}
}

func FuzzRecord(f *testing.F) {
	good, _ := AppendRecord(nil, 3, []any{int64(3), "a", []byte("b"), nil, 2.5})
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add([]byte{})
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		id, row, n, err := NextRecord(b)
		if err != nil {
			return
		}
		if n > len(b) || id <= 0 {
			t.Fatalf("n %d of %d, id %d", n, len(b), id)
		}
		// Varints may come overlong: the re-encoding is canonical, and
		// from then on stable.
		again, err := AppendRecord(nil, id, row)
		if err != nil {
			t.Fatal(err)
		}
		id2, row2, n2, err := NextRecord(again)
		if err != nil || id2 != id || n2 != len(again) || len(row2) != len(row) {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		third, _ := AppendRecord(nil, id2, row2)
		if string(third) != string(again) {
			t.Fatalf("encoding is not stable")
		}
	})
}
