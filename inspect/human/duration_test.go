package human

import (
	"testing"
	"time"
	"unicode/utf8"
)

func TestDuration(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, ""},
		{-time.Second, ""},
		{1, "<1µs"},
		{time.Microsecond, "1µs"},
		{840 * time.Microsecond, "840µs"},
		{999*time.Microsecond + 400, "999µs"},
		{999*time.Microsecond + 600, "1.0ms"}, // rounds up into the next unit
		{3400 * time.Microsecond, "3.4ms"},
		{9960 * time.Microsecond, "10ms"},
		{12500 * time.Microsecond, "13ms"},
		{999 * time.Millisecond, "999ms"},
		{999600 * time.Microsecond, "1.0s"},
		{1534 * time.Millisecond, "1.5s"},
		{9960 * time.Millisecond, "10s"},
		{12 * time.Second, "12s"},
		{59600 * time.Millisecond, "1m00s"},
		{65 * time.Second, "1m05s"},
		{75 * time.Second, "1m15s"},
		{9*time.Minute + 59*time.Second + 600*time.Millisecond, "10m"},
		{59*time.Minute + 29*time.Second, "59m"},
		{59*time.Minute + 30*time.Second, "1h00m"},
		{2*time.Hour + 3*time.Minute, "2h03m"},
		{9*time.Hour + 59*time.Minute + 30*time.Second, "10h"},
		{1<<63 - 1, "2562048h"},
	} {
		if got := Duration(c.d); got != c.want {
			t.Errorf("Duration(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

// TestDurationFitsAColumn walks every magnitude a handler can take and
// checks the text never grows past the five cells the TOOK column has.
func TestDurationFitsAColumn(t *testing.T) {
	for d := time.Duration(1); d < 100*time.Hour; d = d*11/10 + 1 {
		s := Duration(d)
		if n := utf8.RuneCountInString(s); n == 0 || n > 5 {
			t.Fatalf("Duration(%v) = %q: %d cells", d, s, n)
		}
	}
}

func FuzzDuration(f *testing.F) {
	for _, s := range []int64{0, 1, 999_500, 9_950_000, 999_500_000, 59_500_000_000, 3_599_500_000_000, 1 << 62} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, n int64) {
		s := Duration(time.Duration(n))
		if n <= 0 {
			if s != "" {
				t.Fatalf("Duration(%d) = %q, want empty", n, s)
			}
			return
		}
		if s == "" || !utf8.ValidString(s) {
			t.Fatalf("Duration(%d) = %q", n, s)
		}
		if n < int64(100*time.Hour) && utf8.RuneCountInString(s) > 5 {
			t.Fatalf("Duration(%d) = %q: wider than five cells", n, s)
		}
	})
}
