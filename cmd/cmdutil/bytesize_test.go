package cmdutil

import (
	"strings"
	"testing"
)

func FuzzByteSize(f *testing.F) {
	for _, s := range []string{"10MiB", "512KB", "1048576", "1 GiB", "k", "-1", "99999999999999999999G"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b ByteSize
		if err := b.Set(s); err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if b < 0 {
			t.Fatalf("%q parsed to a negative size %d", s, b)
		}
		var again ByteSize
		if err := again.Set(b.String()); err != nil || again != b {
			t.Fatalf("%q -> %d -> %q -> %d (%v)", s, b, b.String(), again, err)
		}
	})
}
