package tui

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	tea "charm.land/bubbletea/v2"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/tui/theme"
)

const osc = "\x1b]0;pwned\x07"

func hostile() *exchange.Exchange {
	x := sample(9, "/x"+osc+"\x9b31m", exchange.KindCallStatus, "ring"+osc, exchange.SigInvalid, 200)
	x.Request.Method = "PO\x1b[2JST"
	x.Request.Query = "a=" + osc
	x.Request.URL = "https://abc123.ngrok-free.app/x" + osc
	x.Request.Headers.Set("X-Evil", "v"+osc)
	x.Request.Headers.Set("Content-Type", "text/plain")
	x.Request.Body = exchange.Body("line1\n\x1b[31mred\x1b[0m " + osc + "\r\x1bP+q\x1b\\")
	x.Response.Body = exchange.Body(osc)
	x.Response.Error = "boom" + osc
	x.ResponseCheck = exchange.Check{Status: exchange.CheckWarning, Message: "bad " + osc}
	x.Signature.Hint = "hint " + osc
	return x
}

// Every screen the user can reach shows the hostile request without
// letting one of its escape sequences through.
func hostileScreens(t *testing.T, st *theme.Styles) map[string]string {
	t.Helper()
	screens := map[string]string{}
	m, _ := loaded(t, []*exchange.Exchange{hostile()}, func(c *Config) { c.Styles = st })
	screens["list"] = m.Render()
	press(t, m, "enter")
	screens["request"] = m.Render()
	press(t, m, "tab")
	screens["response"] = m.Render()
	press(t, m, "tab")
	screens["signature"] = m.Render()
	press(t, m, "esc", "c")
	screens["curl"] = m.Render()
	press(t, m, "esc", "/")
	m.Update(tea.PasteMsg{Content: osc})
	screens["filter"] = m.Render()
	return screens
}

func TestHostileRequestCannotEscapePlain(t *testing.T) {
	for name, out := range hostileScreens(t, plainStyles()) {
		if hasControl(out) {
			t.Errorf("%s screen carries a control byte:\n%q", name, out)
		}
		if name != "filter" && name != "curl" && !strings.Contains(out, "␛]0;pwned␇") {
			t.Errorf("%s screen does not show the neutralised sequence:\n%s", name, out)
		}
	}
}

var sgr = regexp.MustCompile(`\x1b\[[0-9;:]*m`)

func TestHostileRequestCannotEscapeStyled(t *testing.T) {
	st := theme.Default()
	for name, out := range hostileScreens(t, &st) {
		rest := sgr.ReplaceAllString(out, "")
		if hasControl(rest) {
			t.Errorf("%s screen carries an escape that is not our own styling:\n%q", name, rest)
		}
	}
}

func TestHeaderSanitised(t *testing.T) {
	m := newTestModel(newMemSource(), nil, func(c *Config) {
		c.Info.Forward = "http://x" + osc
		c.InitialTunnel = TunnelStatus{State: TunnelUp, URL: "https://new" + osc, URLChanged: true, PrevURL: "https://old" + osc}
	})
	m.Update(tea.WindowSizeMsg{Width: 200, Height: 20})
	out := m.Render()
	if hasControl(out) {
		t.Errorf("header carries a control byte:\n%q", out)
	}
	if !strings.Contains(out, "URL changed (was") {
		t.Errorf("no loud line for a changed URL:\n%s", out)
	}
}

// hasControl reports a raw ESC, BEL, CR, C1 control or stray byte (not
// the U+FFFD or control pictures that stand in for them).
func hasControl(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == 0x1b || r == 0x07 || r == '\r' || (r >= 0x80 && r <= 0x9f) || (r == utf8.RuneError && size == 1) {
			return true
		}
		i += size
	}
	return false
}
