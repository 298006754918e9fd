package numbers

import (
	"net/url"
	"strings"
	"testing"
)

// Whatever the Space looks like, the token only ever goes over https, or
// plain http to loopback.
func FuzzSpaceURL(f *testing.F) {
	for _, s := range []string{"example", "example.signalwire.com", "http://127.0.0.1:1", "http://evil.com", "https://[::1]:8/", "http://localhost.evil.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := SpaceURL(s)
		if err != nil {
			return
		}
		if u.Scheme != "https" && (u.Scheme != "http" || !isLoopback(u.Hostname())) {
			t.Fatalf("%q gave %s", s, u)
		}
		if u.User != nil || u.Path != "" || u.RawQuery != "" {
			t.Fatalf("%q gave %s", s, u)
		}
	})
}

// A pointed URL always goes to the tunnel's host, whatever the original
// URL held, and keeps the original's query.
func FuzzURLChange(f *testing.F) {
	for _, s := range []string{"https://a.example.com/voice?x=1#rt=3000", "http://b/", "", "not a url", "https://c/%zz", "https://d/p?"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, orig string) {
		c := urlChange(Object{"f": orig}, "f", "", "/voice")
		to := c.To("https://tun.ngrok.app")
		u, err := url.Parse(to)
		if err != nil || u.Host != "tun.ngrok.app" || u.Scheme != "https" {
			t.Fatalf("%q → %q (%v)", orig, to, err)
		}
		if o, err := url.Parse(orig); err == nil && o.Host != "" && o.RawQuery != "" && !strings.Contains(to, "?"+o.RawQuery) {
			t.Fatalf("%q → %q lost the query", orig, to)
		}
	})
}

// An accepted --number is always "+" and 5 to 15 digits; an accepted path
// always starts with "/" and is never a URL.
func FuzzE164AndPath(f *testing.F) {
	for _, s := range []string{"+1 (555) 123-4567", "5551234567", "+", "/voice", "voice?x=1", "https://x/y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := E164(s); err == nil {
			if n[0] != '+' || len(n) < 6 || len(n) > 16 || strings.Trim(n[1:], "0123456789") != "" {
				t.Fatalf("%q → %q", s, n)
			}
		}
		if p, err := CleanPath(s); err == nil && s != "" {
			if p[0] != '/' || strings.Contains(p, "://") {
				t.Fatalf("%q → %q", s, p)
			}
			if _, err := url.Parse("https://tun.ngrok.app" + p); err == nil {
				if u, _ := url.Parse("https://tun.ngrok.app" + p); u.Host != "tun.ngrok.app" {
					t.Fatalf("%q moves the host to %q", s, u.Host)
				}
			}
		}
	})
}
