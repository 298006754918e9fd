package call

import (
	"strings"
	"testing"
)

func TestSegments(t *testing.T) {
	for s, want := range map[string]int{"": 1, "hi": 1, strings.Repeat("a", 160): 1, strings.Repeat("a", 161): 2,
		strings.Repeat("a", 307): 3, "héllo": 1, strings.Repeat("é", 70): 1, strings.Repeat("é", 71): 2} {
		if got := Segments(s); got != want {
			t.Errorf("Segments(%d runes) = %d, want %d", len([]rune(s)), got, want)
		}
	}
}
