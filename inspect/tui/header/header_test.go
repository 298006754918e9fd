package header

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/swhook/swhook/inspect/tui/theme"
)

func TestHeader(t *testing.T) {
	info := Info{PublicURL: "https://a.ngrok-free.app", LocalURL: "http://127.0.0.1:4747", Forward: "http://localhost:3000", KeySet: true}
	tests := []struct {
		name string
		info Info
		tun  Tunnel
		st   Store
		c    Counts
		want []string
		not  []string
	}{
		{"up", info, Tunnel{State: TunnelUp}, Store{}, Counts{Total: 1, Invalid: 1, Errors: 2},
			[]string{"https://a.ngrok-free.app", "● tunnel up", "Forwarding       https://a.ngrok-free.app → http://localhost:3000", "✓ signing key set", "1 new webhook ·", "1 invalid signature ·", "2 handler errors"}, []string{"⚠"}},
		{"local", Info{LocalURL: "http://127.0.0.1:4747"}, Tunnel{State: TunnelLocal}, Store{}, Counts{},
			[]string{"http://127.0.0.1:4747 (local only)", "swhook answers itself", "no signing key", "0 new webhooks"}, nil},
		{"reconnecting", info, Tunnel{State: TunnelReconnecting, Message: "edge closed"}, Store{}, Counts{},
			[]string{"◌ reconnecting", "⚠ Tunnel lost, reconnecting: edge closed"}, nil},
		{"connecting", Info{LocalURL: "http://127.0.0.1:4747"}, Tunnel{State: TunnelConnecting}, Store{}, Counts{},
			[]string{"waiting for the tunnel", "http://127.0.0.1:4747", "◌ connecting"}, []string{"local only"}},
		{"down", info, Tunnel{State: TunnelDown, Message: "bad authtoken"}, Store{}, Counts{},
			[]string{"✗ tunnel down", "bad authtoken", "only local traffic"}, nil},
		{"changed", info, Tunnel{State: TunnelUp, URL: "https://b.ngrok-free.app", URLChanged: true, PrevURL: "https://a.ngrok-free.app"}, Store{}, Counts{},
			[]string{"Send webhooks to https://b.ngrok-free.app", "https://b.ngrok-free.app → http://localhost:3000", "URL changed (was https://a.ngrok-free.app)"}, nil},
		{"local with forward", Info{LocalURL: "http://127.0.0.1:4747", Forward: "http://localhost:3000"}, Tunnel{State: TunnelLocal}, Store{}, Counts{},
			[]string{"Forwarding       http://127.0.0.1:4747 → http://localhost:3000"}, nil},
		{"local for a reason", Info{LocalURL: "http://127.0.0.1:4747", LocalWhy: "no ngrok authtoken\x1b[2J"}, Tunnel{State: TunnelLocal}, Store{}, Counts{},
			[]string{"http://127.0.0.1:4747 (local only: no ngrok authtoken␛[2J)"}, []string{"\x1b"}},
		{"own tunnel", Info{PublicURL: "https://hooks.example.com", LocalURL: "http://127.0.0.1:4747"}, Tunnel{State: TunnelLocal}, Store{}, Counts{},
			[]string{"Send webhooks to https://hooks.example.com", "○ your tunnel"}, []string{"local only"}},
		{"not saving", info, Tunnel{State: TunnelReconnecting}, Store{NotSaving: "disk full\x1b[2J"}, Counts{Rejected: 2},
			[]string{"NOT SAVING: disk full␛[2J", "⚠ Tunnel lost", "2 rejected"}, []string{"\x1b[2J"}},
		{"saving, none rejected", info, Tunnel{State: TunnelUp}, Store{}, Counts{},
			[]string{"0 handler errors"}, []string{"NOT SAVING", "rejected"}},
		{"respond file", Info{LocalURL: "http://127.0.0.1:4747", Respond: "answer.xml"}, Tunnel{State: TunnelLocal}, Store{}, Counts{},
			[]string{"Forwarding       nothing: swhook answers with answer.xml"}, []string{"answers itself"}},
	}
	for _, tt := range tests {
		out := View(theme.Plain(), 120, tt.info, tt.tun, tt.st, tt.c)
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: missing %q in\n%s", tt.name, w, out)
			}
		}
		for _, w := range tt.not {
			if strings.Contains(out, w) {
				t.Errorf("%s: unexpected %q in\n%s", tt.name, w, out)
			}
		}
		if got := strings.Count(out, "\n") + 1; got != Lines(tt.tun, tt.st) {
			t.Errorf("%s: %d lines, Lines says %d", tt.name, got, Lines(tt.tun, tt.st))
		}
	}
}

func TestHeaderFitsNarrowScreens(t *testing.T) {
	tun := Tunnel{State: TunnelUp, URLChanged: true, PrevURL: "https://a-very-long-previous-name.ngrok-free.app"}
	for _, w := range []int{80, 50, 30, 10} {
		out := View(theme.Plain(), w, Info{PublicURL: "https://a-long-name-for-a-tunnel.ngrok-free.app", Forward: "http://localhost:3000"}, tun, Store{NotSaving: "write journal: no space left on device, a very long reason indeed"}, Counts{Total: 12345, Rejected: 99})
		for _, l := range strings.Split(out, "\n") {
			if ansi.StringWidth(l) > w {
				t.Errorf("width %d: %q is %d wide", w, l, ansi.StringWidth(l))
			}
		}
	}
}

// The key itself is never given to the header: only whether one is set.
func TestHeaderNeverShowsAKey(t *testing.T) {
	out := View(theme.Plain(), 120, Info{KeySet: true}, Tunnel{}, Store{}, Counts{})
	if !strings.Contains(out, "signing key set") {
		t.Error("key state not shown")
	}
}

// Too narrow for the whole mapping: the handler is still named in full
// rather than cut off mid-URL.
func TestHeaderMappingFallsBackWhenNarrow(t *testing.T) {
	info := Info{PublicURL: "https://a-long-name-for-a-tunnel.ngrok-free.app", Forward: "http://localhost:3000", KeySet: true}
	out := View(theme.Plain(), 60, info, Tunnel{State: TunnelUp}, Store{}, Counts{})
	if !strings.Contains(out, "Forwarding       → http://localhost:3000") {
		t.Errorf("narrow header lost the forward target:\n%s", out)
	}
	out = View(theme.Plain(), 120, info, Tunnel{State: TunnelUp}, Store{}, Counts{})
	if !strings.Contains(out, "https://a-long-name-for-a-tunnel.ngrok-free.app → http://localhost:3000") {
		t.Errorf("wide header has no mapping:\n%s", out)
	}
}

// Every state says since when — down since 09:14 means webhooks were missed
// from then — but the time gives way before the state does.
func TestHeaderTunnelSince(t *testing.T) {
	since := time.Date(2026, 11, 24, 9, 14, 5, 0, time.UTC)
	info := Info{PublicURL: "https://a.ngrok-free.app", LocalURL: "http://127.0.0.1:4747", Forward: "http://localhost:3000", KeySet: true}
	for state, want := range map[TunnelState]string{
		TunnelDown:         "✗ tunnel down since 09:14:05",
		TunnelReconnecting: "◌ reconnecting since 09:14:05",
		TunnelUp:           "● tunnel up since 09:14:05",
	} {
		out := View(theme.Plain(), 120, info, Tunnel{State: state, Since: since}, Store{}, Counts{})
		if first, _, _ := strings.Cut(out, "\n"); !strings.HasSuffix(strings.TrimRight(first, " "), want) {
			t.Errorf("%s: first line %q, want it to end with %q", state, first, want)
		}
	}
	out := View(theme.Plain(), 120, Info{LocalURL: "http://127.0.0.1:4747"}, Tunnel{State: TunnelLocal, Since: since}, Store{}, Counts{})
	if strings.Contains(out, "since") {
		t.Errorf("local only has no since:\n%s", out)
	}
	long := Info{PublicURL: "https://a-long-name-for-a-tunnel.ngrok-free.app", Forward: "http://localhost:3000"}
	out = View(theme.Plain(), 80, long, Tunnel{State: TunnelDown, Since: since}, Store{}, Counts{})
	if first, _, _ := strings.Cut(out, "\n"); !strings.HasSuffix(strings.TrimRight(first, " "), "✗ tunnel down") {
		t.Errorf("narrow: first line %q lost the state", first)
	}
}
