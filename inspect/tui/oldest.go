package tui

import (
	"context"

	tea "charm.land/bubbletea/v2"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/termsafe"
	"github.com/swhook/swhook/inspect/tui/list"
)

// Paged is a Source that also reads forward: g jumps to the oldest row
// however much history there is, then the view pages newer from there.
type Paged interface {
	// ListAfter returns up to limit exchanges with IDs above afterID,
	// oldest first.
	ListAfter(ctx context.Context, afterID int64, limit int) ([]*exchange.Exchange, error)
}

// afterMsg is a page read forward; oldest is set for the jump to the
// oldest row (the list starts over from it).
type afterMsg struct {
	oldest bool
	limit  int
	xs     []*exchange.Exchange
	err    error
}

func (m *Model) loadAfter(after int64, oldest bool) tea.Cmd {
	p, ok := m.cfg.Source.(Paged)
	if !ok {
		return nil
	}
	ctx, limit := m.ctx, m.cfg.PageSize
	return func() tea.Msg {
		xs, err := p.ListAfter(ctx, after, limit)
		return afterMsg{oldest: oldest, limit: limit, xs: xs, err: err}
	}
}

// top is g: the oldest loaded row when everything is loaded, else the
// store's oldest row, in one read (not a page back per press).
func (m *Model) top() tea.Cmd {
	if _, ok := m.cfg.Source.(Paged); !ok || m.noOlder || m.found != nil || !m.loaded {
		m.rows().Top()
		return m.older()
	}
	m.rows().Top()
	return m.loadAfter(0, true)
}

func (m *Model) onAfter(msg afterMsg) {
	m.loadingNewer = false
	if msg.err != nil {
		m.setStatus("cannot read the store: "+termsafe.String(msg.err.Error()), true)
		return
	}
	if msg.oldest {
		// History mode: the list holds a stretch from the oldest row; live
		// rows wait in the store until the view reaches them (or G).
		f := m.list.Filter()
		m.list = list.New()
		m.list.SetFilter(f)
		m.layout()
		m.history, m.noOlder = true, true
	}
	if m.list.Following() && m.history {
		m.list.TogglePause() // stay on the row being read
	}
	m.list.Insert(msg.xs...)
	if msg.oldest {
		m.list.Top()
	}
	if len(msg.xs) < msg.limit {
		m.history = false // caught up with the newest
	}
}

// newer pages forward in history mode when the cursor reaches the bottom.
func (m *Model) newer() tea.Cmd {
	if !m.history || m.loadingNewer {
		return nil
	}
	m.loadingNewer = true
	return m.loadAfter(m.list.NewestID(), false)
}

// live is G in history mode: back to the newest page, following.
func (m *Model) live() tea.Cmd {
	m.history = false
	f := m.list.Filter()
	m.list = list.New()
	m.list.SetFilter(f)
	m.layout()
	m.loaded, m.noOlder = false, false
	return m.loadPage(0, msgInitial)
}
