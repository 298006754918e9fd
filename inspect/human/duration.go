// Package human formats measurements and verdicts for a person reading a
// terminal: durations, and the one vocabulary of badge words, status words
// and check marks (vocab.go). It imports only the exchange model, so the
// commands, the plain log and the live view can share it and say "12ms" or
// "✗ INVALID" the same way everywhere, without the exchange model knowing
// about screens.
package human

import (
	"strconv"
	"time"
)

// Duration writes d in at most five cells, with two or three significant
// digits: 840µs, 3.4ms, 12ms, 1.2s, 12s, 1m05s, 12m, 2h03m, 12h. A handler's time is
// read at a glance, in a column, so more digits would be noise. It rounds to
// the nearest unit shown. It returns "" when d <= 0 (nothing was measured),
// so each surface shows its own placeholder.
func Duration(d time.Duration) string {
	if d <= 0 {
		return ""
	}
	if d < time.Microsecond {
		return "<1µs"
	}
	// Each step rounds at its own precision, then checks the rounded value
	// still fits its unit (999.6µs is "1.0ms", not "1000µs").
	if n := roundTo(d, time.Microsecond); n < 1000 {
		return strconv.FormatInt(n, 10) + "µs"
	}
	if n := roundTo(d, 100*time.Microsecond); n < 100 {
		return tenths(n) + "ms"
	}
	if n := roundTo(d, time.Millisecond); n < 1000 {
		return strconv.FormatInt(n, 10) + "ms"
	}
	if n := roundTo(d, 100*time.Millisecond); n < 100 {
		return tenths(n) + "s"
	}
	if n := roundTo(d, time.Second); n < 60 {
		return strconv.FormatInt(n, 10) + "s"
	} else if n < 600 {
		return strconv.FormatInt(n/60, 10) + "m" + two(n%60) + "s"
	}
	n := roundTo(d, time.Minute)
	switch {
	case n < 60:
		return strconv.FormatInt(n, 10) + "m"
	case n < 600:
		return strconv.FormatInt(n/60, 10) + "h" + two(n%60) + "m"
	}
	return strconv.FormatInt(roundTo(d, time.Hour), 10) + "h"
}

// roundTo is d in units of unit, rounded half up (without overflowing
// near the largest duration).
func roundTo(d, unit time.Duration) int64 {
	n := int64(d / unit)
	if d%unit >= unit/2 {
		n++
	}
	return n
}

// tenths writes n tenths as "n/10.n%10".
func tenths(n int64) string {
	return strconv.FormatInt(n/10, 10) + "." + strconv.FormatInt(n%10, 10)
}

func two(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}
