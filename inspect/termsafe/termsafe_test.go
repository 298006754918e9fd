package termsafe

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestStringRemovesEscapes(t *testing.T) {
	cases := map[string]string{
		"/voice":              "/voice",
		"/a\x1b]0;pwned\x07b": "/a␛]0;pwned␇b",
		"/x\x1b[2J":           "/x␛[2J",
		"line\nnext":          "line␊next",
		"c1\u009b31m":         "c1\uFFFD31m",
		"bad\xffutf8":         "bad\uFFFDutf8",
		"rtl\u202eevil":       "rtl\uFFFDevil",
		"+14158675309 café ☎": "+14158675309 café ☎",
		"del\x7f":             "del␡",
	}
	for in, want := range cases {
		if got := String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTextKeepsLines(t *testing.T) {
	got := Text("a\r\nb\tc\x1b[31m")
	if got != "a\nb    c␛[31m" {
		t.Fatalf("Text = %q", got)
	}
}

func FuzzString(f *testing.F) {
	f.Add("/voice?x=\x1b]52;c;aGk=\x07")
	f.Add("\xc2\x9b")
	f.Fuzz(func(t *testing.T, s string) {
		for _, out := range []string{String(s), Text(s)} {
			if !utf8.ValidString(out) {
				t.Fatalf("invalid UTF-8 out of %q", s)
			}
			for _, r := range out {
				if (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
					t.Fatalf("control %U survives in %q", r, out)
				}
			}
		}
		if strings.ContainsRune(String(s), '\n') {
			t.Fatalf("String kept a newline: %q", s)
		}
	})
}
