package inspect

import (
	"math"
	"math/rand/v2"
	"testing"
)

// idWindow answers as an exact set does for every ID within its window of
// the highest one added, for IDs arriving nearly in order with repeats
// (the store watcher and the handler both publish a row; a row read from
// the store arrives live too) and stragglers from far behind.
func TestIDWindowMatchesExactSetNearTheTop(t *testing.T) {
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 7))
		var w idWindow
		exact := map[int64]bool{}
		var recent []int64 // the stragglers added below the window, newest last
		top := int64(r.IntN(1 << 20))
		next := top
		for i := range 200_000 {
			var id int64
			switch k := r.IntN(100); {
			case k < 80: // the next one
				next++
				id = next
			case k < 90: // a little ahead: a gap that closes later
				id = next + 1 + int64(r.IntN(64))
			case k < 97: // a little behind: a late arrival or a repeat
				id = max(1, next-int64(r.IntN(2000)))
			case k < 99: // a jump: rows another process stored
				next += int64(r.IntN(5000))
				id = next
			default: // a straggler from far behind the window
				id = max(1, next-70_000-int64(r.IntN(1000)))
			}
			top = max(top, id)
			if got, want := w.has(id), exact[id]; got != want && top-id < 64*(idWindowWords-1) {
				t.Fatalf("seed %d step %d: has(%d) = %v, want %v (top %d)", seed, i, id, got, want, top)
			}
			if !w.has(id) {
				w.add(id)
				exact[id] = true
				if id>>6 < w.lo { // a straggler: kept as idSet keeps it
					recent = append(recent, id)
				}
				if len(recent) > 8192 {
					recent = recent[1:]
				}
			}
			if !w.has(id) {
				t.Fatalf("seed %d: %d not remembered right after add", seed, id)
			}
		}
		// Everything within the window is known exactly; of what is
		// below it, at least what idSet would still hold.
		for id := top - 64*(idWindowWords-1); id <= top+100; id++ {
			if w.has(id) != exact[id] {
				t.Fatalf("seed %d: has(%d) = %v, want %v", seed, id, w.has(id), exact[id])
			}
		}
		for _, id := range recent {
			if !w.has(id) {
				t.Fatalf("seed %d: straggler %d forgotten", seed, id)
			}
		}
	}
}

func TestIDWindowEdges(t *testing.T) {
	var w idWindow
	if w.has(1) || w.has(0) || w.has(-1) {
		t.Fatal("an empty window has IDs")
	}
	w.add(100)
	if !w.has(100) || w.has(99) || w.has(101) || w.has(100+64) || w.has(100-64) {
		t.Fatal("one ID is not exactly one bit")
	}
	// A straggler below the window is remembered (as idSet would).
	far := int64(100) - 64*idWindowWords - 5
	w.add(far)
	if !w.has(far) || w.has(far+1) {
		t.Fatal("a straggler below the window was not remembered exactly")
	}
	// Sliding the window forgets what leaves it, and only that.
	w.add(100 + 64*(idWindowWords-1))
	if !w.has(100) {
		t.Fatal("an ID still inside the window was forgotten")
	}
	w.add(100 + 64*idWindowWords)
	if w.has(100) {
		t.Fatal("an ID that left the window is still reported")
	}
	// A jump further than the window clears it all.
	w.add(1 << 40)
	if w.has(100+64*idWindowWords) || !w.has(1<<40) {
		t.Fatal("a long jump kept old bits or lost the new one")
	}
	// Negative and extreme IDs (a provisional scheme, say) are handled,
	// not wrapped into the window.
	var n idWindow
	for _, id := range []int64{-3, -2, -70000, math.MaxInt64, math.MinInt64} {
		n.add(id)
		if !n.has(id) {
			t.Fatalf("%d not remembered", id)
		}
	}
	if n.has(-3) || !n.has(-70000) || !n.has(math.MinInt64) || n.has(-4) || n.has(math.MaxInt64-1) {
		t.Fatal("after the jump to MaxInt64: the window's IDs must be forgotten, the stragglers kept")
	}
}

// BenchmarkDedupe is the per-webhook dedupe Publish and Follow each do
// (a lookup, then an add), for IDs arriving nearly in order: the map and
// ring idSet they used against the window bitmap they use now.
func BenchmarkDedupe(b *testing.B) {
	ids := make([]int64, 1<<16)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range ids {
		ids[i] = int64(i+1) + int64(r.IntN(16)) // a few out of order, some repeats
	}
	b.Run("idSet", func(b *testing.B) {
		s := newIDSet(8192)
		base := int64(0)
		for i := 0; b.Loop(); i++ {
			if i&(len(ids)-1) == 0 && i > 0 {
				base += int64(len(ids))
			}
			if id := base + ids[i&(len(ids)-1)]; !s.has(id) {
				s.add(id)
			}
		}
	})
	b.Run("idWindow", func(b *testing.B) {
		s := new(idWindow)
		base := int64(0)
		for i := 0; b.Loop(); i++ {
			if i&(len(ids)-1) == 0 && i > 0 {
				base += int64(len(ids))
			}
			if id := base + ids[i&(len(ids)-1)]; !s.has(id) {
				s.add(id)
			}
		}
	})
}
