package tui

import (
	"fmt"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/swhook/swhook/inspect/exchange"
)

func bigModel(b *testing.B, n int) *Model {
	xs := make([]*exchange.Exchange, n)
	kinds := []exchange.Kind{exchange.KindCallStatus, exchange.KindMessageStatus, exchange.KindCallInbound}
	sigs := []exchange.SignatureStatus{exchange.SigValid, exchange.SigInvalid, exchange.SigMissing, exchange.SigUnchecked}
	for i := range xs {
		x := sample(int64(i+1), fmt.Sprintf("/hook/%d", i), kinds[i%3], "ringing", sigs[i%4], 200+100*(i%4))
		xs[i] = summary(x)
	}
	m := newTestModel(newMemSource(), nil, func(c *Config) { c.PageSize = n })
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.Update(pageMsg{kind: msgInitial, limit: n + 1, xs: xs})
	if m.list.Total() != n {
		b.Fatalf("loaded %d", m.list.Total())
	}
	return m
}

// BenchmarkView100k draws the list with 100 000 exchanges loaded: the cost
// must be that of the 40 rows on screen, not of the store.
func BenchmarkView100k(b *testing.B) {
	m := bigModel(b, 100_000)
	press2 := func(k string) { m.Update(keyMsg(k)) }
	press2("g")
	for i := 0; i < 50_000; i++ {
		m.list.Move(1)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkView100kFiltered draws with a filter in force over 100 000.
func BenchmarkView100kFiltered(b *testing.B) {
	m := bigModel(b, 100_000)
	m.filterText = "sig:invalid"
	m.applyFilterText()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkFeedBurst is the cost of taking a batch of 100 new exchanges
// into a list that already holds 100 000.
func BenchmarkFeedBurst(b *testing.B) {
	m := bigModel(b, 100_000)
	next := int64(100_001)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		batch := make([]*exchange.Exchange, 100)
		for i := range batch {
			batch[i] = sample(next, "/burst", exchange.KindCallStatus, "answered", exchange.SigValid, 200)
			next++
		}
		m.Update(feedMsg{xs: batch})
	}
}
