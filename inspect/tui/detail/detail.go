// Package detail is the live view's pane for one exchange: the request, the
// answer and the signature verdict on three tabs, scrollable, every byte
// from the network made safe to draw.
package detail

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/viewport"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/human"
	"github.com/swhook/swhook/inspect/pretty"
	"github.com/swhook/swhook/inspect/termsafe"
	"github.com/swhook/swhook/inspect/tui/theme"
)

// Tab is one of the pane's tabs.
type Tab int

const (
	TabRequest Tab = iota
	TabResponse
	TabSignature
	numTabs
)

var tabNames = [numTabs]string{"Request", "Response", "Signature"}

func (t Tab) String() string { return tabNames[t] }

// Model is the pane's state.
type Model struct {
	x      *exchange.Exchange
	tab    Tab
	vp     viewport.Model
	width  int
	height int
	st     theme.Styles
	loc    *time.Location
}

// New returns an empty pane drawing with st, showing times in loc.
func New(st theme.Styles, loc *time.Location) Model {
	if loc == nil {
		loc = time.Local
	}
	return Model{vp: viewport.New(), st: st, loc: loc}
}

// Exchange is the exchange shown, nil before one is set.
func (m *Model) Exchange() *exchange.Exchange { return m.x }

// SetExchange shows x (whole, with bodies) from its top, keeping the tab.
func (m *Model) SetExchange(x *exchange.Exchange) {
	m.x = x
	m.refresh()
	m.vp.GotoTop()
}

// Tab is the tab shown.
func (m *Model) Tab() Tab { return m.tab }

// SetTab switches to t, from its top.
func (m *Model) SetTab(t Tab) {
	m.tab = (t%numTabs + numTabs) % numTabs
	m.refresh()
	m.vp.GotoTop()
}

// NextTab and PrevTab cycle the tabs.
func (m *Model) NextTab() { m.SetTab(m.tab + 1) }

// PrevTab is NextTab backwards.
func (m *Model) PrevTab() { m.SetTab(m.tab - 1) }

// SetSize gives the pane its box (including its title and tab lines).
func (m *Model) SetSize(width, height int) {
	m.width, m.height = width, height
	m.vp.SetWidth(max(width, 1))
	m.vp.SetHeight(max(height-3, 1))
	m.refresh()
}

// Scroll moves the content by n lines (negative: up).
func (m *Model) Scroll(n int) {
	if n < 0 {
		m.vp.ScrollUp(-n)
	} else {
		m.vp.ScrollDown(n)
	}
}

// Page scrolls by a screenful.
func (m *Model) Page(dir int) {
	if dir < 0 {
		m.vp.PageUp()
	} else {
		m.vp.PageDown()
	}
}

// Top and Bottom jump to the ends.
func (m *Model) Top() { m.vp.GotoTop() }

// Bottom jumps to the end.
func (m *Model) Bottom() { m.vp.GotoBottom() }

// ScrollPercent says how far down the content is scrolled.
func (m *Model) ScrollPercent() float64 { return m.vp.ScrollPercent() }

func (m *Model) refresh() {
	if m.x == nil {
		m.vp.SetContent("")
		return
	}
	var body string
	switch m.tab {
	case TabRequest:
		body = m.request()
	case TabResponse:
		body = m.response()
	case TabSignature:
		body = m.signature()
	}
	m.vp.SetContent(ansi.Wrap(body, max(m.width-1, 10), " /&,"))
}

// View draws the title line, the tab bar, a rule and the content.
func (m *Model) View() string {
	if m.x == nil {
		return ""
	}
	x := m.x
	title := fmt.Sprintf(" #%d  %s %s  %s  ", x.ID, termsafe.String(x.Request.Method), termsafe.String(x.Request.Path), eventText(x))
	title = m.st.Value.Render(title) + m.st.SigStyle(x.Signature.Status).Render(human.SigBadge(x.Signature.Status)) +
		"  " + m.st.StatusStyle(x.Response).Render(theme.StatusText(x.Response))
	if ansi.StringWidth(title) > m.width {
		title = ansi.Truncate(title, m.width, "…")
	}
	var tabs strings.Builder
	tabs.WriteString(" ")
	for t := range numTabs {
		if t == m.tab {
			tabs.WriteString(m.st.TabActive.Render("[" + tabNames[t] + "]"))
		} else {
			tabs.WriteString(m.st.TabIdle.Render(" " + tabNames[t] + " "))
		}
		tabs.WriteString(" ")
	}
	rule := m.st.Rule.Render(strings.Repeat("─", max(m.width, 1)))
	return title + "\n" + tabs.String() + "\n" + rule + "\n" + m.vp.View()
}

func eventText(x *exchange.Exchange) string {
	s := string(x.Event.Kind)
	if x.Event.Detail != "" {
		s += " " + x.Event.Detail
	}
	return termsafe.String(s)
}

func (m *Model) section(b *strings.Builder, name string) {
	b.WriteString("\n")
	b.WriteString(m.st.Section.Render(name))
	b.WriteString("\n")
}

// table writes aligned name/value lines, both sanitised.
func (m *Model) table(b *strings.Builder, rows [][2]string) {
	m.styledTable(b, rows, nil)
}

// styledTable is table with a style per value (nil: none).
func (m *Model) styledTable(b *strings.Builder, rows [][2]string, style func(i int) lipgloss.Style) {
	w := 0
	for _, r := range rows {
		w = max(w, ansi.StringWidth(termsafe.String(r[0])))
	}
	w = min(w, 28)
	for i, r := range rows {
		name := termsafe.String(r[0])
		pad := max(w-ansi.StringWidth(name), 0)
		b.WriteString("  ")
		b.WriteString(m.st.Label.Render(name))
		b.WriteString(strings.Repeat(" ", pad+2))
		v := termsafe.String(r[1])
		if style != nil {
			v = style(i).Render(v)
		}
		b.WriteString(v)
		b.WriteString("\n")
	}
}

func headerRows(h http.Header) [][2]string {
	names := slices.Sorted(maps.Keys(h))
	var rows [][2]string
	for _, k := range names {
		for _, v := range h[k] {
			rows = append(rows, [2]string{k, v})
		}
	}
	return rows
}

// body writes a body pretty-printed, or as sent when raw is set (a form
// already shown as a parameter table: the exact bytes help more then).
func (m *Model) body(b *strings.Builder, contentType string, body []byte, size int64, truncated, raw bool) {
	if len(body) == 0 {
		b.WriteString(m.st.Dim.Render("  (empty)"))
		b.WriteString("\n")
		return
	}
	var text string
	if raw {
		text = termsafe.Text(string(body))
	} else {
		text = termsafe.Text(pretty.Body(contentType, body))
	}
	// Wrap here, inside the indent, so continuation lines stay indented.
	inner := max(m.width-3, 10)
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		for _, part := range strings.Split(ansi.Wrap(line, inner, " /&,"), "\n") {
			b.WriteString("  ")
			b.WriteString(part)
			b.WriteString("\n")
		}
	}
	if truncated {
		b.WriteString(m.st.SigMissing.Render(fmt.Sprintf("  … truncated: %d of %d bytes kept", len(body), size)))
		b.WriteString("\n")
	}
}

func (m *Model) request() string {
	x := m.x
	r := x.Request
	var b strings.Builder
	b.WriteString(m.st.Value.Render(termsafe.String(r.Method) + " " + termsafe.String(r.URL)))
	b.WriteString("\n")
	when := x.Time.In(m.loc).Format("2006-01-02 15:04:05.000 MST")
	var meta []string
	if by := theme.SentBy(x); by != "" {
		// Not from SignalWire: said first, so it is never read as the copy
		// a running listen received.
		meta = append(meta, by, when)
	} else {
		meta = append(meta, "received "+when)
		if x.Source != "" {
			meta = append(meta, "via "+termsafe.String(string(x.Source)))
		}
	}
	if r.RemoteAddr != "" {
		meta = append(meta, "from "+termsafe.String(r.RemoteAddr))
	}
	meta = append(meta, strconv.FormatInt(r.BodySize, 10)+" bytes")
	// Broken between its parts, never inside one ("71 / bytes").
	for _, l := range joinFit(meta, " · ", max(m.width-1, 10)) {
		b.WriteString(m.st.Dim.Render(l))
		b.WriteString("\n")
	}
	m.section(&b, "Headers")
	if len(r.Headers) == 0 {
		b.WriteString(m.st.Dim.Render("  (none)") + "\n")
	}
	m.table(&b, headerRows(r.Headers))
	ct := r.Headers.Get("Content-Type")
	var params []pretty.Param
	var ok bool
	if r.Method == http.MethodGet && r.Query != "" {
		params, ok = pretty.Params("application/x-www-form-urlencoded", []byte(r.Query))
	} else if len(r.Body) > 0 {
		params, ok = pretty.Params(ct, r.Body)
	}
	if ok && len(params) > 0 {
		m.section(&b, "Parameters")
		rows := make([][2]string, len(params))
		for i, p := range params {
			rows[i] = [2]string{p.Name, p.Value}
		}
		m.table(&b, rows)
	}
	m.section(&b, "Body")
	m.body(&b, ct, r.Body, r.BodySize, r.Truncated, ok && len(params) > 0 && len(r.Body) > 0)
	return b.String()
}

// joinFit joins parts with sep into lines of at most width cells, starting
// a new line between parts rather than inside one.
func joinFit(parts []string, sep string, width int) []string {
	var lines []string
	cur := ""
	for _, p := range parts {
		switch {
		case cur == "":
			cur = p
		case ansi.StringWidth(cur+sep+p) <= width:
			cur += sep + p
		default:
			lines = append(lines, cur)
			cur = p
		}
	}
	return append(lines, cur)
}

func (m *Model) response() string {
	x := m.x
	r := x.Response
	var b strings.Builder
	status := theme.StatusText(r)
	if r.Status != 0 {
		status += " " + http.StatusText(r.Status)
	}
	line := m.st.StatusStyle(r).Render(status)
	switch {
	case r.Forwarded:
		line += m.st.Dim.Render(" · from the handler")
	case r.Error != "":
		// Meant for the handler; the error line says why swhook answered.
		line += m.st.Dim.Render(" · answered by swhook")
	default:
		line += m.st.Dim.Render(" · answered by swhook (not forwarded)")
	}
	line += m.st.Dim.Render(" · took " + cmp.Or(human.Duration(r.Duration()), "—"))
	b.WriteString(line + "\n")
	if r.Error != "" {
		b.WriteString(m.st.Bad.Render("Error: "+termsafe.String(r.Error)) + "\n")
	}
	c := x.ResponseCheck
	switch c.Status {
	case exchange.CheckOK:
		b.WriteString(m.st.Good.Render("✓ answer looks right to SignalWire"))
		if c.Message != "" {
			b.WriteString(m.st.Dim.Render(": " + termsafe.String(c.Message)))
		}
		b.WriteString("\n")
	case exchange.CheckWarning, exchange.CheckError:
		st := m.st.SigMissing
		if c.Status == exchange.CheckError {
			st = m.st.Bad
		}
		b.WriteString(st.Render(human.CheckBadge(c.Status)+": "+termsafe.String(c.Message)) + "\n")
	}
	m.section(&b, "Headers")
	if len(r.Headers) == 0 {
		b.WriteString(m.st.Dim.Render("  (none)") + "\n")
	}
	m.table(&b, headerRows(r.Headers))
	m.section(&b, "Body")
	m.body(&b, r.Headers.Get("Content-Type"), r.Body, r.BodySize, r.Truncated, false)
	return b.String()
}

func (m *Model) signature() string {
	x := m.x
	s := x.Signature
	var b strings.Builder
	rows := [][2]string{{"Verdict", human.SigBadge(s.Status)}}
	if s.Scheme != "" {
		rows = append(rows, [2]string{"Scheme", s.Scheme})
	}
	if s.Header != "" {
		rows = append(rows, [2]string{"Header", s.Header})
		if v := x.Request.Headers.Get(s.Header); v != "" {
			rows = append(rows, [2]string{"Signature", v})
		}
	}
	rows = append(rows, [2]string{"URL used", x.Request.URL})
	m.styledTable(&b, rows, func(i int) lipgloss.Style {
		if i == 0 {
			return m.st.SigStyle(s.Status)
		}
		return lipgloss.NewStyle()
	})
	b.WriteString("\n")
	// Who sent it, for a row swhook sent itself: a signature (or its
	// absence) then says nothing about SignalWire.
	sentBy := ""
	if by := theme.SentBy(x); by != "" {
		sentBy = strings.ToUpper(by[:1]) + by[1:] + ", not by SignalWire.\n"
	}
	switch s.Status {
	case exchange.SigUnchecked:
		if s.Hint != "" { // checked not for another reason (a body over --max-body): Why says it
			b.WriteString("swhook did not check this signature.\n")
		} else {
			b.WriteString("No signing key is set, so signatures are not checked. Pass --signing-key or set\nSIGNALWIRE_SIGNING_KEY (the project's Signing Key in the SignalWire dashboard).\n")
		}
	case exchange.SigMissing:
		if sentBy != "" {
			b.WriteString("The request carried no signature header. " + sentBy)
		} else {
			b.WriteString("The request carried no signature header. SignalWire signs every webhook, so this\ndid not come from SignalWire, or a proxy stripped the header.\n")
		}
	case exchange.SigValid:
		b.WriteString(m.st.Good.Render("The signature matches your signing key: the body and URL are unaltered.") + "\n")
		if sentBy != "" {
			b.WriteString(sentBy)
		} else {
			b.WriteString("Only someone holding the key (SignalWire, or you) could have made it.\n")
		}
	case exchange.SigInvalid:
		b.WriteString(m.st.Bad.Render("The signature does not match.") + "\n")
	}
	if s.Hint != "" {
		m.section(&b, "Why")
		b.WriteString(termsafe.Text(s.Hint) + "\n")
	}
	return b.String()
}
