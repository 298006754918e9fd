package trigger

import (
	"net/url"
	"strings"
	"testing"
)

func TestE164(t *testing.T) {
	for s, want := range map[string]bool{
		"+15551234567": true, "+1": true, "+442071838750": true, "+123456789012345": true,
		"": false, "+": false, "5551234": false, "15551234567": false, "+1234567890123456": false,
		"+0123": false, "+1 555 123 4567": false, "+1-555-1234": false, "++1555": false, "+1555x": false,
		"+１５５５": false, // full-width digits are not digits to SignalWire
	} {
		if got := isE164(s); got != want {
			t.Errorf("isE164(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestSIPURI(t *testing.T) {
	for s, want := range map[string]bool{
		"sip:alice@example.com": true, "sips:alice@example.com": true, "SIP:bob@sip.example.com": true,
		"sip:+15551234567@example.sip.signalwire.com": true, "sip:example.com": true,
		"sip:": false, "sip:@example.com": false, "sip:alice@": false, "sip:a b@example.com": false,
		"sip:alice@example.com\x1b[2J": false, "alice@example.com": false, "tel:+15551234567": false,
		"sip:a@b@c": false,
	} {
		if got := isSIPURI(s); got != want {
			t.Errorf("isSIPURI(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestBuildRefusesWhatSignalWireNeverSends(t *testing.T) {
	for _, c := range []struct {
		event    string
		from, to string
		want     string // "" = accepted
	}{
		{"call.inbound", "5551234", "", `--from "5551234" is not an E.164 number (like +15551234567) or a SIP address`},
		{"message.inbound", "5551234", "", `--from "5551234" is not an E.164 number (like +15551234567)`},
		{"message.inbound", "+15551234567", "+1 555", `--to-number "+1 555" is not an E.164 number`},
		{"message.inbound", "sip:alice@example.com", "", `message.inbound takes phone numbers, not SIP addresses: give an E.164 number`},
		{"swml.call", "sip:alice@example.com", "", "swml.call takes phone numbers, not SIP"},
		{"call.inbound", "sip:alice@example.com", "sip:support@example.sip.signalwire.com", ""},
		{"transcription", "sip:alice@example.com", "+15559870000", ""},
		{"relay.call.state", "+15551234567", "+15559870000", ""},
	} {
		p := seeded()
		p.From, p.To = c.from, c.to
		w, err := Build(c.event, p)
		if c.want != "" {
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s --from %q --to-number %q: error %v, want %q", c.event, c.from, c.to, err, c.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s --from %q --to-number %q: %v", c.event, c.from, c.to, err)
			continue
		}
		if w.ContentType != ContentTypeForm {
			continue
		}
		v, err := url.ParseQuery(string(w.Body))
		if err != nil {
			t.Fatal(err)
		}
		if v.Get("From") != c.from || v.Get("To") != c.to {
			t.Errorf("%s: From %q To %q, want %q %q", c.event, v.Get("From"), v.Get("To"), c.from, c.to)
		}
	}
}

func TestSequenceChecksNumbers(t *testing.T) {
	p := seeded()
	p.From = "555-1234"
	if _, err := Sequence("call", p); err == nil || !strings.Contains(err.Error(), `--from "555-1234" is not an E.164 number`) {
		t.Fatalf("Sequence with --from 555-1234: %v", err)
	}
	p = seeded()
	p.From = "sip:alice@example.com"
	ws, err := Sequence("call", p)
	if err != nil {
		t.Fatal(err)
	}
	// Every step of the series must take a SIP caller, or the check above
	// would accept what one of them cannot carry.
	for _, w := range ws {
		if ev, _ := Lookup(w.Name); !ev.SIP {
			t.Errorf("--sequence call includes %s, which does not take SIP addresses", w.Name)
		}
	}
}

// FuzzAddress checks the two recognisers never both claim a value, and that
// what they accept is visible ASCII (it goes into a payload and a terminal).
func FuzzAddress(f *testing.F) {
	for _, s := range []string{"+15551234567", "sip:alice@example.com", "5551234", "sips:a@b", "+", "sip:@", "+0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, sip := isE164(s), isSIPURI(s)
		if e && sip {
			t.Fatalf("%q is both a number and a SIP address", s)
		}
		if !e && !sip {
			return
		}
		for i := 0; i < len(s); i++ {
			if s[i] <= ' ' || s[i] > '~' {
				t.Fatalf("accepted %q with byte %#x", s, s[i])
			}
		}
	})
}
