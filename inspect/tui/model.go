package tui

import (
	"context"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/tui/detail"
	"github.com/swhook/swhook/inspect/tui/filter"
	"github.com/swhook/swhook/inspect/tui/header"
	"github.com/swhook/swhook/inspect/tui/keys"
	"github.com/swhook/swhook/inspect/tui/list"
	"github.com/swhook/swhook/inspect/tui/theme"
)

// Config is everything the view is given. Only Source is required.
type Config struct {
	// Context bounds every read and replay the view starts; cancel it to
	// stop the goroutines waiting on Feed and Tunnel.
	Context context.Context
	Source  Source
	// Feed delivers new exchanges. The view reads it without ever making
	// the sender wait; gaps in IDs are fetched from Source.
	Feed <-chan *exchange.Exchange
	// Tunnel reports tunnel changes; nil when there is none.
	Tunnel        <-chan TunnelStatus
	InitialTunnel TunnelStatus
	// Warnings are loud lines from the pipeline (a stuck store, an
	// internal error) that must be seen while the screen is the view's;
	// nil when there are none to show.
	Warnings <-chan string
	// NotSaving reports the store's health: why it refuses saves, or ""
	// once it saves again. The header shows a red banner while it lasts.
	// The sender keeps only the latest state in the channel, never waits.
	NotSaving <-chan string
	// Rejected reports requests Go's HTTP server refused before the
	// pipeline saw them, each carrying the running count (so a dropped
	// report loses nothing); nil when there are none to show.
	Rejected <-chan Rejected
	Info     HeaderInfo
	// Replay is nil when there is no forward target.
	Replay ReplayFunc
	// Now is the clock (status messages expire); nil means time.Now.
	Now func() time.Time
	// Location is the time zone rows are shown in; nil means time.Local.
	Location *time.Location
	// Styles is the palette; nil means theme.Default().
	Styles *theme.Styles
	// PageSize is how many summaries are read at a time; 0 means 1000.
	PageSize int
}

type mode int

const (
	modeList mode = iota
	modeDetail
	modeHelp
	modeCurl
	modeTimeline // one call's webhooks (t)
	modeCalls    // one line per call (C)
)

// maxCatchUp bounds one gap fetch, so a huge burst cannot stall the view.
const maxCatchUp = 5000

// statusTTL is how long a one-line status message stays.
const statusTTL = 6 * time.Second

// Model is the bubbletea model of the live view.
type Model struct {
	cfg  Config
	ctx  context.Context
	st   theme.Styles
	keys keys.KeyMap
	now  func() time.Time
	// after delivers msg after d (tea.Tick); tests replace it so no
	// command sleeps.
	after func(d time.Duration, msg tea.Msg) tea.Cmd

	mode     mode
	prevMode mode // where help and curl return to

	list   list.Model
	detail detail.Model
	help   help.Model
	curlVP viewport.Model
	curl   string

	filtering   bool   // the filter line has the keyboard
	filterText  string // what is being typed
	filterErr   string
	filterSaved filter.Filter // restored by Esc

	tunnel TunnelStatus
	counts header.Counts
	store  header.Store
	// lastRejected is the latest request Go's HTTP server refused (the
	// help screen shows it after the status line has moved on).
	lastRejected *Rejected

	loaded       bool // the first page has arrived
	loadingOlder bool
	noOlder      bool
	detailWant   int64 // the ID whose details are being fetched
	detailFrom   mode  // where Esc from the detail pane returns to
	// found holds a filter's matches from the whole store (a Searcher
	// source), shown instead of list while the filter is on; nil
	// otherwise. searchNext is where the next page of matches starts (0:
	// none older), searchGen tells a stale answer from the current one.
	found      *list.Model
	searchNext int64
	searchGen  int
	searching  bool
	// history: g jumped to the oldest row; the list holds a stretch read
	// forward from it and live rows wait in the store (G returns).
	history      bool
	loadingNewer bool
	tl           *timelineView
	cl           *callsView
	feed         *feedReader

	status    string
	statusAt  time.Time
	statusBad bool
	statusNew bool // an expiry tick is due

	width, height int
	quitting      bool
}

// New builds the view.
func New(cfg Config) *Model {
	if cfg.Context == nil {
		cfg.Context = context.Background()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Location == nil {
		cfg.Location = time.Local
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 1000
	}
	st := theme.Default()
	if cfg.Styles != nil {
		st = *cfg.Styles
	}
	h := help.New()
	h.Styles = help.Styles{
		Ellipsis: st.Dim, ShortKey: st.HelpKey, ShortDesc: st.HelpDesc, ShortSeparator: st.Dim,
		FullKey: st.HelpKey, FullDesc: st.HelpDesc, FullSeparator: st.Dim,
	}
	tun := cfg.InitialTunnel
	if tun.State == "" {
		tun.State = TunnelLocal
		if cfg.Info.PublicURL != "" {
			tun.State = TunnelUp
		}
	}
	m := &Model{
		cfg:  cfg,
		ctx:  cfg.Context,
		st:   st,
		keys: keys.Default(),
		now:  cfg.Now,
		after: func(d time.Duration, msg tea.Msg) tea.Cmd {
			return tea.Tick(d, func(time.Time) tea.Msg { return msg })
		},
		list:   list.New(),
		detail: detail.New(st, cfg.Location),
		help:   h,
		// Not wrapped: a command copied off the screen must run, so a long
		// line scrolls sideways (←/→) instead of breaking.
		curlVP: viewport.New(),
		tunnel: tun,
		width:  80,
		height: 24,
	}
	m.loaded = cfg.Source == nil // nothing to load: live rows only
	if cfg.Feed != nil {
		m.feed = &feedReader{ch: cfg.Feed, ctx: cfg.Context, interval: time.Second / 30, max: 10000}
	}
	m.layout()
	return m
}

// Init loads the newest page and starts listening to the feed and tunnel.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.loadPage(0, msgInitial)}
	if m.feed != nil {
		cmds = append(cmds, m.feed.next)
	}
	if m.cfg.Tunnel != nil {
		cmds = append(cmds, waitTunnel(m.ctx, m.cfg.Tunnel))
	}
	if m.cfg.Warnings != nil {
		cmds = append(cmds, waitWarning(m.ctx, m.cfg.Warnings))
	}
	if m.cfg.NotSaving != nil {
		cmds = append(cmds, waitNotSaving(m.ctx, m.cfg.NotSaving))
	}
	if m.cfg.Rejected != nil {
		cmds = append(cmds, waitRejected(m.ctx, m.cfg.Rejected))
	}
	if _, ok := m.cfg.Source.(Bounded); ok {
		cmds = append(cmds, m.after(boundsEvery, boundsTickMsg{}))
	}
	return tea.Batch(cmds...)
}

// summary drops what the list never draws, so 100 000 rows stay small.
func summary(x *exchange.Exchange) *exchange.Exchange {
	s := *x
	s.Request.Body = nil
	s.Request.Headers = nil
	s.Response.Body = nil
	s.Response.Headers = nil
	return &s
}

func (m *Model) setStatus(s string, bad bool) {
	m.status, m.statusAt, m.statusBad, m.statusNew = s, m.now(), bad, true
}

// Counts are this session's totals (what the header shows), so the caller
// can say on quit how many webhooks the session took.
func (m *Model) Counts() header.Counts { return m.counts }

// SessionLine is the one line printed when the view closes: how many
// webhooks the session took and how to see them again.
func SessionLine(c header.Counts, listCmd string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "swhook: this session took %d webhook", c.Total)
	if c.Total != 1 {
		b.WriteString("s")
	}
	var extra []string
	if c.Invalid > 0 {
		extra = append(extra, fmt.Sprintf("%d with an invalid signature", c.Invalid))
	}
	if c.Errors > 0 {
		extra = append(extra, fmt.Sprintf("%d handler error%s", c.Errors, map[bool]string{true: "s"}[c.Errors != 1]))
	}
	if len(extra) > 0 {
		b.WriteString(" (" + strings.Join(extra, ", ") + ")")
	}
	if c.Total > 0 {
		b.WriteString("; see them with `" + listCmd + "`")
	} else {
		b.WriteString("; `" + listCmd + "` shows the store's history")
	}
	return b.String()
}
