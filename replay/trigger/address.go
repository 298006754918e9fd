package trigger

import (
	"fmt"
	"strings"
)

// checkAddresses checks --from and --to-number before anything is built.
// SignalWire sends E.164 numbers, and a SIP address ("sip:alice@example.com")
// on a call from a SIP endpoint; a handler tested with "5551234" passes a
// test that production traffic would fail, so a value SignalWire never sends
// is refused, with what it should look like.
func checkAddresses(p Params, sip bool, what string) error {
	for _, a := range []struct{ flag, v string }{{"--from", p.From}, {"--to-number", p.To}} {
		if a.v == "" || isE164(a.v) {
			continue
		}
		if isSIPURI(a.v) {
			if sip {
				continue
			}
			return fmt.Errorf("%s %q: %s takes phone numbers, not SIP addresses: give an E.164 number (like +15551234567)", a.flag, a.v, what)
		}
		if sip {
			return fmt.Errorf("%s %q is not an E.164 number (like +15551234567) or a SIP address (like sip:alice@example.com)", a.flag, a.v)
		}
		return fmt.Errorf("%s %q is not an E.164 number (like +15551234567)", a.flag, a.v)
	}
	return nil
}

// isE164 says s is a "+", a country code that does not start with 0, and at
// most 15 digits in all: the only shape of number SignalWire sends.
func isE164(s string) bool {
	d, ok := strings.CutPrefix(s, "+")
	if !ok || len(d) < 1 || len(d) > 15 || d[0] == '0' {
		return false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	return true
}

// isSIPURI says s is clearly a SIP address: the sip: or sips: scheme, then
// a host, optionally user@ in front, in visible ASCII.
func isSIPURI(s string) bool {
	lower := strings.ToLower(s)
	rest, ok := strings.CutPrefix(lower, "sip:")
	if !ok {
		if rest, ok = strings.CutPrefix(lower, "sips:"); !ok {
			return false
		}
	}
	for i := 0; i < len(rest); i++ {
		if rest[i] <= ' ' || rest[i] > '~' {
			return false
		}
	}
	user, host, found := strings.Cut(rest, "@")
	if !found {
		host = user
	} else if user == "" {
		return false
	}
	return host != "" && !strings.ContainsAny(host, "@/")
}

// CheckAddresses checks --from and --to-number as trigger does, for the
// other commands that send SignalWire's numbers (call, message): sip says
// a SIP address is allowed (a call from a SIP endpoint); what names the
// command in the error.
func CheckAddresses(from, to string, sip bool, what string) error {
	return checkAddresses(Params{From: from, To: to}, sip, what)
}
