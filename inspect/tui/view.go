package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/human"
	"github.com/swhook/swhook/inspect/termsafe"
	"github.com/swhook/swhook/inspect/tui/filter"
	"github.com/swhook/swhook/inspect/tui/header"
	"github.com/swhook/swhook/inspect/tui/keys"
	"github.com/swhook/swhook/inspect/tui/theme"
)

// View draws the whole screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.WindowTitle = "swhook listen"
	return v
}

// Render is the screen as text: the header, the body for the current mode
// and a two-line footer, exactly the window's height.
func (m *Model) Render() string {
	if m.quitting {
		return ""
	}
	hdr := header.View(m.st, m.width, m.cfg.Info, m.tunnel, m.store, m.counts)
	if m.compactHeader() {
		hdr, _, _ = strings.Cut(hdr, "\n")
	}
	bodyH := m.bodyHeight()
	var body string
	switch m.mode {
	case modeDetail:
		body = m.detail.View()
	case modeHelp:
		body = m.helpView()
	case modeCurl:
		body = m.curlView()
	case modeTimeline:
		body = m.timelineBody()
	case modeCalls:
		body = m.callsBody()
	default:
		body = m.rows().View(m.st, m.cfg.Location, m.now(), m.emptyText())
	}
	var b strings.Builder
	b.Grow((m.height + 2) * (m.width + 32))
	b.WriteString(hdr)
	b.WriteString("\n")
	b.WriteString(fitLines(body, bodyH, m.width))
	b.WriteString("\n")
	b.WriteString(m.statusLine())
	b.WriteString("\n")
	b.WriteString(m.footer())
	return b.String()
}

// footer is the context's keys on one line. When they do not fit, the ones
// in the middle go first: the last two (? help, q quit) stay, so even a
// narrow window says how to get help and how to leave.
func (m *Model) footer() string {
	var bs []key.Binding
	for _, b := range m.keys.Short(m.context()) {
		// No replay keys where nothing can be replayed (no --forward):
		// pressing them only says so.
		if m.cfg.Replay == nil && m.cfg.Info.Forward == "" && (b.Help() == m.keys.Replay.Help() || b.Help() == m.keys.ReplayResign.Help()) {
			continue
		}
		bs = append(bs, b)
	}
	wide := m.help
	wide.SetWidth(0) // measure without the help model's own cut
	for len(bs) > 2 && ansi.StringWidth(wide.ShortHelpView(bs)) > m.width {
		n := len(bs)
		bs = append(append(bs[:n-3:n-3], bs[n-2]), bs[n-1])
	}
	return m.help.ShortHelpView(bs)
}

// fitLines makes s exactly h lines of at most w cells: cut or padded.
func fitLines(s string, h, w int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			lines[i] = ansi.Truncate(l, w, "…")
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

func (m *Model) context() keys.Context {
	switch {
	case m.filtering:
		return keys.InFilter
	case m.mode == modeDetail:
		return keys.InDetail
	case m.mode == modeHelp:
		return keys.InHelp
	case m.mode == modeCurl:
		return keys.InCurl
	case m.mode == modeTimeline:
		return keys.InTimeline
	case m.mode == modeCalls:
		return keys.InCalls
	}
	return keys.InList
}

func (m *Model) emptyText() string {
	if !m.list.Filter().Empty() && (m.list.Total() > 0 || m.found != nil) {
		if m.searching {
			return "Searching the store…"
		}
		return "No exchange matches the filter (esc clears it)."
	}
	if !m.loaded {
		return "Loading…"
	}
	url := m.cfg.Info.PublicURL
	if m.tunnel.URL != "" {
		url = m.tunnel.URL
	}
	if url == "" {
		url = m.cfg.Info.LocalURL
	}
	text := "Waiting for webhooks…"
	if url != "" {
		// trigger without --to finds the listener through the store only
		// when it is the only one running (else it exits 2): name this one.
		text += "\n\nTo send a test one (it comes here):\n  swhook trigger call.inbound"
		if local := m.cfg.Info.LocalURL; local != "" {
			text += " --to " + termsafe.String(local)
		}
	}
	if notes := m.cfg.Info.Notes; len(notes) > 0 {
		text += "\n"
		for _, n := range notes {
			// Wrapped here: the list cuts lines wider than the window.
			text += "\n" + ansi.Wrap(termsafe.String(n), max(m.width-2, 10), " ")
		}
	}
	return text
}

// statusLine is the filter being typed, or the latest message, with the
// follow state on the right.
func (m *Model) statusLine() string {
	var left string
	switch {
	case m.filtering:
		left = m.st.HelpKey.Render("/") + termsafe.String(m.filterText) + "█"
		if m.filterErr != "" {
			left += "  " + m.st.Bad.Render(termsafe.String(m.filterErr))
		}
	case m.status != "" && m.now().Sub(m.statusAt) < statusTTL:
		if m.statusBad {
			left = m.st.Bad.Render(" " + m.status)
		} else {
			left = m.st.Info.Render(" " + m.status)
		}
	case !m.list.Filter().Empty():
		left = m.st.Label.Render(" filter ") + termsafe.String(m.list.Filter().String()) + m.st.Dim.Render(m.filterCount())
	}
	var right string
	switch {
	case m.mode == modeDetail:
		right = m.st.Dim.Render(fmt.Sprintf("%3.f%%", m.detail.ScrollPercent()*100))
	case m.mode != modeList:
	case m.rows().Following():
		right = m.st.Good.Render("● following") + m.st.Dim.Render(" (p pauses)")
	case m.rows().NewCount() > 0:
		right = m.st.SigMissing.Render(fmt.Sprintf("‖ paused · %d new ↓ (G follows)", m.rows().NewCount()))
	default:
		right = m.st.Dim.Render("‖ paused (G follows)")
	}
	if ansi.StringWidth(right) > m.width {
		right = ansi.Truncate(right, m.width, "…")
	}
	lw, rw := ansi.StringWidth(left), ansi.StringWidth(right)
	if lw+rw+1 > m.width {
		left = ansi.Truncate(left, max(m.width-rw-1, 0), "…")
		lw = ansi.StringWidth(left)
	}
	return left + strings.Repeat(" ", max(m.width-lw-rw-1, 0)) + right
}

func (m *Model) helpView() string {
	var b strings.Builder
	b.WriteString(m.st.Section.Render(" Keys"))
	b.WriteString("\n")
	hv := m.help.FullHelpView(m.keys.Full())
	for _, l := range strings.Split(hv, "\n") {
		b.WriteString(" " + l + "\n")
	}
	b.WriteString("\n")
	b.WriteString(m.st.Section.Render(" Filter"))
	b.WriteString(m.st.Dim.Render("  / then type; every word must match; esc clears"))
	b.WriteString("\n")
	syntax := filter.Syntax()
	for i := 0; i < len(syntax); i += 2 {
		line := "  " + m.st.HelpKey.Render(syntax[i])
		if i+1 < len(syntax) {
			line += "   " + m.st.HelpKey.Render(syntax[i+1])
		}
		b.WriteString(line + "\n")
	}
	b.WriteString("  " + m.st.HelpDesc.Render("any other word: free text in the path, event, method, status or #id") + "\n")
	b.WriteString("\n")
	b.WriteString(m.st.Section.Render(" Badges"))
	b.WriteString("\n")
	b.WriteString("  " + m.st.SigValid.Render(human.SigBadge(exchange.SigValid)) + "  " + m.st.SigInvalid.Render(human.SigBadge(exchange.SigInvalid)) + "  " +
		m.st.SigMissing.Render(human.SigBadge(exchange.SigMissing)) + "  " + m.st.SigNoKey.Render(human.SigBadge(exchange.SigUnchecked)+" (no key, or over --max-body)") + "\n")
	b.WriteString("  " + m.st.HelpDesc.Render("! column: "+human.CheckMark(exchange.CheckWarning)+" answer may be refused, "+human.CheckMark(exchange.CheckError)+" answer refused") + "\n")
	b.WriteString("  " + m.st.HelpDesc.Render("status:error: "+human.StatusErrorMeaning) + "\n")
	b.WriteString("  " + m.st.HelpDesc.Render("sent by swhook, not SignalWire: ↻#N a replay of #N · "+theme.TriggerMark+" a trigger · "+theme.CallMark+" swhook call/message") + "\n")
	if r := m.lastRejected; r != nil {
		// The header only counts them; the latest one's reason and peer
		// stay here once the status line has moved on.
		b.WriteString("\n")
		b.WriteString(m.st.Section.Render(fmt.Sprintf(" Rejected (%d)", m.counts.Rejected)))
		b.WriteString("\n")
		b.WriteString("  " + m.st.Bad.Render("last at "+r.Time.In(m.cfg.Location).Format("15:04:05")+": "+rejectedLine(*r)) + "\n")
	}
	return b.String()
}

// rejectedLine is one refused request in words, sanitised: its reason and
// peer came from the network.
func rejectedLine(r Rejected) string {
	return "REJECTED " + termsafe.String(r.Reason) + " from " + termsafe.String(r.Peer) +
		": refused by Go's HTTP server before swhook saw it, not stored"
}

func (m *Model) curlView() string {
	title := m.st.Section.Render(" Copy as curl") + m.st.Dim.Render("  (sent to the clipboard by OSC 52; tmux needs set-clipboard on · ←/→ long lines)")
	rule := m.st.Rule.Render(strings.Repeat("─", max(m.width, 1)))
	return ansi.Truncate(title, m.width, "…") + "\n" + rule + "\n" + m.curlVP.View()
}
