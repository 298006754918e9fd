package tui

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/export/curl"
	"github.com/swhook/swhook/inspect/human"
	"github.com/swhook/swhook/inspect/termsafe"
	"github.com/swhook/swhook/inspect/tui/filter"
	"github.com/swhook/swhook/inspect/tui/header"
	"github.com/swhook/swhook/inspect/tui/list"
)

var errNoSource = errors.New("no store to read from")

// statusExpiredMsg only wakes the view so an old status message goes away.
type statusExpiredMsg struct{}

// Update handles one message. It never blocks: every read, replay and
// channel wait runs as a tea.Cmd.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	_, cmd := m.update(msg)
	if m.statusNew {
		m.statusNew = false
		cmd = tea.Batch(cmd, m.after(statusTTL, statusExpiredMsg{}))
	}
	return m, cmd
}

func (m *Model) update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
		return m, nil
	case tea.KeyPressMsg:
		return m.key(msg)
	case tea.PasteMsg:
		if m.filtering {
			m.filterText += strings.Map(func(r rune) rune {
				if r < 0x20 || r == 0x7f {
					return -1
				}
				return r
			}, msg.Content)
			m.applyFilterText()
		}
		return m, nil
	case feedMsg:
		return m, m.onFeed(msg)
	case pageMsg:
		return m, m.onPage(msg)
	case tunnelMsg:
		if msg.closed {
			return m, nil
		}
		m.tunnel = msg.s
		m.layout()
		return m, waitTunnel(m.ctx, m.cfg.Tunnel)
	case warningMsg:
		if msg.closed {
			return m, nil
		}
		m.setStatus("⚠ "+termsafe.String(msg.s), true)
		return m, waitWarning(m.ctx, m.cfg.Warnings)
	case notSavingMsg:
		if msg.closed {
			return m, nil
		}
		if msg.why == "" && m.store.NotSaving != "" {
			m.setStatus("saving again: the store takes webhooks again", false)
		}
		m.store.NotSaving = msg.why
		m.layout()
		return m, waitNotSaving(m.ctx, m.cfg.NotSaving)
	case rejectedMsg:
		if msg.closed {
			return m, nil
		}
		r := msg.r
		m.lastRejected = &r
		m.counts.Rejected = max(m.counts.Rejected, r.Count)
		m.setStatus("⚠ "+rejectedLine(r), true)
		return m, waitRejected(m.ctx, m.cfg.Rejected)
	case boundsTickMsg:
		return m, m.askBounds()
	case boundsMsg:
		m.onBounds(msg)
		return m, m.after(boundsEvery, boundsTickMsg{})
	case detailMsg:
		return m, m.onDetail(msg)
	case afterMsg:
		m.onAfter(msg)
		return m, nil
	case searchMsg:
		m.onSearch(msg)
		return m, nil
	case timelineMsg:
		m.onTimeline(msg)
		return m, nil
	case callsMsg:
		m.onCalls(msg)
		return m, nil
	case replayMsg:
		m.onReplay(msg)
		return m, nil
	}
	return m, nil
}

func (m *Model) key(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	if msg.String() == "ctrl+c" {
		m.quitting = true
		return m, tea.Quit
	}
	if m.filtering {
		return m, m.filterKey(msg)
	}
	k := m.keys
	switch {
	case key.Matches(msg, k.Quit):
		m.quitting = true
		return m, tea.Quit
	case key.Matches(msg, k.Help):
		if m.mode == modeHelp {
			m.mode = m.prevMode
		} else {
			m.prevMode, m.mode = m.mode, modeHelp
		}
		return m, nil
	}
	switch m.mode {
	case modeHelp:
		if key.Matches(msg, k.Back) {
			m.mode = m.prevMode
		}
		return m, nil
	case modeCurl:
		switch {
		case key.Matches(msg, k.Back):
			m.mode = m.prevMode
		case key.Matches(msg, k.Up):
			m.curlVP.ScrollUp(1)
		case key.Matches(msg, k.Down):
			m.curlVP.ScrollDown(1)
		case msg.String() == "left":
			m.curlVP.ScrollLeft(8)
		case msg.String() == "right":
			m.curlVP.ScrollRight(8)
		}
		return m, nil
	case modeDetail:
		return m, m.detailKey(msg)
	case modeTimeline:
		return m, m.timelineKey(msg)
	case modeCalls:
		return m, m.callsKey(msg)
	}
	return m, m.listKey(msg)
}

func (m *Model) listKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	l := m.rows()
	switch {
	case key.Matches(msg, k.Up):
		atTop := l.AtTop()
		l.Move(-1)
		if atTop {
			return m.older()
		}
	case key.Matches(msg, k.Down):
		l.Move(1)
		if m.history && l.Cursor() >= l.Len()-1 {
			if l.Following() {
				l.TogglePause() // history is not the live edge
			}
			return m.newer()
		}
	case key.Matches(msg, k.PageUp):
		atTop := l.AtTop()
		l.Page(-1)
		if atTop || l.AtTop() {
			return m.older()
		}
	case key.Matches(msg, k.PageDn):
		l.Page(1)
		if m.history && l.Cursor() >= l.Len()-1 {
			if l.Following() {
				l.TogglePause() // history is not the live edge
			}
			return m.newer()
		}
	case key.Matches(msg, k.Top):
		return m.top()
	case key.Matches(msg, k.Bottom):
		if m.history {
			return m.live()
		}
		l.Bottom()
	case key.Matches(msg, k.Open):
		x := l.Selected()
		if x == nil {
			return nil
		}
		m.mode = modeDetail
		m.detailFrom = modeList
		m.detailWant = x.ID
		m.detail.SetExchange(x) // the summary, until the whole arrives
		return m.fetch(x.ID, false)
	case key.Matches(msg, k.Timeline):
		return m.openTimeline(l.Selected())
	case key.Matches(msg, k.Calls):
		return m.loadCalls(0)
	case key.Matches(msg, k.Filter):
		m.filtering = true
		m.filterSaved = m.list.Filter()
		m.filterText = m.filterSaved.String()
		m.filterErr = ""
		if m.filterText != "" {
			m.filterText += " "
		}
		m.layout()
	case key.Matches(msg, k.Cancel):
		if !m.list.Filter().Empty() {
			m.setFilter(filter.Filter{})
			m.layout()
		}
	case key.Matches(msg, k.Pause):
		l.TogglePause()
	case key.Matches(msg, k.Replay), key.Matches(msg, k.ReplayResign):
		if x := l.Selected(); x != nil {
			return m.startReplay(x.ID, key.Matches(msg, k.ReplayResign))
		}
	case key.Matches(msg, k.Copy):
		if x := l.Selected(); x != nil {
			return m.fetch(x.ID, true)
		}
	}
	return nil
}

func (m *Model) detailKey(msg tea.KeyPressMsg) tea.Cmd {
	k := m.keys
	switch {
	case key.Matches(msg, k.Back):
		m.mode = m.detailFrom
	case key.Matches(msg, k.Timeline):
		return m.openTimeline(m.detail.Exchange())
	case key.Matches(msg, k.NextTab):
		m.detail.NextTab()
	case key.Matches(msg, k.PrevTab):
		m.detail.PrevTab()
	case key.Matches(msg, k.Up):
		m.detail.Scroll(-1)
	case key.Matches(msg, k.Down):
		m.detail.Scroll(1)
	case key.Matches(msg, k.PageUp):
		m.detail.Page(-1)
	case key.Matches(msg, k.PageDn):
		m.detail.Page(1)
	case key.Matches(msg, k.Top):
		m.detail.Top()
	case key.Matches(msg, k.Bottom):
		m.detail.Bottom()
	case key.Matches(msg, k.Replay), key.Matches(msg, k.ReplayResign):
		if x := m.detail.Exchange(); x != nil {
			return m.startReplay(x.ID, key.Matches(msg, k.ReplayResign))
		}
	case key.Matches(msg, k.Copy):
		if x := m.detail.Exchange(); x != nil {
			if m.detailWant == 0 { // the pane already holds it whole
				return m.showCurl(x)
			}
			return m.fetch(x.ID, true)
		}
	}
	return nil
}

func (m *Model) filterKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "enter":
		if m.filterErr != "" {
			return nil // keep editing: the line says what is wrong
		}
		m.filtering = false
		m.layout()
		return m.search()
	case "esc":
		m.filtering = false
		m.filterErr = ""
		return m.setFilter(m.filterSaved)
	case "backspace":
		if r := []rune(m.filterText); len(r) > 0 {
			m.filterText = string(r[:len(r)-1])
		}
		m.applyFilterText()
	case "ctrl+u":
		m.filterText = ""
		m.applyFilterText()
	case "ctrl+w":
		t := strings.TrimRight(m.filterText, " ")
		if i := strings.LastIndex(t, " "); i >= 0 {
			m.filterText = t[:i+1]
		} else {
			m.filterText = ""
		}
		m.applyFilterText()
	default:
		if msg.Text != "" {
			m.filterText += msg.Text
			m.applyFilterText()
		}
	}
	m.layout()
	return nil
}

// applyFilterText filters as the user types; a half-typed qualifier shows
// its error and keeps the last good filter on screen.
func (m *Model) applyFilterText() {
	f, err := filter.Parse(m.filterText)
	if err != nil {
		m.filterErr = err.Error()
		return
	}
	m.filterErr = ""
	// As you type, the loaded rows; Enter searches the whole store.
	m.list.SetFilter(f)
	m.found, m.searching = nil, false
	m.searchGen++
}

func (m *Model) older() tea.Cmd {
	if m.found != nil {
		return m.searchOlder()
	}
	if m.loadingOlder || m.noOlder || !m.loaded || m.list.Total() == 0 {
		return nil
	}
	m.loadingOlder = true
	return m.loadPage(m.list.OldestID(), msgOlder)
}

func (m *Model) startReplay(id int64, resign bool) tea.Cmd {
	if m.cfg.Replay == nil {
		if m.cfg.Info.Forward == "" {
			m.setStatus("cannot replay: no forward target (start listen with --forward URL)", true)
		} else {
			m.setStatus(fmt.Sprintf("replay is not available here: run swhook replay %d", id), true)
		}
		return nil
	}
	how := "replaying"
	if resign {
		how = "replaying re-signed"
	}
	m.setStatus(fmt.Sprintf("%s #%d…", how, id), false)
	return m.replay(id, resign)
}

func (m *Model) onReplay(msg replayMsg) {
	if msg.err != nil {
		m.setStatus(fmt.Sprintf("replay of #%d failed: %s", msg.orig, termsafe.String(msg.err.Error())), true)
		return
	}
	x := msg.x
	if x == nil {
		return
	}
	m.add([]*exchange.Exchange{x}, true)
	what := "replayed"
	if msg.resign {
		what = "replayed re-signed"
	}
	res := theStatus(x)
	m.setStatus(fmt.Sprintf("↻ #%d %s as #%d: %s in %s", msg.orig, what, x.ID, res, list.FormatDuration(x.Response.Duration())), x.Response.Error != "" || x.Response.Status >= 400)
}

func theStatus(x *exchange.Exchange) string {
	if x.Response.Error != "" {
		return "error: " + termsafe.String(x.Response.Error)
	}
	return fmt.Sprint(x.Response.Status)
}

func (m *Model) onDetail(msg detailMsg) tea.Cmd {
	if msg.err != nil {
		m.setStatus(fmt.Sprintf("cannot read #%d: %s", msg.id, termsafe.String(msg.err.Error())), true)
		return nil
	}
	if msg.forCurl {
		return m.showCurl(msg.x)
	}
	if m.mode == modeDetail && m.detailWant == msg.id {
		m.detailWant = 0
		tab := m.detail.Tab()
		m.detail.SetExchange(msg.x)
		m.detail.SetTab(tab)
	}
	return nil
}

func (m *Model) showCurl(x *exchange.Exchange) tea.Cmd {
	m.curl = curl.ForExchange(x)
	m.curlVP.SetContent(termsafe.Text(m.curl))
	m.curlVP.GotoTop()
	if m.mode != modeCurl {
		m.prevMode = m.mode
	}
	m.mode = modeCurl
	// OSC 52 has no answer: say what it needs rather than claim it worked.
	m.setStatus(fmt.Sprintf("#%d sent as curl by OSC 52 (tmux needs set-clipboard on)", x.ID), false)
	return tea.SetClipboard(m.curl)
}

func (m *Model) onFeed(msg feedMsg) tea.Cmd {
	var cmds []tea.Cmd
	if len(msg.xs) > 0 {
		xs := msg.xs
		sort.Slice(xs, func(i, j int) bool { return xs[i].ID < xs[j].ID })
		if m.history {
			// Reading history: these wait in the store; G shows them.
			for _, x := range xs {
				m.count(x)
			}
			xs = nil
		}
		if m.loaded && m.list.Total() > 0 && len(xs) > 0 {
			next := m.list.NewestID() + 1
			for _, x := range xs {
				if x.ID > next {
					cmds = append(cmds, m.loadN(x.ID, int(min(x.ID-next, maxCatchUp)), msgCatchUp))
				}
				next = max(next, x.ID+1)
			}
		}
		m.add(xs, true)
	}
	if !msg.closed && m.feed != nil {
		cmds = append(cmds, m.feed.next)
	}
	return tea.Batch(cmds...)
}

// add puts exchanges in the list; fresh ones (this session's) count in the
// header.
func (m *Model) add(xs []*exchange.Exchange, fresh bool) {
	sums := make([]*exchange.Exchange, 0, len(xs))
	for _, x := range xs {
		if x == nil {
			continue
		}
		if fresh && !m.list.Has(x.ID) {
			m.count(x)
		}
		sums = append(sums, summary(x))
	}
	m.list.Insert(sums...)
	if m.found != nil {
		f := m.list.Filter()
		for _, x := range sums {
			if f.Match(x) {
				m.found.Insert(x)
			}
		}
	}
}

func (m *Model) count(x *exchange.Exchange) {
	m.counts.Total++
	if x.Signature.Status == exchange.SigInvalid {
		m.counts.Invalid++
	}
	if human.HandlerFailed(x.Response) {
		m.counts.Errors++
	}
}

// onBounds drops the rows the store no longer has: another terminal ran
// `swhook clear`, or --keep pruned them. Counts and `g` then agree with the
// store.
func (m *Model) onBounds(msg boundsMsg) {
	if msg.err != nil || !m.loaded {
		return
	}
	below := msg.oldest
	if below == 0 {
		below = msg.newest + 1 // the store holds none of them
	}
	if m.found != nil {
		m.found.DropBelow(below)
	}
	if m.list.DropBelow(below) > 0 {
		// When the oldest row left is the store's oldest, there is
		// nothing older to page back to.
		if m.list.Total() == 0 || m.list.OldestID() <= msg.oldest {
			m.noOlder = true
		}
		if m.mode == modeDetail {
			if x := m.detail.Exchange(); x != nil && x.ID < below {
				m.setStatus(fmt.Sprintf("#%d is no longer in the store (cleared or pruned)", x.ID), true)
			}
		}
	}
}

func (m *Model) onPage(msg pageMsg) tea.Cmd {
	switch msg.kind {
	case msgOlder:
		m.loadingOlder = false
	case msgInitial:
		m.loaded = true
	}
	if msg.err != nil {
		m.setStatus("cannot read the store: "+termsafe.String(msg.err.Error()), true)
		return nil
	}
	if msg.kind == msgOlder && len(msg.xs) < msg.limit {
		m.noOlder = true
	}
	if msg.kind == msgInitial && len(msg.xs) < msg.limit {
		m.noOlder = true
	}
	m.add(msg.xs, msg.kind == msgCatchUp)
	return nil
}

// layout sizes the components for the window and the header's height.
func (m *Model) layout() {
	body := m.bodyHeight()
	m.list.SetSize(m.width, body)
	m.detail.SetSize(m.width, body)
	m.curlVP.SetWidth(m.width)
	m.curlVP.SetHeight(max(body-2, 1))
	m.help.SetWidth(m.width)
	if m.found != nil {
		m.found.SetSize(m.width, body)
	}
}

func (m *Model) bodyHeight() int {
	h := header.Lines(m.tunnel, m.store)
	if m.compactHeader() {
		h = 1
	}
	return max(m.height-h-2, 1)
}

// compactHeader keeps only the header's first line (where to send
// webhooks) when the window is too short for the header and a few rows.
func (m *Model) compactHeader() bool {
	return m.height < header.Lines(m.tunnel, m.store)+2+4
}
