package tui

import (
	"context"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/swhook/swhook/inspect/exchange"
)

func TestFeedCoalescesABurst(t *testing.T) {
	ch := make(chan *exchange.Exchange, 1000)
	for i := 1; i <= 1000; i++ {
		ch <- &exchange.Exchange{ID: int64(i)}
	}
	r := &feedReader{ch: ch, ctx: context.Background(), interval: time.Second / 30, max: 10000, last: time.Now()}
	msg := r.next().(feedMsg)
	if len(msg.xs) != 1000 || msg.closed {
		t.Fatalf("one message should carry the whole burst: got %d, closed %v", len(msg.xs), msg.closed)
	}
	close(ch)
	if msg := r.next().(feedMsg); !msg.closed || len(msg.xs) != 0 {
		t.Errorf("closed feed: %+v", msg)
	}
}

func TestFeedBatchIsBounded(t *testing.T) {
	ch := make(chan *exchange.Exchange, 50)
	for i := 1; i <= 50; i++ {
		ch <- &exchange.Exchange{ID: int64(i)}
	}
	r := &feedReader{ch: ch, ctx: context.Background(), interval: time.Second / 30, max: 20}
	if n := len(r.next().(feedMsg).xs); n != 20 {
		t.Errorf("batch of %d, want the bound 20", n)
	}
}

func TestFeedStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := &feedReader{ch: make(chan *exchange.Exchange), ctx: ctx, interval: time.Millisecond, max: 10}
	done := make(chan tea.Msg)
	go func() { done <- r.next() }()
	cancel()
	if msg := <-done; msg != nil {
		t.Errorf("cancelled reader returned %v", msg)
	}
}

func TestFeedGapIsCaughtUpFromSource(t *testing.T) {
	xs := fixture()
	m, src := loaded(t, xs, nil)
	// #7–#9 reached the store but the feed dropped them; #10 arrives.
	for id := int64(7); id <= 10; id++ {
		src.put(sample(id, "/late", exchange.KindCallStatus, "answered", exchange.SigValid, 200))
	}
	_, cmd := m.Update(feedMsg{xs: []*exchange.Exchange{sample(10, "/late", exchange.KindCallStatus, "answered", exchange.SigValid, 200)}})
	run(m, cmd)
	for id := int64(7); id <= 10; id++ {
		if !m.list.Has(id) {
			t.Errorf("#%d missing after catch-up", id)
		}
	}
	if m.counts.Total != 4 {
		t.Errorf("counted %d new, want 4", m.counts.Total)
	}
	if selID(m) != 10 {
		t.Errorf("following list on #%d, want #10", selID(m))
	}
}

func TestFeedKeepsOnlySummaries(t *testing.T) {
	m, _ := loaded(t, nil, nil)
	x := sample(1, "/a", exchange.KindCallInbound, "", exchange.SigValid, 200)
	m.Update(feedMsg{xs: []*exchange.Exchange{x}})
	if s := m.list.Selected(); s == nil || s.Request.Body != nil || s.Response.Body != nil {
		t.Errorf("the list kept bodies: %+v", s)
	}
	if len(x.Request.Body) == 0 {
		t.Error("summarising altered the caller's exchange")
	}
}

func TestOlderPagesLoadAtTheTop(t *testing.T) {
	var xs []*exchange.Exchange
	for id := int64(1); id <= 25; id++ {
		xs = append(xs, sample(id, "/p", exchange.KindCallStatus, "ringing", exchange.SigValid, 200))
	}
	m, _ := loaded(t, xs, func(c *Config) { c.PageSize = 10 })
	if m.list.Total() != 10 || m.list.OldestID() != 16 {
		t.Fatalf("first page: %d rows from #%d", m.list.Total(), m.list.OldestID())
	}
	press(t, m, "g") // to the oldest loaded, which asks for more
	if m.list.Total() != 20 || selID(m) != 16 {
		t.Fatalf("after g: %d rows, on #%d (want 20, still on #16)", m.list.Total(), selID(m))
	}
	press(t, m, "g", "g")
	if m.list.Total() != 25 || !m.noOlder {
		t.Errorf("after paging back: %d rows, noOlder %v", m.list.Total(), m.noOlder)
	}
}

func TestTunnelUpdatesReachTheHeader(t *testing.T) {
	ch := make(chan TunnelStatus, 1)
	m := newTestModel(newMemSource(), nil, func(c *Config) { c.Tunnel = ch })
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 24})
	ch <- TunnelStatus{State: TunnelReconnecting, Message: "edge went away"}
	m.Update(waitTunnel(context.Background(), ch)())
	out := m.Render()
	if !containsAll(out, "reconnecting", "edge went away") {
		t.Errorf("header after reconnecting:\n%s", out)
	}
}
