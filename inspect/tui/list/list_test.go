package list

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/human"
	"github.com/swhook/swhook/inspect/tui/filter"
	"github.com/swhook/swhook/inspect/tui/theme"
)

func x(id int64, sig exchange.SignatureStatus) *exchange.Exchange {
	return &exchange.Exchange{
		ID: id, Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Request:   exchange.Request{Method: "POST", Path: "/hook"},
		Event:     exchange.Event{Kind: exchange.KindCallStatus, Detail: "ringing"},
		Signature: exchange.Signature{Status: sig},
		Response:  exchange.Response{Status: 200, DurationMS: 3},
	}
}

func ids(m *Model) []int64 {
	var out []int64
	for i := 0; i < m.Len(); i++ {
		out = append(out, m.at(i).ID)
	}
	return out
}

func TestInsertKeepsOrderAndDedupes(t *testing.T) {
	m := New()
	m.SetSize(80, 10)
	if n := m.Insert(x(5, exchange.SigValid), x(3, exchange.SigValid), x(9, exchange.SigValid)); n != 3 {
		t.Fatalf("added %d", n)
	}
	if n := m.Insert(x(3, exchange.SigInvalid), x(7, exchange.SigValid), x(1, exchange.SigValid)); n != 2 {
		t.Fatalf("added %d, want 2 (3 is a refresh)", n)
	}
	if got := ids(&m); !slices.Equal(got, []int64{1, 3, 5, 7, 9}) {
		t.Fatalf("order %v", got)
	}
	if m.at(1).Signature.Status != exchange.SigInvalid {
		t.Error("a re-inserted row was not refreshed")
	}
	if m.OldestID() != 1 || m.NewestID() != 9 || !m.Has(7) || m.Has(8) {
		t.Error("bounds or Has wrong")
	}
	if m.Selected().ID != 9 {
		t.Errorf("following list selects #%d", m.Selected().ID)
	}
}

func TestPausedCursorStaysOnItsRow(t *testing.T) {
	m := New()
	m.SetSize(80, 10)
	for i := int64(10); i <= 20; i++ {
		m.Insert(x(i, exchange.SigValid))
	}
	m.Move(-3)                                                 // #17
	m.Insert(x(1, exchange.SigValid), x(2, exchange.SigValid)) // older page
	m.Insert(x(21, exchange.SigValid))
	if m.Selected().ID != 17 || m.NewCount() != 1 {
		t.Errorf("on #%d with %d new, want #17 with 1 new", m.Selected().ID, m.NewCount())
	}
	m.Bottom()
	if m.Selected().ID != 21 || !m.Following() || m.NewCount() != 0 {
		t.Error("Bottom does not follow again")
	}
}

func TestFilterAppliesToArrivals(t *testing.T) {
	m := New()
	m.SetSize(80, 10)
	m.Insert(x(1, exchange.SigValid), x(2, exchange.SigInvalid))
	f, _ := filter.Parse("sig:invalid")
	m.SetFilter(f)
	m.Insert(x(3, exchange.SigValid), x(4, exchange.SigInvalid))
	if got := ids(&m); !slices.Equal(got, []int64{2, 4}) {
		t.Fatalf("filtered %v", got)
	}
	m.Insert(x(0, exchange.SigInvalid)) // older, inserted in the middle of rows
	if got := ids(&m); !slices.Equal(got, []int64{0, 2, 4}) {
		t.Fatalf("after an older insert %v", got)
	}
	m.SetFilter(filter.Filter{})
	if m.Len() != 5 {
		t.Errorf("clearing the filter shows %d", m.Len())
	}
}

func TestEmptyListIsSafe(t *testing.T) {
	m := New()
	m.SetSize(80, 5)
	m.Move(1)
	m.Page(-1)
	m.Top()
	m.Bottom()
	m.TogglePause()
	if m.Selected() != nil {
		t.Fatal("selection in an empty list")
	}
	if out := m.View(theme.Plain(), time.UTC, time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC), "Waiting"); !strings.Contains(out, "Waiting") {
		t.Errorf("empty view: %q", out)
	}
}

// TestColumnsDropByPriority: narrower terminals lose the time first and
// never the signature badge or the status; no line is wider than the screen.
func TestColumnsDropByPriority(t *testing.T) {
	m := New()
	for i := int64(1); i <= 3; i++ {
		m.Insert(x(i, exchange.SigInvalid))
	}
	for _, w := range []int{200, 120, 80, 60, 50, 40, 30} {
		m.SetSize(w, 6)
		out := m.View(theme.Plain(), time.UTC, time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC), "")
		for _, line := range strings.Split(out, "\n") {
			if ansi.StringWidth(line) > w {
				t.Errorf("width %d: line of %d: %q", w, ansi.StringWidth(line), line)
			}
		}
		if !strings.Contains(out, "✗ INVALID") || !strings.Contains(out, "200") {
			t.Errorf("width %d lost the badge or the status:\n%s", w, out)
		}
		hasTime := strings.Contains(out, "03:04:05")
		if w >= 80 && !hasTime {
			t.Errorf("width %d dropped the time:\n%s", w, out)
		}
		if w <= 50 && hasTime {
			t.Errorf("width %d kept the time over the path:\n%s", w, out)
		}
	}
}

func TestBadgesDifferWithoutColour(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range []exchange.SignatureStatus{exchange.SigValid, exchange.SigInvalid, exchange.SigMissing, exchange.SigUnchecked} {
		txt := human.SigBadge(s)
		if seen[txt] || ansi.StringWidth(txt) > theme.SigWidth {
			t.Errorf("badge %q repeated or wider than the column", txt)
		}
		seen[txt] = true
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "—", -time.Second: "—", 300 * time.Microsecond: "300µs", 12 * time.Millisecond: "12ms",
		1534 * time.Millisecond: "1.5s", 42 * time.Second: "42s", 65 * time.Second: "1m05s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestTimeShowsTheDateForOlderDays(t *testing.T) {
	now := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	if got := timeText(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), time.UTC, now); got != "03:04:05" {
		t.Errorf("today: %q", got)
	}
	if got := timeText(time.Date(2025, 12, 31, 23, 59, 0, 0, time.UTC), time.UTC, now); got != "12-31 23:59" {
		t.Errorf("yesterday: %q", got)
	}
}

// TestEventDetailSurvives80Columns: at 80 columns the event's detail (the
// part that says what happened) is not cut to make room for a long path,
// and the path keeps enough to tell routes apart.
func TestEventDetailSurvives80Columns(t *testing.T) {
	m := New()
	a := x(1, exchange.SigValid)
	a.Event = exchange.Event{Kind: exchange.KindCallStatus, Detail: "completed"}
	a.Request.Path = "/voice/status/callbacks/for/the/main/number"
	b := x(2, exchange.SigValid)
	b.Event = exchange.Event{Kind: exchange.KindCallStatus, Detail: "ringing"}
	b.Request.Path = "/sms/status"
	m.Insert(a, b)
	m.SetSize(80, 6)
	out := m.View(theme.Plain(), time.UTC, time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC), "")
	for _, want := range []string{"call.status completed", "call.status ringing", "/sms/status", "/voice/stat"} {
		if !strings.Contains(out, want) {
			t.Errorf("80 columns lost %q:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if ansi.StringWidth(line) > 80 {
			t.Errorf("line of %d: %q", ansi.StringWidth(line), line)
		}
	}
}

// TestMethodMovesIntoThePath: when the event would be cut, the METHOD
// column (nearly always POST) makes room, and a GET still says so.
func TestMethodMovesIntoThePath(t *testing.T) {
	m := New()
	a := x(1, exchange.SigValid)
	a.Event = exchange.Event{Kind: exchange.KindMessageStatus, Detail: "undelivered"}
	a.Request.Path = "/sms/status/callback"
	b := x(2, exchange.SigValid)
	b.Event = exchange.Event{Kind: exchange.KindRecordingStatus, Detail: "completed"}
	b.Request.Method, b.Request.Path = "GET", "/rec"
	m.Insert(a, b)
	day := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	m.SetSize(80, 6)
	out := m.View(theme.Plain(), time.UTC, day, "")
	for _, want := range []string{"message.status undelivered", "recording.status completed", "GET /rec", "03:04:05"} {
		if !strings.Contains(out, want) {
			t.Errorf("80 columns lost %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "METHOD") || strings.Contains(out, "POST") {
		t.Errorf("METHOD column kept at 80 columns although the event did not fit:\n%s", out)
	}
	m.SetSize(120, 6)
	if out := m.View(theme.Plain(), time.UTC, day, ""); !strings.Contains(out, "METHOD") || strings.Contains(out, "GET /rec") {
		t.Errorf("120 columns should keep the METHOD column:\n%s", out)
	}
}

// A row swhook sent itself is marked in a narrow column of its own before
// the path, so it is not taken for a webhook SignalWire sent; a received row
// has no mark. The paths and the badges stay aligned with the two-cell
// trigger mark, at every width.
func TestSentRowsAreMarked(t *testing.T) {
	m := New()
	trig := x(1, exchange.SigValid)
	trig.Source = exchange.SourceTrigger
	recv := x(2, exchange.SigValid)
	recv.Source = exchange.SourceLocal
	rep := x(3, exchange.SigValid)
	rep.Source, rep.ReplayOf = exchange.SourceReplay, 1
	m.Insert(trig, recv, rep)
	for _, w := range []int{120, 80, 60} {
		m.SetSize(w, 5)
		lines := strings.Split(m.View(theme.Plain(), time.UTC, time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC), ""), "\n")
		if len(lines) != 4 {
			t.Fatalf("width %d: %d lines", w, len(lines))
		}
		for i, want := range []string{theme.TriggerMark, "", "↻#1"} {
			if want != "" && !strings.Contains(lines[i+1], want+" ") {
				t.Errorf("width %d row %d: no %q: %q", w, i+1, want, lines[i+1])
			}
		}
		if strings.Contains(lines[2], theme.TriggerMark) || strings.Contains(lines[2], "↻") {
			t.Errorf("width %d: the received copy is marked: %q", w, lines[2])
		}
		// The path and the badge start in the same cell on every row.
		for _, what := range []string{"/hook", "✓ valid"} {
			col := -1
			for _, l := range lines[1:] {
				c := ansi.StringWidth(l[:strings.Index(l, what)])
				if col >= 0 && c != col {
					t.Errorf("width %d: %s at cell %d, then %d:\n%s", w, what, col, c, strings.Join(lines, "\n"))
				}
				col = c
			}
		}
	}
}

// On a wide terminal the path keeps the width of its longest text and the
// rest spreads between the columns: no row is padded with hundreds of blank
// cells inside PATH, and the event is never cut.
func TestWideTerminalSpreadsColumns(t *testing.T) {
	m := New()
	long := x(2, exchange.SigValid)
	long.Event.Detail = "a-rather-long-detail-word-that-would-be-cut"
	m.Insert(x(1, exchange.SigValid), long)
	for _, w := range []int{200, 400} {
		m.SetSize(w, 5)
		lines := strings.Split(m.View(theme.Plain(), time.UTC, time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC), ""), "\n")
		hdr := lines[0]
		path, event := strings.Index(hdr, "PATH"), strings.Index(hdr, "EVENT")
		if cells := event - path; cells > minPath+maxGap {
			t.Errorf("width %d: PATH is %d cells wide for a 5-cell path:\n%s", w, cells, strings.Join(lines, "\n"))
		}
		if !strings.Contains(lines[2], long.Event.Detail) {
			t.Errorf("width %d: event cut: %q", w, lines[2])
		}
		if rw := ansi.StringWidth(strings.TrimRight(lines[1], " ")); rw > 140 {
			t.Errorf("width %d: a row is %d cells wide", w, rw)
		}
	}
}

// A row `swhook call` sent through a running listen is marked too.
func TestCallRowsAreMarked(t *testing.T) {
	m := New()
	c := x(1, exchange.SigValid)
	c.Source = exchange.SourceCall
	m.Insert(c, x(2, exchange.SigValid))
	m.SetSize(100, 5)
	lines := strings.Split(m.View(theme.Plain(), time.UTC, time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC), ""), "\n")
	if !strings.Contains(lines[1], theme.CallMark+" ") || strings.Contains(lines[2], theme.CallMark) {
		t.Errorf("call mark:\n%s", strings.Join(lines, "\n"))
	}
}
