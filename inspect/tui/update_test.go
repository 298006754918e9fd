package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/tui/detail"
)

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "pgup":
		return tea.KeyPressMsg{Code: tea.KeyPgUp}
	case "pgdown":
		return tea.KeyPressMsg{Code: tea.KeyPgDown}
	case "home":
		return tea.KeyPressMsg{Code: tea.KeyHome}
	case "end":
		return tea.KeyPressMsg{Code: tea.KeyEnd}
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	case "ctrl+u":
		return tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl}
	}
	r := []rune(k)[0]
	return tea.KeyPressMsg{Code: r, Text: k}
}

// press sends keys and runs the commands they return (recursively, as the
// runtime would), except tea.Quit, which it reports.
func press(t *testing.T, m *Model, ks ...string) (quit bool) {
	t.Helper()
	for _, k := range ks {
		_, cmd := m.Update(keyMsg(k))
		if run(m, cmd) {
			quit = true
		}
	}
	return quit
}

// run executes cmd and feeds its messages back, like the runtime. Clipboard
// and other runtime-internal messages are returned to the caller via seen.
func run(m *Model, cmd tea.Cmd) (quit bool) {
	if cmd == nil {
		return false
	}
	msg := cmd()
	switch msg := msg.(type) {
	case nil:
		return false
	case tea.QuitMsg:
		return true
	case tea.BatchMsg:
		for _, c := range msg {
			if run(m, c) {
				quit = true
			}
		}
		return quit
	case feedMsg, pageMsg, detailMsg, replayMsg, tunnelMsg:
		_, next := m.Update(msg)
		return run(m, next)
	}
	return false // runtime messages (clipboard): not ours to handle
}

func loaded(t *testing.T, xs []*exchange.Exchange, mod func(*Config)) (*Model, *memSource) {
	t.Helper()
	src := newMemSource(xs...)
	m := newTestModel(src, nil, mod)
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	run(m, m.loadPage(0, msgInitial))
	return m, src
}

func selID(m *Model) int64 {
	if x := m.list.Selected(); x != nil {
		return x.ID
	}
	return 0
}

func TestListMovementKeys(t *testing.T) {
	m, _ := loaded(t, fixture(), nil)
	if selID(m) != 6 || !m.list.Following() {
		t.Fatalf("starts on the newest, following: sel %d following %v", selID(m), m.list.Following())
	}
	steps := []struct {
		key       string
		want      int64
		following bool
	}{
		{"k", 5, false}, {"up", 4, false}, {"j", 5, false}, {"down", 6, true},
		{"g", 1, false}, {"G", 6, true}, {"home", 1, false}, {"end", 6, true},
		{"pgup", 1, false}, {"pgdown", 6, true},
	}
	for _, s := range steps {
		press(t, m, s.key)
		if got := selID(m); got != s.want || m.list.Following() != s.following {
			t.Errorf("after %q: selected #%d following %v, want #%d following %v", s.key, got, m.list.Following(), s.want, s.following)
		}
	}
}

func TestPauseKeepsPlaceAndCountsNew(t *testing.T) {
	m, _ := loaded(t, fixture(), nil)
	press(t, m, "p")
	if m.list.Following() {
		t.Fatal("p did not pause")
	}
	m.Update(feedMsg{xs: []*exchange.Exchange{sample(7, "/x", exchange.KindCallStatus, "answered", exchange.SigValid, 200)}})
	if selID(m) != 6 {
		t.Errorf("paused list moved to #%d", selID(m))
	}
	if m.list.NewCount() != 1 || !strings.Contains(m.Render(), "1 new") {
		t.Errorf("new count %d; screen:\n%s", m.list.NewCount(), m.Render())
	}
	press(t, m, "p")
	if !m.list.Following() || selID(m) != 7 {
		t.Errorf("p again: following %v on #%d, want following on #7", m.list.Following(), selID(m))
	}
}

func TestEnterFetchesDetailAndTabs(t *testing.T) {
	m, src := loaded(t, fixture(), nil)
	press(t, m, "k", "k", "k", "k") // #2, invalid
	press(t, m, "enter")
	if m.mode != modeDetail || src.gets != 1 {
		t.Fatalf("enter: mode %v gets %d", m.mode, src.gets)
	}
	if x := m.detail.Exchange(); x == nil || x.ID != 2 || len(x.Request.Body) == 0 {
		t.Fatalf("detail does not hold #2 whole: %+v", x)
	}
	if m.detail.Tab() != detail.TabRequest {
		t.Fatal("detail does not open on Request")
	}
	for _, want := range []detail.Tab{detail.TabResponse, detail.TabSignature, detail.TabRequest} {
		press(t, m, "tab")
		if m.detail.Tab() != want {
			t.Errorf("tab: got %v want %v", m.detail.Tab(), want)
		}
	}
	press(t, m, "shift+tab")
	if m.detail.Tab() != detail.TabSignature {
		t.Errorf("shift+tab: got %v", m.detail.Tab())
	}
	if !strings.Contains(m.Render(), "scheme differs") {
		t.Errorf("signature tab lacks the hint:\n%s", m.Render())
	}
	press(t, m, "esc")
	if m.mode != modeList || selID(m) != 2 {
		t.Errorf("esc: mode %v on #%d", m.mode, selID(m))
	}
}

func TestDetailScrollKeys(t *testing.T) {
	m, _ := loaded(t, fixture(), nil)
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 12}) // a small pane, so it scrolls
	press(t, m, "enter")
	before := m.detail.ScrollPercent()
	press(t, m, "j", "down")
	if m.detail.ScrollPercent() <= before {
		t.Fatal("j/down did not scroll the detail")
	}
	press(t, m, "G")
	if m.detail.ScrollPercent() != 1 {
		t.Errorf("G: at %v", m.detail.ScrollPercent())
	}
	press(t, m, "k")
	if m.detail.ScrollPercent() >= 1 {
		t.Error("k did not scroll up")
	}
	press(t, m, "g")
	if m.detail.ScrollPercent() != 0 {
		t.Errorf("g: at %v", m.detail.ScrollPercent())
	}
	press(t, m, "pgdown")
	if m.detail.ScrollPercent() == 0 {
		t.Error("pgdown did not scroll")
	}
	press(t, m, "pgup")
	if m.detail.ScrollPercent() != 0 {
		t.Error("pgup did not scroll back")
	}
}

func TestFilterKeys(t *testing.T) {
	m, _ := loaded(t, fixture(), nil)
	press(t, m, "/")
	if !m.filtering {
		t.Fatal("/ did not open the filter")
	}
	for _, r := range "sig:invalid" {
		press(t, m, string(r))
	}
	if m.list.Len() != 1 || selID(m) != 2 {
		t.Fatalf("sig:invalid shows %d rows, selected #%d", m.list.Len(), selID(m))
	}
	press(t, m, "q") // typed, not quit
	if !m.filtering || m.filterErr != "" && !strings.HasSuffix(m.filterText, "q") {
		t.Fatal("q while filtering did not type")
	}
	press(t, m, "backspace", "enter")
	if m.filtering || m.list.Len() != 1 {
		t.Fatalf("enter: filtering %v, %d rows", m.filtering, m.list.Len())
	}
	if !strings.Contains(m.Render(), "filter sig:invalid") {
		t.Errorf("status line does not show the filter:\n%s", m.Render())
	}
	// A bad qualifier says why and keeps the last good filter.
	press(t, m, "/", "ctrl+u")
	for _, r := range "status:9xx" {
		press(t, m, string(r))
	}
	if m.filterErr == "" || !strings.Contains(m.Render(), "want a class") {
		t.Errorf("no error for status:9xx:\n%s", m.Render())
	}
	press(t, m, "enter")
	if !m.filtering {
		t.Error("enter accepted a bad filter")
	}
	press(t, m, "esc")
	if m.filtering || m.list.Filter().String() != "sig:invalid" {
		t.Errorf("esc did not restore the previous filter: %q", m.list.Filter().String())
	}
	press(t, m, "esc")
	if m.list.Len() != 6 {
		t.Errorf("esc in the list did not clear the filter: %d rows", m.list.Len())
	}
}

func TestHelpKey(t *testing.T) {
	m, _ := loaded(t, fixture(), nil)
	press(t, m, "?")
	if m.mode != modeHelp || !strings.Contains(m.Render(), "sig:valid|invalid") {
		t.Fatalf("? did not show help:\n%s", m.Render())
	}
	press(t, m, "esc")
	if m.mode != modeList {
		t.Fatal("esc did not leave help")
	}
	press(t, m, "?", "?")
	if m.mode != modeList {
		t.Fatal("? twice did not return")
	}
}

func TestQuitKeys(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c"} {
		m, _ := loaded(t, fixture(), nil)
		if !press(t, m, k) {
			t.Errorf("%s did not quit", k)
		}
	}
	m, _ := loaded(t, fixture(), nil)
	press(t, m, "/")
	if !press(t, m, "ctrl+c") {
		t.Error("ctrl+c did not quit while filtering")
	}
}

func TestReplayKeys(t *testing.T) {
	var calls []string
	src := newMemSource(fixture()...)
	replay := func(ctx context.Context, id int64, resign bool) (*exchange.Exchange, error) {
		orig, _ := src.Get(ctx, id)
		x := *orig
		x.ID = 100 + int64(len(calls))
		x.ReplayOf = id
		x.Source = exchange.SourceReplay
		calls = append(calls, map[bool]string{false: "r", true: "R"}[resign])
		return &x, nil
	}
	m := newTestModel(src, nil, func(c *Config) { c.Replay = replay })
	m.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	run(m, m.loadPage(0, msgInitial))
	press(t, m, "k", "r")
	if len(calls) != 1 || calls[0] != "r" {
		t.Fatalf("r: calls %v", calls)
	}
	if !m.list.Has(100) || !strings.Contains(m.Render(), "↻#5") {
		t.Errorf("the replay is not a linked row:\n%s", m.Render())
	}
	if !strings.Contains(m.Render(), "#5 replayed as #100") {
		t.Errorf("no replay status:\n%s", m.Render())
	}
	press(t, m, "enter", "R")
	if len(calls) != 2 || calls[1] != "R" {
		t.Fatalf("R in detail: calls %v", calls)
	}
	if m.counts.Total != 2 {
		t.Errorf("replays counted %d, want 2", m.counts.Total)
	}

	// Without a forward target the key explains itself.
	m2, _ := loaded(t, fixture(), func(c *Config) { c.Info.Forward = "" })
	press(t, m2, "r")
	if !strings.Contains(m2.Render(), "no forward target") {
		t.Errorf("r without a target:\n%s", m2.Render())
	}
	m2, _ = loaded(t, fixture(), nil)
	press(t, m2, "R")
	if !strings.Contains(m2.Render(), "run swhook replay 6") {
		t.Errorf("R without a replayer:\n%s", m2.Render())
	}
	// A failure is shown, not swallowed.
	m3 := newTestModel(src, nil, func(c *Config) {
		c.Replay = func(context.Context, int64, bool) (*exchange.Exchange, error) {
			return nil, errors.New("connection refused\x1b]0;x\x07")
		}
	})
	m3.Update(tea.WindowSizeMsg{Width: 100, Height: 30})
	run(m3, m3.loadPage(0, msgInitial))
	press(t, m3, "r")
	if out := m3.Render(); !strings.Contains(out, "replay of #6 failed: connection refused") || strings.Contains(out, "\x1b") {
		t.Errorf("replay failure:\n%q", out)
	}
}

func TestCopyKey(t *testing.T) {
	m, _ := loaded(t, fixture(), nil)
	_, cmd := m.Update(keyMsg("c"))
	msg := cmd() // the fetch
	_, cmd = m.Update(msg)
	if cmd == nil {
		t.Fatal("c did not set the clipboard")
	}
	if got := cmd(); got == nil || !strings.Contains(strings.ToLower(typeName(got)), "clipboard") {
		t.Errorf("c returned %T, want the clipboard command", got)
	}
	out := m.Render()
	if m.mode != modeCurl || !strings.Contains(out, "curl --globoff --url 'https://abc123.ngrok-free.app/recording'") {
		t.Fatalf("curl not shown:\n%s", out)
	}
	press(t, m, "esc")
	if m.mode != modeList {
		t.Error("esc did not close the curl pane")
	}
}

func typeName(v any) string { return strings.TrimPrefix(strings.TrimPrefix(fmtType(v), "tea."), "*") }

func fmtType(v any) string { return fmt.Sprintf("%T", v) }

func TestStatusMessageExpires(t *testing.T) {
	now := t0
	m, _ := loaded(t, fixture(), func(c *Config) { c.Now = func() time.Time { return now }; c.Info.Forward = "" })
	var asked []tea.Msg
	m.after = func(d time.Duration, msg tea.Msg) tea.Cmd {
		if d != statusTTL {
			t.Errorf("expiry after %v", d)
		}
		asked = append(asked, msg)
		return nil
	}
	press(t, m, "r")
	if len(asked) != 1 || !strings.Contains(m.Render(), "no forward target") {
		t.Fatalf("status not shown or no expiry scheduled (%d)", len(asked))
	}
	now = now.Add(statusTTL + time.Second)
	m.Update(asked[0])
	if strings.Contains(m.Render(), "no forward target") {
		t.Error("status still shown after it expired")
	}
}

// TestResizeKeepsEveryScreenInTheWindow: whatever the mode and size, the
// screen is exactly the window's height and no line is wider than it.
func TestResizeKeepsEveryScreenInTheWindow(t *testing.T) {
	m, _ := loaded(t, fixture(), nil)
	modes := map[string][]string{"list": nil, "detail": {"enter"}, "help": {"?"}, "curl": {"c"}, "filter": {"/", "x"}}
	for name, keys := range modes {
		for _, size := range [][2]int{{120, 40}, {80, 24}, {60, 15}, {40, 10}, {20, 6}} {
			m, _ = loaded(t, fixture(), nil)
			press(t, m, keys...)
			m.Update(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
			out := m.Render()
			lines := strings.Split(out, "\n")
			if len(lines) != size[1] {
				t.Errorf("%s at %dx%d: %d lines", name, size[0], size[1], len(lines))
			}
			for _, l := range lines {
				if w := ansi.StringWidth(l); w > size[0] {
					t.Errorf("%s at %dx%d: line %d wide: %q", name, size[0], size[1], w, l)
				}
			}
		}
	}
}

func TestDetailTabAliasesAndBackspace(t *testing.T) {
	m, _ := loaded(t, fixture(), nil)
	press(t, m, "enter")
	steps := []struct {
		key  string
		want detail.Tab
	}{{"l", detail.TabResponse}, {"right", detail.TabSignature}, {"h", detail.TabResponse}, {"left", detail.TabRequest}}
	for _, s := range steps {
		if s.key == "right" {
			m.Update(tea.KeyPressMsg{Code: tea.KeyRight})
		} else if s.key == "left" {
			m.Update(tea.KeyPressMsg{Code: tea.KeyLeft})
		} else {
			press(t, m, s.key)
		}
		if m.detail.Tab() != s.want {
			t.Errorf("%s: tab %v, want %v", s.key, m.detail.Tab(), s.want)
		}
	}
	press(t, m, "backspace")
	if m.mode != modeList {
		t.Error("backspace did not go back to the list")
	}
}

// TestFooterKeepsHelpAndQuit: however narrow the window, the footer still
// says how to get help and how to leave; it drops the middle keys instead.
func TestFooterKeepsHelpAndQuit(t *testing.T) {
	for _, keys := range [][]string{nil, {"enter"}} {
		for _, w := range []int{80, 60, 45, 30} {
			m, _ := loaded(t, fixture(), nil)
			press(t, m, keys...)
			m.Update(tea.WindowSizeMsg{Width: w, Height: 20})
			lines := strings.Split(m.Render(), "\n")
			foot := lines[len(lines)-1]
			if !strings.Contains(foot, "? help") || !strings.Contains(foot, "q quit") {
				t.Errorf("%v at width %d: footer %q", keys, w, foot)
			}
			if ansi.StringWidth(foot) > w {
				t.Errorf("%v at width %d: footer %d wide", keys, w, ansi.StringWidth(foot))
			}
		}
	}
}

// TestFooterOffersReplayOnlyWithATarget: without --forward the footer does
// not offer r and R (pressing them only says there is no target).
func TestFooterOffersReplayOnlyWithATarget(t *testing.T) {
	for _, fwd := range []string{"", "http://127.0.0.1:3000"} {
		m, _ := loaded(t, fixture(), func(c *Config) { c.Info.Forward = fwd })
		lines := strings.Split(m.Render(), "\n")
		foot := lines[len(lines)-1]
		if offered := strings.Contains(foot, "r replay") && strings.Contains(foot, "R re-sign"); offered != (fwd != "") {
			t.Errorf("forward %q: footer %q", fwd, foot)
		}
		press(t, m, "r")
		if fwd == "" && !strings.Contains(m.Render(), "no forward target") {
			t.Error("r without a target no longer says why nothing happens")
		}
	}
}

// TestWarningsReachTheStatusLine: a loud pipeline warning (a stuck store)
// is on screen while the view runs, not only after it closes.
func TestWarningsReachTheStatusLine(t *testing.T) {
	ch := make(chan string, 1)
	m, _ := loaded(t, fixture(), func(c *Config) { c.Warnings = ch })
	ch <- "STORE IS STUCK: answered without waiting \x1b]0;x\x07"
	msg := waitWarning(context.Background(), ch)()
	m.Update(msg)
	out := m.Render()
	if !strings.Contains(out, "⚠ STORE IS STUCK: answered without waiting") || strings.Contains(out, "\x1b]0;") {
		t.Errorf("warning not shown safely:\n%s", out)
	}
	close(ch)
	if w, ok := waitWarning(context.Background(), ch)().(warningMsg); !ok || !w.closed {
		t.Errorf("closed channel: %#v", w)
	}
}

// The on-screen curl command is not hard-wrapped (a command copied off the
// screen must run: a long line scrolls sideways), and the status line says
// what OSC 52 needs instead of claiming the copy worked (issue 11.9).
func TestCurlPaneDoesNotWrapAndSaysWhatOSC52Needs(t *testing.T) {
	xs := fixture()
	long := strings.Repeat("v", 150)
	xs[5].Request.Headers.Set("X-Long", long)
	m, _ := loaded(t, xs, nil)
	_, cmd := m.Update(keyMsg("c"))
	m.Update(cmd())
	out := m.Render()
	if strings.Contains(out, "copied") || !strings.Contains(out, "set-clipboard on") {
		t.Errorf("clipboard message:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "X-Long") {
			continue
		}
		if strings.HasPrefix(strings.TrimSpace(line), "vvvv") {
			t.Fatalf("the long header line was wrapped onto the next screen line:\n%s", out)
		}
	}
	press(t, m, "right", "right")
	if !strings.Contains(m.Render(), strings.Repeat("v", 60)) {
		t.Errorf("→ does not scroll the long line into view:\n%s", m.Render())
	}
}
