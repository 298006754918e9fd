package tui

import (
	"context"
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/termsafe"
	"github.com/swhook/swhook/inspect/tui/filter"
	"github.com/swhook/swhook/inspect/tui/list"
)

// Searcher is a Source that runs a filter against the whole store, not
// only the rows loaded: the store's indexes pick the candidates, the filter
// decides, and results come a page at a time, newest first.
type Searcher interface {
	// Search returns up to limit exchanges f matches with IDs below
	// beforeID (0: from the newest), newest first, and where the next page
	// starts (0 when there is nothing older to look at).
	Search(ctx context.Context, f filter.Filter, beforeID int64, limit int) (xs []*exchange.Exchange, next int64, err error)
}

// searchMsg is a page of matches.
type searchMsg struct {
	gen  int
	xs   []*exchange.Exchange
	next int64
	err  error
}

// rows is the list the screen shows: the whole-store matches while a
// filter is on (and the source can search), else the loaded rows.
func (m *Model) rows() *list.Model {
	if m.found != nil {
		return m.found
	}
	return &m.list
}

// setFilter filters the loaded rows at once and, with a Searcher, starts
// the whole-store search.
func (m *Model) setFilter(f filter.Filter) tea.Cmd {
	m.list.SetFilter(f)
	if f.Empty() {
		m.found, m.searching = nil, false
		m.searchGen++
		return nil
	}
	return m.search()
}

// search starts the whole-store search for the filter in force.
func (m *Model) search() tea.Cmd {
	s, ok := m.cfg.Source.(Searcher)
	f := m.list.Filter()
	if !ok || f.Empty() {
		return nil
	}
	m.searchGen++
	found := list.New()
	found.SetFilter(f)
	m.found, m.searching, m.searchNext = &found, true, 0
	m.layout()
	return m.searchPage(s, f, 0)
}

func (m *Model) searchPage(s Searcher, f filter.Filter, before int64) tea.Cmd {
	gen, ctx, limit := m.searchGen, m.ctx, m.cfg.PageSize
	return func() tea.Msg {
		xs, next, err := s.Search(ctx, f, before, limit)
		return searchMsg{gen: gen, xs: xs, next: next, err: err}
	}
}

// searchOlder reads the next page of matches (moving up past the oldest).
func (m *Model) searchOlder() tea.Cmd {
	s, ok := m.cfg.Source.(Searcher)
	if !ok || m.searching || m.searchNext == 0 {
		return nil
	}
	m.searching = true
	return m.searchPage(s, m.list.Filter(), m.searchNext)
}

func (m *Model) onSearch(msg searchMsg) {
	if msg.gen != m.searchGen || m.found == nil {
		return // an answer for a filter no longer in force
	}
	m.searching = false
	if msg.err != nil {
		m.setStatus("cannot search the store: "+termsafe.String(msg.err.Error()), true)
		return
	}
	sums := make([]*exchange.Exchange, 0, len(msg.xs))
	for _, x := range msg.xs {
		sums = append(sums, summary(x))
	}
	m.found.Insert(sums...)
	m.searchNext = msg.next
}

// filterCount is the status line's count: matches among the loaded rows,
// or among the whole store's when it is searched.
func (m *Model) filterCount() string {
	if m.found == nil {
		return fmt.Sprintf("  %d of %d", m.list.Len(), m.list.Total())
	}
	switch {
	case m.searching && m.found.Len() == 0:
		return "  searching the store…"
	case m.searchNext != 0:
		return fmt.Sprintf("  %d matches so far in the store (↑ at the top for older)", m.found.Len())
	}
	return fmt.Sprintf("  %d matches in the store", m.found.Len())
}
