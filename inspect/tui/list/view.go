package list

import (
	"cmp"
	"strconv"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/human"
	"github.com/swhook/swhook/inspect/termsafe"
	"github.com/swhook/swhook/inspect/tui/theme"
)

// column identifies one column of the table.
type column int

const (
	colID column = iota
	colTime
	colMethod
	colMark // ↻#N / ⚡: a row swhook sent itself
	colPath
	colEvent
	colSig
	colStatus
	colDur
	colCheck
	numCols
)

// dropOrder is which columns go first when the terminal is narrow: the
// signature badge, the status and the path are what the row is for.
var dropOrder = []column{colTime, colDur, colMethod, colCheck, colEvent}

var headers = [numCols]string{"ID", "TIME", "METHOD", "", "PATH", "EVENT", "SIGNATURE", "CODE", "TOOK", "!"}

type layout struct {
	show  [numCols]bool
	width [numCols]int
	// gap is the space between columns: 1, or up to maxGap on a terminal
	// wider than every column's content, so the columns spread instead of
	// the path taking all the room.
	gap int
	// methodInPath: the METHOD column is hidden, so a method other than
	// POST is written in front of the path instead of being lost.
	methodInPath bool
}

const (
	minPath  = 10
	minEvent = 12
	// pathShare is what the path keeps before the event takes the rest.
	pathShare = 12
	// maxEvent is what the event may take while something else is short of
	// room; on a wide terminal it gets its whole text.
	maxEvent = 28
	maxGap   = 2
)

// computeLayout fits the columns into width, dropping the least important
// ones until the path and event have room.
func computeLayout(width int, rows []*exchange.Exchange, loc *time.Location, now time.Time) layout {
	l := layout{gap: 1}
	idW, methW, eventW, pathW, timeW, markW := 2, 6, 5, 4, 8, 0
	pathWM := pathW // with the method in front
	for _, x := range rows {
		timeW = max(timeW, len(timeText(x.Time, loc, now)))
		idW = max(idW, len(strconv.FormatInt(x.ID, 10)))
		methW = max(methW, min(len(x.Request.Method), 7))
		eventW = max(eventW, ansi.StringWidth(eventText(x)))
		pathW = max(pathW, ansi.StringWidth(pathText(x)))
		pathWM = max(pathWM, ansi.StringWidth(pathCell(x, true)))
		markW = max(markW, ansi.StringWidth(theme.SentMark(x)))
	}
	eventFull := eventW
	eventW = min(eventW, maxEvent)
	fixed := [numCols]int{colID: idW + 1, colTime: timeW, colMethod: methW, colMark: markW, colSig: theme.SigWidth, colStatus: 4, colDur: 6, colCheck: 1}
	for c := range numCols {
		l.show[c] = true
		l.width[c] = fixed[c]
	}
	// The mark gets a column only when a row on screen has one.
	l.show[colMark] = markW > 0
	// The marker column and one space between columns.
	used := func() int {
		n := 1
		for c := range numCols {
			if l.show[c] && c != colPath && c != colEvent {
				n += l.width[c] + 1
			}
		}
		if l.show[colEvent] {
			n++
		}
		return n
	}
	for _, c := range dropOrder {
		flex := width - used()
		need := minPath
		if l.show[colEvent] {
			need += minEvent
		}
		if flex >= need {
			break
		}
		l.show[c] = false
	}
	flex := max(width-used(), 1)
	if l.show[colEvent] && l.show[colMethod] {
		// Nearly every webhook is a POST: when the event would be cut, the
		// METHOD column goes and a GET says so in front of its path.
		if keep := min(pathW, max(pathShare, flex*35/100)); flex-keep < eventW {
			l.show[colMethod] = false
			flex = max(width-used(), 1)
		}
	}
	if !l.show[colMethod] {
		l.methodInPath, pathW = true, pathWM
	}
	pathW = max(pathW, minPath)
	if !l.show[colEvent] {
		l.width[colPath] = min(flex, pathW)
		return l
	}
	if flex >= pathW+eventFull {
		// Room for everything: the path and the event get their whole
		// text and what is left widens the gaps (up to maxGap), so the
		// columns spread over the window instead of 300 blank columns
		// sitting inside PATH.
		l.width[colPath], l.width[colEvent] = pathW, eventFull
		gaps := -1
		for c := range numCols {
			if l.show[c] {
				gaps++
			}
		}
		if gaps > 0 {
			l.gap = min(maxGap, 1+(flex-pathW-eventFull)/gaps)
		}
		return l
	}
	// The event is what the row says ("message.status undelivered": its
	// detail is the end that truncation would cut), while paths are short
	// and repeat. So the event gets its full width first, as long as the
	// path keeps enough to tell routes apart.
	pathKeep := min(pathW, max(pathShare, flex*35/100))
	ev := min(eventW, max(minEvent, flex-pathKeep))
	path := min(flex-ev, pathW)
	if path < flex-ev {
		ev = min(eventFull, flex-path) // the path is whole: the event may have the rest
	}
	l.width[colEvent], l.width[colPath] = ev, max(path, 1)
	return l
}

// timeText is the TIME column: the time of day for today's exchanges, with
// the date for older ones so history is not mistaken for today's traffic.
func timeText(t time.Time, loc *time.Location, now time.Time) string {
	t = t.In(loc)
	y1, m1, d1 := t.Date()
	y2, m2, d2 := now.In(loc).Date()
	if y1 == y2 && m1 == m2 && d1 == d2 {
		return t.Format("15:04:05")
	}
	return t.Format("01-02 15:04")
}

func eventText(x *exchange.Exchange) string {
	s := string(x.Event.Kind)
	if x.Event.Detail != "" {
		s += " " + x.Event.Detail
	}
	return termsafe.String(s)
}

func pathText(x *exchange.Exchange) string {
	p := x.Request.Path
	if x.Request.Query != "" {
		p += "?" + x.Request.Query
	}
	return termsafe.String(p)
}

// pathCell is the PATH column's text; withMethod puts a method other than
// POST in front, for when the METHOD column is hidden.
func pathCell(x *exchange.Exchange, withMethod bool) string {
	p := pathText(x)
	if withMethod && x.Request.Method != "" && x.Request.Method != "POST" {
		p = termsafe.String(x.Request.Method) + " " + p
	}
	return p
}

// FormatDuration is a handler's time as the live view shows it: as the
// commands write it, "—" when nothing was measured.
func FormatDuration(d time.Duration) string {
	return cmp.Or(human.Duration(d), "—")
}

// fit truncates s to w cells (with an ellipsis) and pads it to exactly w.
func fit(s string, w int, right bool) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) > w {
		s = ansi.Truncate(s, w, "…")
	}
	pad := w - ansi.StringWidth(s)
	if pad <= 0 {
		return s
	}
	if right {
		return strings.Repeat(" ", pad) + s
	}
	return s + strings.Repeat(" ", pad)
}

// View draws the column header and the rows on screen; empty is shown when
// nothing passes the filter. loc is the time zone for the TIME column and
// now decides which rows are today's.
func (m *Model) View(st theme.Styles, loc *time.Location, now time.Time, empty string) string {
	if loc == nil {
		loc = time.Local
	}
	n := m.Len()
	end := min(m.offset+m.height, n)
	window := make([]*exchange.Exchange, 0, end-m.offset)
	for i := m.offset; i < end; i++ {
		window = append(window, m.at(i))
	}
	l := computeLayout(m.width, window, loc, now)

	var b strings.Builder
	b.Grow((m.height + 1) * (m.width + 16))
	var hdr strings.Builder
	hdr.WriteString(" ")
	sep := strings.Repeat(" ", l.gap)
	for c := range numCols {
		if !l.show[c] {
			continue
		}
		right := c == colID || c == colDur
		hdr.WriteString(fit(headers[c], l.width[c], right))
		hdr.WriteString(sep)
	}
	b.WriteString(st.ColHeader.Render(strings.TrimRight(hdr.String(), " ")))
	if n == 0 {
		for _, line := range strings.Split(empty, "\n") {
			b.WriteString("\n")
			b.WriteString(st.Dim.Render(fit(" "+line, m.width, false)))
		}
		return b.String()
	}
	for i, x := range window {
		b.WriteString("\n")
		b.WriteString(m.row(st, l, x, m.offset+i == m.cursor, loc, now))
	}
	return b.String()
}

func (m *Model) row(st theme.Styles, l layout, x *exchange.Exchange, selected bool, loc *time.Location, now time.Time) string {
	plain := lipgloss.NewStyle()
	style := func(s lipgloss.Style) lipgloss.Style {
		if selected {
			return plain // the whole line is styled at once below
		}
		return s
	}
	var b strings.Builder
	if selected {
		b.WriteString("›")
	} else {
		b.WriteString(" ")
	}
	sep := strings.Repeat(" ", l.gap)
	cell := func(c column, text string, s lipgloss.Style, right bool) {
		if !l.show[c] {
			return
		}
		b.WriteString(style(s).Render(fit(text, l.width[c], right)))
		b.WriteString(sep)
	}
	cell(colID, strconv.FormatInt(x.ID, 10), st.Dim, true)
	cell(colTime, timeText(x.Time, loc, now), st.Dim, false)
	cell(colMethod, termsafe.String(x.Request.Method), plain, false)
	cell(colMark, theme.SentMark(x), st.Replay, false)
	cell(colPath, pathCell(x, l.methodInPath), plain, false)
	cell(colEvent, eventText(x), st.Info, false)
	cell(colSig, human.SigBadge(x.Signature.Status), st.SigStyle(x.Signature.Status), false)
	cell(colStatus, theme.StatusText(x.Response), st.StatusStyle(x.Response), false)
	cell(colDur, FormatDuration(x.Response.Duration()), st.Dim, true)
	checkStyle := st.SigMissing
	if x.ResponseCheck.Status == exchange.CheckError {
		checkStyle = st.Bad
	}
	cell(colCheck, human.CheckMark(x.ResponseCheck.Status), checkStyle, false)
	line := strings.TrimRight(b.String(), " ")
	if selected {
		return st.Selected.Render(fit(line, m.width, false))
	}
	return line
}
