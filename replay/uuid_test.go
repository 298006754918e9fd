package replay

import (
	"math/rand/v2"
	"regexp"
	"testing"
)

func TestUUID(t *testing.T) {
	v4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	a, b := rand.New(rand.NewPCG(1, 2)), rand.New(rand.NewPCG(1, 2))
	seen := map[string]bool{}
	for range 100 {
		u := UUID(a)
		if !v4.MatchString(u) || seen[u] {
			t.Fatalf("%q: not a fresh version 4 UUID", u)
		}
		seen[u] = true
		if UUID(b) != u {
			t.Fatal("the same seed gives other IDs")
		}
	}
}
