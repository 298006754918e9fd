package tui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/human"
	"github.com/swhook/swhook/inspect/termsafe"
	"github.com/swhook/swhook/inspect/timeline"
	"github.com/swhook/swhook/inspect/tui/filter"
	"github.com/swhook/swhook/inspect/tui/list"
	"github.com/swhook/swhook/inspect/tui/theme"
)

// CallSource is a Source that also reads calls: one call's webhooks for
// the timeline (t), and a page of calls for the calls list (C).
type CallSource interface {
	// Call returns call id's webhooks, oldest first (with bodies where it
	// can, so the steps are labelled from their parameters).
	Call(ctx context.Context, id string) ([]*exchange.Exchange, error)
	// Calls returns up to limit calls, newest first, whose newest webhook
	// is below beforeID (0: from the newest); with a filter, the calls
	// with any webhook it matches (sig:invalid: calls with an invalid step).
	Calls(ctx context.Context, f filter.Filter, beforeID int64, limit int) ([]timeline.Summary, error)
}

// callsPage is how many calls the calls list reads at a time.
const callsPage = 200

// cursorList is a cursor over n lines drawn in a window of h.
type cursorList struct{ cursor, offset int }

func (c *cursorList) move(d, n, h int) {
	c.cursor = min(max(c.cursor+d, 0), max(n-1, 0))
	h = max(h, 1)
	if c.cursor < c.offset {
		c.offset = c.cursor
	}
	if c.cursor >= c.offset+h {
		c.offset = c.cursor - h + 1
	}
}

type timelineView struct {
	id    string
	steps []timeline.Step
	sum   timeline.Summary
	cur   cursorList
	from  mode // where Esc returns to
}

type callsView struct {
	sums []timeline.Summary
	cur  cursorList
	more bool // another page may follow
}

type timelineMsg struct {
	id  string
	xs  []*exchange.Exchange
	err error
}

type callsMsg struct {
	before int64
	sums   []timeline.Summary
	err    error
}

func (m *Model) callSource() CallSource {
	cs, _ := m.cfg.Source.(CallSource)
	return cs
}

// openTimeline starts reading the call of x.
func (m *Model) openTimeline(x *exchange.Exchange) tea.Cmd {
	if x == nil {
		return nil
	}
	cs := m.callSource()
	id := x.Call.Group()
	switch {
	case cs == nil:
		m.setStatus("no call timeline here (no store)", true)
		return nil
	case id == "":
		m.setStatus(fmt.Sprintf("#%d names no call (no CallSid, call_id or MessageSid)", x.ID), true)
		return nil
	}
	ctx := m.ctx
	return func() tea.Msg {
		xs, err := cs.Call(ctx, id)
		return timelineMsg{id: id, xs: xs, err: err}
	}
}

func (m *Model) onTimeline(msg timelineMsg) {
	if msg.err != nil {
		m.setStatus("cannot read the call: "+termsafe.String(msg.err.Error()), true)
		return
	}
	from := m.mode
	if from == modeTimeline && m.tl != nil {
		from = m.tl.from
	}
	m.tl = &timelineView{id: msg.id, steps: timeline.Steps(msg.xs), sum: timeline.Summarize(msg.id, msg.xs), from: from}
	m.mode = modeTimeline
	// Start on the row the timeline was opened from.
	if sel := m.rows().Selected(); sel != nil && from == modeList {
		for i, s := range m.tl.steps {
			if s.X.ID == sel.ID {
				m.tl.cur.move(i, len(m.tl.steps), m.bodyHeight()-2)
			}
		}
	}
}

func (m *Model) loadCalls(before int64) tea.Cmd {
	cs := m.callSource()
	if cs == nil {
		m.setStatus("no calls list here (no store)", true)
		return nil
	}
	ctx, f := m.ctx, m.list.Filter()
	return func() tea.Msg {
		sums, err := cs.Calls(ctx, f, before, callsPage)
		return callsMsg{before: before, sums: sums, err: err}
	}
}

func (m *Model) onCalls(msg callsMsg) {
	if msg.err != nil {
		m.setStatus("cannot read the calls: "+termsafe.String(msg.err.Error()), true)
		return
	}
	if msg.before == 0 || m.cl == nil {
		m.cl = &callsView{}
	}
	m.cl.sums = append(m.cl.sums, msg.sums...)
	m.cl.more = len(msg.sums) == callsPage
	m.mode = modeCalls
}

func (m *Model) timelineKey(msg tea.KeyPressMsg) tea.Cmd {
	k, tl := m.keys, m.tl
	h := m.bodyHeight() - 2
	switch {
	case key.Matches(msg, k.Back):
		m.mode = tl.from
	case key.Matches(msg, k.Up):
		tl.cur.move(-1, len(tl.steps), h)
	case key.Matches(msg, k.Down):
		tl.cur.move(1, len(tl.steps), h)
	case key.Matches(msg, k.PageUp):
		tl.cur.move(-h, len(tl.steps), h)
	case key.Matches(msg, k.PageDn):
		tl.cur.move(h, len(tl.steps), h)
	case key.Matches(msg, k.Top):
		tl.cur.move(-len(tl.steps), len(tl.steps), h)
	case key.Matches(msg, k.Bottom):
		tl.cur.move(len(tl.steps), len(tl.steps), h)
	case key.Matches(msg, k.Open):
		if len(tl.steps) == 0 {
			return nil
		}
		x := tl.steps[tl.cur.cursor].X
		m.detailFrom = modeTimeline
		m.mode = modeDetail
		m.detailWant = x.ID
		m.detail.SetExchange(x)
		return m.fetch(x.ID, false)
	case key.Matches(msg, k.Calls):
		return m.loadCalls(0)
	}
	return nil
}

func (m *Model) callsKey(msg tea.KeyPressMsg) tea.Cmd {
	k, cl := m.keys, m.cl
	h := m.bodyHeight() - 2
	n := len(cl.sums)
	switch {
	case key.Matches(msg, k.Back), key.Matches(msg, k.Calls):
		m.mode = modeList
	case key.Matches(msg, k.Up):
		cl.cur.move(-1, n, h)
	case key.Matches(msg, k.Down), key.Matches(msg, k.PageDn):
		d := 1
		if key.Matches(msg, k.PageDn) {
			d = h
		}
		cl.cur.move(d, n, h)
		if cl.more && cl.cur.cursor >= n-1 {
			cl.more = false
			return m.loadCalls(cl.sums[n-1].NewestID)
		}
	case key.Matches(msg, k.PageUp):
		cl.cur.move(-h, n, h)
	case key.Matches(msg, k.Top):
		cl.cur.move(-n, n, h)
	case key.Matches(msg, k.Open), key.Matches(msg, k.Timeline):
		if n == 0 {
			return nil
		}
		id, cs, ctx := cl.sums[cl.cur.cursor].ID, m.callSource(), m.ctx
		return func() tea.Msg {
			xs, err := cs.Call(ctx, id)
			return timelineMsg{id: id, xs: xs, err: err}
		}
	}
	return nil
}

// timelineBody draws a call: a line about it, the column header, then
// one line per webhook with the time since the call began; a child leg's
// webhooks are indented under the call.
func (m *Model) timelineBody() string {
	tl, st, w := m.tl, m.st, m.width
	var b strings.Builder
	b.WriteString(st.Section.Render(" Call "+termsafe.String(tl.id)) +
		st.Dim.Render(fmt.Sprintf("  %s over %s · %s · worst %s", plural(tl.sum.Steps, "webhook"), lasted(tl.sum.Duration), tl.sum.Final, tl.sum.Worst)))
	idW := 2
	for _, s := range tl.steps {
		idW = max(idW, len(strconv.FormatInt(s.X.ID, 10)))
	}
	fixed := 1 + 7 + 1 + idW + 1 + 1 + theme.SigWidth + 1 + 4 + 1 + 6 + 1 + 1
	labelW := len("STEP")
	for _, s := range tl.steps {
		labelW = max(labelW, ansi.StringWidth(s.Label)+4+ansi.StringWidth(theme.SentMark(s.X))+1)
	}
	stepW := max(min(w-fixed, labelW), 10) // the text's width, not the window's
	b.WriteString("\n" + st.ColHeader.Render(" "+pad("+TIME", 7)+" "+padLeft("ID", idW)+" "+pad("STEP", stepW)+" "+pad("SIGNATURE", theme.SigWidth)+" CODE "+padLeft("TOOK", 6)+" !"))
	h := max(m.bodyHeight()-2, 1)
	for i := tl.cur.offset; i < min(len(tl.steps), tl.cur.offset+h); i++ {
		s := tl.steps[i]
		x := s.X
		label := s.Label
		if mark := theme.SentMark(x); mark != "" {
			label = mark + " " + label
		}
		if s.Leg {
			label = "  ↳ " + label
		}
		line := " " + pad("+"+fmt.Sprintf("%.1fs", max(s.Since, 0).Seconds()), 7) + " " + padLeft(strconv.FormatInt(x.ID, 10), idW) + " " +
			pad(label, stepW) + " " + st.SigStyle(x.Signature.Status).Render(pad(human.SigBadge(x.Signature.Status), theme.SigWidth)) + " " +
			st.StatusStyle(x.Response).Render(pad(theme.StatusText(x.Response), 4)) + " " + padLeft(list.FormatDuration(x.Response.Duration()), 6) + " " +
			human.CheckMark(x.ResponseCheck.Status)
		if i == tl.cur.cursor {
			line = st.Selected.Render(pad("›"+ansi.Strip(line)[1:], w))
		}
		b.WriteString("\n" + line)
	}
	return b.String()
}

// callsBody draws one line per call, newest first.
func (m *Model) callsBody() string {
	cl, st, w := m.cl, m.st, m.width
	var b strings.Builder
	title := "  newest first · enter opens one · C back to the webhooks"
	if f := m.list.Filter(); !f.Empty() {
		title = "  with a webhook matching " + termsafe.String(f.String()) + " ·" + title[1:]
	}
	b.WriteString(st.Section.Render(" Calls") + st.Dim.Render(title))
	idW := 36
	if w < 100 {
		idW = 9 // the first 8 characters tell a screenful of calls apart
	}
	b.WriteString("\n" + st.ColHeader.Render(" "+pad("CALL", idW)+" STARTED  STEPS LASTED  "+pad("FINAL", 20)+" WORST"))
	if len(cl.sums) == 0 {
		b.WriteString("\n" + st.Dim.Render(" No calls yet: no webhook names a CallSid, call_id or MessageSid."))
		return b.String()
	}
	h := max(m.bodyHeight()-2, 1)
	for i := cl.cur.offset; i < min(len(cl.sums), cl.cur.offset+h); i++ {
		s := cl.sums[i]
		worst := st.Good.Render(s.Worst)
		if s.Worst != "✓" {
			worst = st.Bad.Render(s.Worst)
		}
		id := termsafe.String(s.ID)
		if ansi.StringWidth(id) > idW {
			id = termsafe.String(timeline.Short(s.ID)) + "…"
		}
		line := " " + pad(id, idW) + " " + s.Start.In(m.cfg.Location).Format("15:04:05") + " " +
			padLeft(strconv.Itoa(s.Steps), 5) + " " + pad(lasted(s.Duration), 7) + " " + pad(s.Final, 20) + " " + worst
		if i == cl.cur.cursor {
			line = st.Selected.Render(pad("›"+ansi.Strip(line)[1:], w))
		}
		b.WriteString("\n" + line)
	}
	return b.String()
}

func pad(s string, w int) string {
	if ansi.StringWidth(s) > w {
		return ansi.Truncate(s, w, "…")
	}
	return s + strings.Repeat(" ", w-ansi.StringWidth(s))
}

func padLeft(s string, w int) string {
	if n := ansi.StringWidth(s); n < w {
		return strings.Repeat(" ", w-n) + s
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

func lasted(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	return human.Duration(d)
}
