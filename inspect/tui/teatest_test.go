package tui

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/export/curl"
	"github.com/swhook/swhook/inspect/tui/header"
)

const waitFor = 10 * time.Second

// probeMsg asks the running program for its screen. The filter below
// answers it inside the event loop, so the snapshot is never torn by a
// concurrent Update, and it does not depend on how the renderer diffs.
type probeMsg struct{ screen chan string }

func probeFilter(m tea.Model, msg tea.Msg) tea.Msg {
	if p, ok := msg.(probeMsg); ok {
		p.screen <- m.(*Model).Render()
		return nil
	}
	return msg
}

func startTest(t *testing.T, m *Model, w, h int) *teatest.TestModel {
	t.Helper()
	return teatest.NewTestModel(t, m, teatest.WithInitialTermSize(w, h),
		teatest.WithProgramOptions(tea.WithFilter(probeFilter)))
}

// waitScreen polls the program's screen until it contains want, and
// returns that screen.
func waitScreen(t *testing.T, tm *teatest.TestModel, want string) string {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	var last string
	for time.Now().Before(deadline) {
		ch := make(chan string, 1)
		tm.Send(probeMsg{screen: ch})
		select {
		case last = <-ch:
		case <-time.After(waitFor):
			t.Fatal("the program stopped answering")
		}
		if strings.Contains(last, want) {
			return last
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("screen never showed %q; last screen:\n%s", want, last)
	return ""
}

// waitOutput waits until the raw terminal output (accumulated) contains want.
func waitOutput(t *testing.T, tm *teatest.TestModel, acc *bytes.Buffer, want string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		acc.Write(b)
		return bytes.Contains(acc.Bytes(), []byte(want))
	}, teatest.WithDuration(waitFor), teatest.WithCheckInterval(5*time.Millisecond))
}

func quit(t *testing.T, tm *teatest.TestModel) {
	t.Helper()
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	tm.WaitFinished(t, teatest.WithFinalTimeout(waitFor))
}

func sendKeys(tm *teatest.TestModel, ks ...string) {
	for _, k := range ks {
		tm.Send(keyMsg(k))
	}
}

// TestGolden drives the real program at fixed sizes and compares the screen
// with golden files (go test -run TestGolden -update rewrites them).
func TestGolden(t *testing.T) {
	type scene struct {
		name  string
		xs    []*exchange.Exchange
		mod   func(*Config)
		keys  []string
		wait  string // text the screen shows once the scene is reached
		extra func(tm *teatest.TestModel)
		calls bool // the source groups its rows into calls
		// then are keys sent once the screen shows first (a view that
		// loads before it takes keys).
		first string
		then  []string
	}
	scenes := []scene{
		{name: "startup", wait: "Waiting for webhooks"},
		{name: "local_only", mod: func(c *Config) {
			c.Info = HeaderInfo{LocalURL: "http://127.0.0.1:4747", LocalWhy: "no ngrok authtoken",
				Notes: []string{"no ngrok authtoken: serving locally only (set $NGROK_AUTHTOKEN or run `ngrok config add-authtoken`, or pass --public-url with your own tunnel)"}}
			c.InitialTunnel = TunnelStatus{State: TunnelLocal}
		}, wait: "Waiting for webhooks"},
		{name: "url_changed", mod: func(c *Config) {
			c.InitialTunnel = TunnelStatus{State: TunnelUp, URL: "https://new456.ngrok-free.app", URLChanged: true, PrevURL: "https://abc123.ngrok-free.app"}
		}, wait: "Waiting for webhooks"},
		{name: "rows", xs: fixture(), wait: "recording.status"},
		{name: "paused", xs: fixture(), keys: []string{"k", "k"}, wait: "paused",
			extra: func(tm *teatest.TestModel) {
				tm.Send(feedMsg{xs: []*exchange.Exchange{sample(7, "/late", exchange.KindCallStatus, "answered", exchange.SigValid, 200)}})
			}},
		{name: "detail_request", xs: fixture(), keys: []string{"k", "k", "k", "k", "enter"}, wait: "Parameters"},
		{name: "detail_response", xs: fixture(), keys: []string{"k", "k", "enter", "tab"}, wait: "answer looks right"},
		{name: "detail_signature", xs: fixture(), keys: []string{"k", "k", "k", "k", "enter", "tab", "tab"}, wait: "The signature does not match"},
		{name: "filter", xs: fixture(), keys: append([]string{"/"}, strings.Split("sig:valid", "")...), wait: "/sig:valid█"},
		{name: "filter_applied", xs: fixture(), keys: append(append([]string{"/"}, strings.Split("status:5xx", "")...), "enter"), wait: "filter status:5xx"},
		{name: "help", xs: fixture(), keys: []string{"?"}, wait: "Badges"},
		// `swhook trigger` aimed at this listen: the copy received (#7) and
		// the one trigger sent and stored (#8) must not look alike.
		{name: "sent", xs: sentFixture(), wait: "⚡"},
		{name: "detail_sent_request", xs: sentFixture(), keys: []string{"enter"}, wait: "Parameters"},
		{name: "detail_sent_signature", xs: sentFixture(), keys: []string{"enter", "tab", "tab"}, wait: "Signature  RSOYDt4T1cUTdK1PDd93"},
		// Issue 16: from a row, t opens its call as a timeline (the leg
		// indented under the call); C lists one line per call.
		{name: "timeline", xs: callFixture(), calls: true, keys: []string{"k", "k", "k", "t"}, wait: "dial action busy"},
		{name: "timeline_detail", xs: callFixture(), calls: true, keys: []string{"k", "t"}, first: "dial action busy", then: []string{"k", "enter"}, wait: "Parameters"},
		{name: "calls", xs: callFixture(), calls: true, keys: []string{"C"}, wait: "newest first"},
		// Filters apply to calls: the calls with any invalid step.
		{name: "calls_filtered", xs: callFixture(), calls: true, keys: append(append([]string{"/"}, strings.Split("sig:invalid", "")...), "enter", "C"), wait: "with a webhook matching"},
		// Issue 10 point 6 and 11: the store refuses saves (red banner as
		// long as it lasts) and Go's HTTP server has refused requests.
		{name: "not_saving", xs: fixture(), mod: func(c *Config) {
			ns := make(chan string, 1)
			ns <- "write journal: no space left on device"
			rj := make(chan Rejected, 1)
			rj <- Rejected{Count: 3, Time: t0, Peer: "127.0.0.1:51234", Status: 431, Reason: "431 Request Header Fields Too Large"}
			c.NotSaving, c.Rejected = ns, rj
		}, wait: "3 rejected"},
		{name: "rejected_help", xs: fixture(), mod: func(c *Config) {
			rj := make(chan Rejected, 1)
			rj <- Rejected{Count: 3, Time: t0, Peer: "127.0.0.1:51234", Status: 431, Reason: "431 Request Header Fields Too Large"}
			c.Rejected = rj
		}, keys: []string{"?"}, wait: "Rejected (3)"},
	}
	for _, size := range []struct{ w, h int }{{80, 24}, {120, 40}, {220, 30}} {
		for _, sc := range scenes {
			if size.w > 120 && sc.name != "rows" && sc.name != "sent" && sc.name != "timeline" && sc.name != "not_saving" {
				continue // a wide terminal: the table's spread is what to see
			}
			if size.h < 40 && sc.name == "rejected_help" {
				continue // the help screen is taller than 24 lines; its end is below
			}
			t.Run(fmt.Sprintf("%dx%d_%s", size.w, size.h, sc.name), func(t *testing.T) {
				var src Source = newMemSource(sc.xs...)
				if sc.calls {
					src = callMemSource{newMemSource(sc.xs...)}
				}
				m := newTestModel(src, nil, sc.mod)
				tm := startTest(t, m, size.w, size.h)
				switch {
				case sc.calls:
					waitScreen(t, tm, "/sms")
				case len(sc.xs) > 0:
					waitScreen(t, tm, "recording")
				}
				sendKeys(tm, sc.keys...)
				if sc.first != "" {
					waitScreen(t, tm, sc.first)
					sendKeys(tm, sc.then...)
				}
				if sc.extra != nil {
					sc.extra(tm)
				}
				screen := waitScreen(t, tm, sc.wait)
				quit(t, tm)
				golden.RequireEqual(t, screen)
			})
		}
	}
}

// TestCopyReachesTheTerminal checks the curl line leaves through OSC 52.
func TestCopyReachesTheTerminal(t *testing.T) {
	m := newTestModel(newMemSource(fixture()...), nil, nil)
	tm := startTest(t, m, 100, 30)
	waitScreen(t, tm, "recording")
	sendKeys(tm, "c")
	waitScreen(t, tm, "sent as curl by OSC 52 (tmux needs set-clipboard on)")
	quit(t, tm)
	out, err := io.ReadAll(tm.FinalOutput(t))
	if err != nil {
		t.Fatal(err)
	}
	want := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(curl.ForExchange(fixture()[5])))
	if !bytes.Contains(out, []byte(want)) {
		t.Errorf("no OSC 52 with the curl line in the terminal output")
	}
}

// TestLiveFeedEndToEnd sends exchanges through the feed channel, as listen
// does, and checks the rows and counters appear, then quits with q.
func TestLiveFeedEndToEnd(t *testing.T) {
	feed := make(chan *exchange.Exchange, 16)
	m := newTestModel(newMemSource(), feed, nil)
	tm := startTest(t, m, 100, 30)
	waitScreen(t, tm, "Waiting for webhooks")
	for _, x := range fixture() {
		feed <- x
	}
	waitScreen(t, tm, "6 new webhooks · 1 invalid signature · 2 handler errors")
	sendKeys(tm, "q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(waitFor))
	fm := tm.FinalModel(t).(*Model)
	if fm.counts != (header.Counts{Total: 6, Invalid: 1, Errors: 2}) {
		t.Errorf("counts %+v, want 6 total, 1 invalid, 2 errors", fm.counts)
	}
}

// TestNotSavingBanner follows the store's health as listen delivers it: the
// red banner appears when saves are refused, the list shrinks to make room,
// and both go back once the store saves again.
func TestNotSavingBanner(t *testing.T) {
	ns := make(chan string, 1)
	m := newTestModel(newMemSource(fixture()...), nil, func(c *Config) { c.NotSaving = ns })
	tm := startTest(t, m, 80, 24)
	before := waitScreen(t, tm, "recording.status")
	if strings.Contains(before, "NOT SAVING") {
		t.Fatalf("banner before any trouble:\n%s", before)
	}
	ns <- "write journal: no space left on device\x1b[2J"
	during := waitScreen(t, tm, "NOT SAVING: write journal: no space left on device␛[2J")
	if got := strings.Count(during, "\n") + 1; got != 24 {
		t.Errorf("screen with the banner has %d lines, want 24:\n%s", got, during)
	}
	ns <- ""
	after := waitScreen(t, tm, "saving again")
	if strings.Contains(after, "NOT SAVING") {
		t.Errorf("banner still up after saving resumed:\n%s", after)
	}
	// Header and list as before the trouble (the footer says "saving again").
	b, a := strings.Split(before, "\n"), strings.Split(after, "\n")
	if len(a) != len(b) || strings.Join(a[:len(a)-2], "\n") != strings.Join(b[:len(b)-2], "\n") {
		t.Errorf("screen did not return to its layout before the banner:\n%s\nwas:\n%s", after, before)
	}
	quit(t, tm)
}

// TestRejectedCounter: each refused request counts in the header, the
// status line says why and from whom, and the help screen keeps the last.
func TestRejectedCounter(t *testing.T) {
	rj := make(chan Rejected, 1)
	m := newTestModel(newMemSource(fixture()...), nil, func(c *Config) { c.Rejected = rj })
	tm := startTest(t, m, 120, 40)
	if s := waitScreen(t, tm, "recording.status"); strings.Contains(s, "rejected") {
		t.Fatalf("rejected counter before any rejection:\n%s", s)
	}
	rj <- Rejected{Count: 1, Time: t0, Peer: "127.0.0.1:5000", Status: 400, Reason: "400 Bad Request: malformed Host header"}
	waitScreen(t, tm, "1 rejected")
	rj <- Rejected{Count: 2, Time: t0.Add(time.Second), Peer: "127.0.0.1:5001\x1b]0;pwned\a", Status: 501, Reason: "501 Not Implemented: unsupported transfer encoding"}
	s := waitScreen(t, tm, "2 rejected")
	if !strings.Contains(s, "REJECTED 501 Not Implemented: unsupported transfer encoding from 127.0.0.1:5001") {
		t.Errorf("status line does not name the last rejection:\n%s", s)
	}
	sendKeys(tm, "?")
	h := waitScreen(t, tm, "Rejected (2)")
	if !strings.Contains(h, "last at 17:00:01") || strings.Contains(h, "\x1b]0;") {
		t.Errorf("help does not keep the last rejection safely:\n%s", h)
	}
	quit(t, tm)
	if fm := tm.FinalModel(t).(*Model); fm.Counts().Rejected != 2 {
		t.Errorf("counts %+v, want 2 rejected", fm.Counts())
	}
}

// TestHostileNeverReachesTheTerminal looks at the raw bytes written to the
// terminal: the OSC title sequence from the request must not be among them.
func TestHostileNeverReachesTheTerminal(t *testing.T) {
	m := newTestModel(newMemSource(hostile()), nil, nil)
	tm := startTest(t, m, 100, 30)
	waitScreen(t, tm, "pwned")
	sendKeys(tm, "enter")
	waitScreen(t, tm, "X-Evil")
	sendKeys(tm, "tab", "tab")
	waitScreen(t, tm, "hint")
	quit(t, tm)
	out, err := io.ReadAll(tm.FinalOutput(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"\x1b]0;pwned", "PO\x1b[2JST", "\x9b31m", "\x1bP+q"} {
		if bytes.Contains(out, []byte(bad)) {
			t.Errorf("terminal output carries %q", bad)
		}
	}
}

// The live view follows the store: rows pruned in another process leave
// it, so the filter's count matches the store and `g` stops at the oldest
// row that exists; after a clear every row goes and the view waits again.
func TestViewFollowsPruneAndClear(t *testing.T) {
	var xs []*exchange.Exchange
	for i := int64(1); i <= 30; i++ {
		xs = append(xs, sample(i, fmt.Sprintf("/hook/%d", i), exchange.KindCallStatus, "ringing", exchange.SigValid, 200))
	}
	src := boundedSource{newMemSource(xs...)}
	m := newTestModel(src, nil, nil)
	tm := startTest(t, m, 100, 30)
	waitScreen(t, tm, "/hook/30")
	sendKeys(tm, "/", "s", "i", "g", ":", "v", "a", "l", "i", "d", "enter")
	waitScreen(t, tm, "30 of 30")

	src.dropBelow(21) // --keep 10
	tm.Send(boundsTickMsg{})
	waitScreen(t, tm, "10 of 10")
	sendKeys(tm, "g")
	screen := waitScreen(t, tm, "/hook/21 ")
	if strings.Contains(screen, "/hook/20 ") || strings.Contains(screen, "/hook/1 ") {
		t.Errorf("pruned rows still on screen:\n%s", screen)
	}

	src.dropBelow(1000) // swhook clear
	tm.Send(boundsTickMsg{})
	sendKeys(tm, "esc")
	waitScreen(t, tm, "Waiting for webhooks")
	quit(t, tm)
	if fm := tm.FinalModel(t).(*Model); fm.list.Total() != 0 {
		t.Errorf("%d rows left after clear", fm.list.Total())
	}
}

// g goes to the oldest row in one press, however much history there is
// (not a page back per press); moving down pages forward; G returns to the
// newest rows.
func TestTopJumpsToTheOldestRow(t *testing.T) {
	var xs []*exchange.Exchange
	for i := int64(1); i <= 3000; i++ {
		xs = append(xs, sample(i, fmt.Sprintf("/hook/%d", i), exchange.KindCallStatus, "ringing", exchange.SigValid, 200))
	}
	m := newTestModel(pagedSource{newMemSource(xs...)}, nil, func(c *Config) { c.PageSize = 100 })
	tm := startTest(t, m, 100, 30)
	waitScreen(t, tm, "/hook/3000 ")
	sendKeys(tm, "g")
	screen := waitScreen(t, tm, "/hook/1 ")
	if strings.Contains(screen, "/hook/3000 ") {
		t.Errorf("the newest rows still show after g:\n%s", screen)
	}
	for i := 0; i < 100; i++ {
		sendKeys(tm, "j")
	}
	waitScreen(t, tm, "100 new") // at the bottom: the next page was read forward
	for i := 0; i < 25; i++ {
		sendKeys(tm, "j")
	}
	waitScreen(t, tm, "/hook/121 ")
	sendKeys(tm, "G")
	waitScreen(t, tm, "/hook/3000 ")
	quit(t, tm)
}

// afterFailsSource cannot read forward: g's jump to the oldest row fails
// with an error carrying a terminal control sequence.
type afterFailsSource struct{ pagedSource }

func (afterFailsSource) ListAfter(context.Context, int64, int) ([]*exchange.Exchange, error) {
	return nil, errors.New("disk I/O error at /tmp/x\x1b]0;pwned\a")
}

// A store that fails g's read is said on the status line, its error made
// terminal-safe like every other store error there.
func TestTopReadErrorIsSanitised(t *testing.T) {
	var xs []*exchange.Exchange
	for i := int64(1); i <= 300; i++ {
		xs = append(xs, sample(i, fmt.Sprintf("/hook/%d", i), exchange.KindCallStatus, "ringing", exchange.SigValid, 200))
	}
	m := newTestModel(afterFailsSource{pagedSource{newMemSource(xs...)}}, nil, func(c *Config) { c.PageSize = 100 })
	tm := startTest(t, m, 100, 24)
	waitScreen(t, tm, "/hook/300 ")
	sendKeys(tm, "g")
	screen := waitScreen(t, tm, "cannot read the store: disk I/O error at /tmp/x␛]0;pwned")
	if strings.Contains(screen, "\x1b]0;") {
		t.Errorf("raw control sequence on screen:\n%q", screen)
	}
	quit(t, tm)
}
