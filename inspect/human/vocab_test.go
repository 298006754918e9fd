package human

import (
	"testing"
	"unicode/utf8"

	"github.com/swhook/swhook/inspect/exchange"
)

func TestSigVocabulary(t *testing.T) {
	want := map[exchange.SignatureStatus]string{
		exchange.SigValid: "✓ valid", exchange.SigInvalid: "✗ INVALID",
		exchange.SigMissing: "– unsigned", exchange.SigUnchecked: "? unchecked",
	}
	seen := map[string]bool{}
	for s, badge := range want {
		got := SigBadge(s)
		if got != badge {
			t.Errorf("SigBadge(%s) = %q, want %q", s, got, badge)
		}
		if seen[got] || utf8.RuneCountInString(got) > SigBadgeWidth {
			t.Errorf("badge %q repeats or is wider than %d", got, SigBadgeWidth)
		}
		seen[got] = true
		if back, ok := ParseSig(SigFilterWord(s)); !ok || back != s {
			t.Errorf("filter word %q reads back as %q", SigFilterWord(s), back)
		}
	}
	if SigWord("\x1b[2J") != "unknown" {
		t.Error("an unknown status is written raw")
	}
}

func TestStatusAndCheckWords(t *testing.T) {
	for _, c := range []struct {
		r      exchange.Response
		text   string
		failed bool
	}{
		{exchange.Response{Status: 200}, "200", false},
		{exchange.Response{Status: 404}, "404", false},
		{exchange.Response{Status: 500}, "500", true},
		{exchange.Response{Error: "connection refused"}, "ERR", true},
		{exchange.Response{Status: 200, Error: "relay cut"}, "200", true},
		{exchange.Response{}, "", false},
	} {
		if got := StatusText(c.r); got != c.text {
			t.Errorf("StatusText(%+v) = %q, want %q", c.r, got, c.text)
		}
		if got := HandlerFailed(c.r); got != c.failed {
			t.Errorf("HandlerFailed(%+v) = %v", c.r, got)
		}
	}
	if CheckBadge(exchange.CheckWarning) != "⚠ warning" || CheckBadge(exchange.CheckError) != "✗ REFUSED" || CheckBadge(exchange.CheckOK) != "" || CheckMark(exchange.CheckOK) != " " {
		t.Error("check words changed")
	}
}
