// Package header draws the top of the live view: where to send webhooks
// (first, because it is what a developer pastes into the dashboard), where
// they go next, the tunnel's health, whether signatures can be checked, and
// running counts.
package header

import (
	"fmt"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/swhook/swhook/inspect/termsafe"
	"github.com/swhook/swhook/inspect/tui/theme"
)

// TunnelState mirrors the tunnel's states without importing the tunnel.
type TunnelState string

const (
	TunnelLocal        TunnelState = "local"
	TunnelConnecting   TunnelState = "connecting"
	TunnelUp           TunnelState = "up"
	TunnelReconnecting TunnelState = "reconnecting"
	TunnelDown         TunnelState = "down"
)

// Tunnel is a snapshot of the public tunnel.
type Tunnel struct {
	State      TunnelState
	URL        string
	Message    string
	URLChanged bool
	PrevURL    string
	// Since is when the tunnel entered State, in the zone to show it in
	// (zero: unknown). "down since 09:14" tells a developer back from
	// lunch that webhooks have been missed since then.
	Since time.Time
}

// Info is what the header shows besides the tunnel.
type Info struct {
	PublicURL string // "" when local only
	LocalURL  string
	Forward   string // "" when swhook answers itself
	// Respond is the file swhook answers with when there is no Forward
	// ("" means its harmless defaults).
	Respond string
	KeySet  bool
	// LocalWhy says in a few words why there is no public URL (e.g. "no
	// ngrok authtoken"), so "local only" is never a mystery.
	LocalWhy string
	// Notes are one-line remarks about the session (how to get a public
	// URL, what --enforce-signature does); the view shows them while it
	// waits for the first webhook.
	Notes []string
}

// Counts are this session's running totals.
type Counts struct {
	Total, Invalid, Errors int
	// Rejected counts requests Go's HTTP server refused before swhook saw
	// them (400, 431, 501): they leave no row, so the count is their trace.
	Rejected int
}

// Store is the store's health as the header shows it.
type Store struct {
	// NotSaving is why the store refuses saves ("" while it saves): the
	// banner stays as long as webhooks are answered but not kept.
	NotSaving string
}

// Lines is how many lines View returns for these inputs, so the caller can
// size the list below.
func Lines(t Tunnel, s Store) int {
	n := 4
	if loud(t) != "" {
		n++
	}
	if s.NotSaving != "" {
		n++
	}
	return n
}

func loud(t Tunnel) string {
	switch {
	case t.URLChanged:
		return fmt.Sprintf("⚠ URL changed (was %s): update it in the SignalWire dashboard", termsafe.String(t.PrevURL))
	case t.State == TunnelDown:
		msg := "⚠ Tunnel down"
		if t.Message != "" {
			msg += ": " + termsafe.String(t.Message)
		}
		return msg + " — only local traffic arrives"
	case t.State == TunnelReconnecting:
		msg := "⚠ Tunnel lost, reconnecting"
		if t.Message != "" {
			msg += ": " + termsafe.String(t.Message)
		}
		return msg
	}
	return ""
}

// View draws the header at width.
func View(st theme.Styles, width int, info Info, t Tunnel, s Store, c Counts) string {
	url := info.PublicURL
	if t.URL != "" {
		url = t.URL
	}
	var state string
	var stateStyle lipgloss.Style
	switch t.State {
	case TunnelUp:
		state, stateStyle = "● tunnel up", st.Good
	case TunnelConnecting:
		state, stateStyle = "◌ connecting", st.SigMissing
	case TunnelReconnecting:
		state, stateStyle = "◌ reconnecting", st.Bad
	case TunnelDown:
		state, stateStyle = "✗ tunnel down", st.Bad
	case TunnelLocal, "":
		state, stateStyle = "○ local only", st.Dim
		if info.PublicURL != "" {
			// --public-url: the user's own tunnel, whose health swhook
			// cannot see; "local only" beside a public URL would be wrong.
			state = "○ your tunnel"
		}
	default:
		state, stateStyle = "○ local only", st.Dim
	}
	var line1 string
	waiting := t.State == TunnelConnecting || t.State == TunnelReconnecting
	if url == "" && waiting {
		line1 = st.Label.Render(" Send webhooks to ") + st.Dim.Render("(waiting for the tunnel…) locally: "+termsafe.String(info.LocalURL))
	} else if url != "" {
		line1 = st.Label.Render(" Send webhooks to ") + st.Title.Render(termsafe.String(url))
	} else {
		why := " (local only)"
		if info.LocalWhy != "" {
			why = " (local only: " + termsafe.String(info.LocalWhy) + ")"
		}
		line1 = st.Label.Render(" Send webhooks to ") + st.Title.Render(termsafe.String(info.LocalURL)) + st.Dim.Render(why)
	}
	right := stateStyle.Render(state)
	if !t.Since.IsZero() && t.State != TunnelLocal {
		// The time only when it fits: the state itself must never drop.
		if r := stateStyle.Render(state + " since " + t.Since.Format("15:04:05")); ansi.StringWidth(line1)+ansi.StringWidth(r)+2 <= width {
			right = r
		}
	}
	lines := []string{spread(line1, right, width)}

	// The mapping as ngrok prints it — the URL to paste and the handler it
	// reaches — or, when that does not fit, where webhooks go.
	fwd := st.Label.Render(" Forwarding       ")
	switch {
	case info.Forward == "" && info.Respond != "":
		fwd += st.Dim.Render("nothing: swhook answers with " + termsafe.String(info.Respond))
	case info.Forward == "":
		fwd += st.Dim.Render("nothing: swhook answers itself")
	default:
		from := url
		if from == "" {
			from = info.LocalURL
		}
		mapping := fwd + st.Value.Render(termsafe.String(from)+" → "+termsafe.String(info.Forward))
		if from != "" && ansi.StringWidth(mapping) <= width {
			fwd = mapping
		} else {
			fwd += st.Value.Render("→ " + termsafe.String(info.Forward))
		}
	}
	lines = append(lines, fwd)

	key := st.Good.Render("✓ signing key set")
	if !info.KeySet {
		key = st.SigMissing.Render("? no signing key")
	}

	plural := func(n int, one, many string) string {
		if n == 1 {
			return fmt.Sprintf("%d %s", n, one)
		}
		return fmt.Sprintf("%d %s", n, many)
	}
	invalid := plural(c.Invalid, "invalid signature", "invalid signatures")
	if c.Invalid > 0 {
		invalid = st.Bad.Render(invalid)
	}
	errs := plural(c.Errors, "handler error", "handler errors")
	if c.Errors > 0 {
		errs = st.Bad.Render(errs)
	}
	// "new": rows from earlier sessions are listed too, and a count of 0
	// above them must not read as if they were not there.
	counts := " " + plural(c.Total, "new webhook", "new webhooks") + st.Dim.Render(" · ") + invalid + st.Dim.Render(" · ") + errs
	if c.Rejected > 0 {
		// Only when there are some: requests refused before swhook saw
		// them are rare, and a standing "0 rejected" would crowd the line.
		counts += st.Dim.Render(" · ") + st.Bad.Render(fmt.Sprintf("%d rejected", c.Rejected))
	}
	lines = append(lines, spread(counts, key, width))
	if s.NotSaving != "" {
		// Red and full width: answers still go back to SignalWire, so
		// nothing else would tell the developer that nothing is kept.
		banner := clip(" NOT SAVING: "+termsafe.String(s.NotSaving), width)
		lines = append(lines, st.Bad.Reverse(true).Render(banner+strings.Repeat(" ", max(width-ansi.StringWidth(banner), 0))))
	}
	if l := loud(t); l != "" {
		lines = append(lines, st.Warn.Render(clip(" "+l, width)))
	}
	lines = append(lines, st.Rule.Render(strings.Repeat("─", max(width, 1))))
	for i, l := range lines {
		lines[i] = clip(l, width)
	}
	return strings.Join(lines, "\n")
}

// spread puts left and right on one line of width, right-aligned, dropping
// right when there is no room.
func spread(left, right string, width int) string {
	lw, rw := ansi.StringWidth(left), ansi.StringWidth(right)
	if lw+rw+2 > width {
		if lw+2 < width {
			return left
		}
		return clip(left, width)
	}
	return left + strings.Repeat(" ", width-lw-rw-1) + right
}

func clip(s string, width int) string {
	if ansi.StringWidth(s) > width {
		return ansi.Truncate(s, width, "…")
	}
	return s
}
