package tui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/swhook/swhook/inspect/exchange"
)

// feedMsg carries what arrived on the feed since the last one.
type feedMsg struct {
	xs     []*exchange.Exchange
	closed bool
}

// feedReader turns the feed into messages, at most one per interval: under
// a burst it batches what arrived, so the screen redraws ~30 times a second
// however fast webhooks come, and the sender (which never waits) keeps going.
// Only one next runs at a time (Update starts the next after each message),
// so last needs no lock.
type feedReader struct {
	ch       <-chan *exchange.Exchange
	ctx      context.Context
	interval time.Duration
	max      int
	last     time.Time
}

func (r *feedReader) next() tea.Msg {
	var first *exchange.Exchange
	select {
	case <-r.ctx.Done():
		return nil
	case x, ok := <-r.ch:
		if !ok {
			return feedMsg{closed: true}
		}
		first = x
	}
	batch := []*exchange.Exchange{first}
	if wait := time.Until(r.last.Add(r.interval)); wait > 0 {
		t := time.NewTimer(wait)
	collect:
		for len(batch) < r.max {
			select {
			case <-r.ctx.Done():
				t.Stop()
				return nil
			case x, ok := <-r.ch:
				if !ok {
					t.Stop()
					r.last = time.Now()
					return feedMsg{xs: batch, closed: true}
				}
				batch = append(batch, x)
			case <-t.C:
				break collect
			}
		}
		t.Stop()
	}
	for len(batch) < r.max {
		select {
		case x, ok := <-r.ch:
			if !ok {
				r.last = time.Now()
				return feedMsg{xs: batch, closed: true}
			}
			batch = append(batch, x)
			continue
		default:
		}
		break
	}
	r.last = time.Now()
	return feedMsg{xs: batch}
}

// waitOn is a command that waits for the next value on ch, or its close,
// and hands it to the model as msg(v, closed); nothing once ctx ends.
func waitOn[T any](ctx context.Context, ch <-chan T, msg func(v T, closed bool) tea.Msg) tea.Cmd {
	return func() tea.Msg {
		select {
		case <-ctx.Done():
			return nil
		case v, ok := <-ch:
			return msg(v, !ok)
		}
	}
}

// tunnelMsg is a tunnel change.
type tunnelMsg struct {
	s      TunnelStatus
	closed bool
}

func waitTunnel(ctx context.Context, ch <-chan TunnelStatus) tea.Cmd {
	return waitOn(ctx, ch, func(s TunnelStatus, closed bool) tea.Msg { return tunnelMsg{s: s, closed: closed} })
}

// warningMsg is a loud line from the pipeline, e.g. a stuck store.
type warningMsg struct {
	s      string
	closed bool
}

func waitWarning(ctx context.Context, ch <-chan string) tea.Cmd {
	return waitOn(ctx, ch, func(s string, closed bool) tea.Msg { return warningMsg{s: s, closed: closed} })
}

// notSavingMsg is the store's health: why it refuses saves, "" when it
// saves again.
type notSavingMsg struct {
	why    string
	closed bool
}

func waitNotSaving(ctx context.Context, ch <-chan string) tea.Cmd {
	return waitOn(ctx, ch, func(s string, closed bool) tea.Msg { return notSavingMsg{why: s, closed: closed} })
}

// Rejected is a request Go's HTTP server refused before swhook's handler
// ran (400, 431, 501): it has no row, so the view counts it.
type Rejected struct {
	// Count is how many the session has had so far, this one included.
	Count  int
	Time   time.Time
	Peer   string
	Status int
	Reason string
}

type rejectedMsg struct {
	r      Rejected
	closed bool
}

func waitRejected(ctx context.Context, ch <-chan Rejected) tea.Cmd {
	return waitOn(ctx, ch, func(r Rejected, closed bool) tea.Msg { return rejectedMsg{r: r, closed: closed} })
}

// pageKind says why a page was read.
type pageKind int

const (
	msgInitial pageKind = iota
	msgOlder
	msgCatchUp
)

// pageMsg is a page of summaries from the Source.
type pageMsg struct {
	kind   pageKind
	before int64
	limit  int
	xs     []*exchange.Exchange
	err    error
}

func (m *Model) loadPage(before int64, kind pageKind) tea.Cmd {
	return m.loadN(before, m.cfg.PageSize, kind)
}

func (m *Model) loadN(before int64, limit int, kind pageKind) tea.Cmd {
	src, ctx := m.cfg.Source, m.ctx
	if src == nil {
		return nil
	}
	return func() tea.Msg {
		xs, err := src.List(ctx, before, limit)
		return pageMsg{kind: kind, before: before, limit: limit, xs: xs, err: err}
	}
}

// detailMsg is one exchange, whole, for the detail pane or for curl.
type detailMsg struct {
	id      int64
	forCurl bool
	x       *exchange.Exchange
	err     error
}

func (m *Model) fetch(id int64, forCurl bool) tea.Cmd {
	src, ctx := m.cfg.Source, m.ctx
	return func() tea.Msg {
		if src == nil {
			return detailMsg{id: id, forCurl: forCurl, err: errNoSource}
		}
		x, err := src.Get(ctx, id)
		return detailMsg{id: id, forCurl: forCurl, x: x, err: err}
	}
}

// replayMsg is a replay's outcome.
type replayMsg struct {
	orig   int64
	resign bool
	x      *exchange.Exchange
	err    error
}

func (m *Model) replay(id int64, resign bool) tea.Cmd {
	fn, ctx := m.cfg.Replay, m.ctx
	return func() tea.Msg {
		x, err := fn(ctx, id, resign)
		return replayMsg{orig: id, resign: resign, x: x, err: err}
	}
}

// boundsEvery is how often the view asks the store which rows still exist.
const boundsEvery = time.Second

// boundsTickMsg asks for the store's bounds; boundsMsg is the answer.
type boundsTickMsg struct{}

type boundsMsg struct {
	oldest int64
	// newest is the newest row the view held when it asked: when the
	// store holds none, every row up to it is gone (rows that arrived
	// since may be newer than the answer).
	newest int64
	err    error
}

func (m *Model) askBounds() tea.Cmd {
	b, ok := m.cfg.Source.(Bounded)
	if !ok {
		return nil
	}
	ctx, newest := m.ctx, m.list.NewestID()
	return func() tea.Msg {
		id, err := b.Oldest(ctx)
		return boundsMsg{oldest: id, newest: newest, err: err}
	}
}
