package respcheck

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/swhook/swhook/inspect/exchange"
)

// The cXML vocabulary SignalWire's Compatibility API executes (its docs under
// compatibility-api/xml/voice, /messaging and /fax). Element names are
// case-sensitive: <say> is not <Say>, and that mistake is among the most
// common causes of a "document parse error".
var (
	voiceVerbs = set("Say", "Play", "Gather", "Dial", "Record", "Hangup", "Redirect", "Reject",
		"Pause", "Enqueue", "Leave", "Connect", "Refer", "Echo", "Sms", "Start", "Stop", "Denoise", "Pay")
	messagingVerbs = set("Message", "Redirect")
	faxVerbs       = set("Receive", "Reject")

	// nouns lists what may appear inside a verb. Verbs not listed here take
	// text (Say takes SSML, which is not checked).
	nouns = map[string]map[string]bool{
		"Dial":    set("Number", "Sip", "Conference", "Queue", "Verto", "Client"),
		"Gather":  set("Say", "Play", "Pause"),
		"Connect": set("Stream", "Room", "VirtualAgent", "AI", "Conference", "Queue"),
		"Start":   set("Stream", "Siprec", "Transcription"),
		"Stop":    set("Stream", "Siprec", "Transcription"),
		"Refer":   set("Sip"),
		"Message": set("Body", "Media"),
		"Enqueue": set("Task"),
		"Pay":     set("Prompt", "Parameter"),
	}
	// allVerbs is every verb in any domain, to tell "a voice verb in a
	// messaging answer" from "no such verb".
	allVerbs = union(voiceVerbs, messagingVerbs, faxVerbs)
)

func (d domain) verbs() map[string]bool {
	switch d {
	case domainMessaging:
		return messagingVerbs
	case domainFax:
		return faxVerbs
	}
	return voiceVerbs
}

func (d domain) name() string {
	switch d {
	case domainMessaging:
		return "messaging"
	case domainFax:
		return "fax"
	}
	return "voice"
}

// checkCXML grades a cXML document: at once when it is a plain one
// plainCXMLOK vouches for, else through decodeCXML.
func checkCXML(d domain, body []byte, truncated bool) exchange.Check {
	if plainCXMLOK(d, body) {
		return exchange.Check{Status: exchange.CheckOK}
	}
	return decodeCXML(d, body, truncated)
}

// decodeCXML reads the document as a token stream (no recursion, no entity
// expansion) and reports the first error, or else the first warning.
func decodeCXML(d domain, body []byte, truncated bool) exchange.Check {
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = true
	// Only structure is checked, so any declared charset is read as is; the
	// element names that matter are ASCII in every charset SignalWire reads.
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return latin1{r}, nil }

	var (
		warning exchange.Check
		open    []string // open elements, root first; RawToken leaves matching to us
		verb    string   // the open element at depth 2 (a verb), for its nouns
		rootEnd bool
	)
	warn := func(format string, a ...any) {
		if warning.Status == "" {
			warning = warnf(format, a...)
		}
	}
	cutShort := func() exchange.Check {
		if truncated {
			return warnf("answer is larger than the capture limit; only its start was checked")
		}
		line, _ := dec.InputPos()
		return errorf("malformed cXML: line %d: unexpected EOF; %s", line, d.consequence())
	}
	for {
		// RawToken rather than Token: no namespace translation and no
		// per-element bookkeeping, so far fewer allocations on every
		// webhook's path; the one check it skips (matching end tags) is
		// done here.
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			if isEOFError(err) {
				return cutShort()
			}
			return errorf("malformed cXML: %s; %s", xmlErr(err), d.consequence())
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := qname(t.Name)
			if rootEnd {
				return errorf("element <%s> after </Response>; a cXML document has one root: %s", name, d.consequence())
			}
			switch len(open) {
			case 0:
				if c, bad := checkRoot(d, name); bad {
					return c
				}
			case 1:
				if c, bad := checkVerb(d, name, warn); bad {
					return c
				}
				verb = name
			case 2:
				if c, bad := checkNoun(verb, name, warn); bad {
					return c
				}
			}
			open = append(open, rawName(t.Name))
		case xml.EndElement:
			line, _ := dec.InputPos()
			name := rawName(t.Name)
			if len(open) == 0 {
				return errorf("malformed cXML: line %d: unexpected end element </%s>; %s", line, name, d.consequence())
			}
			if top := open[len(open)-1]; top != name {
				return errorf("malformed cXML: line %d: element <%s> closed by </%s>; %s", line, top, name, d.consequence())
			}
			open = open[:len(open)-1]
			if len(open) == 0 {
				rootEnd = true
			}
		case xml.CharData:
			if len(open) == 0 && len(bytes.TrimSpace(t)) > 0 {
				return errorf("text outside the <Response> element; %s", d.consequence())
			}
		}
	}
	if len(open) > 0 {
		return cutShort()
	}
	if !rootEnd {
		if truncated {
			return warnf("answer is larger than the capture limit; only its start was checked")
		}
		return errorf("no <Response> element; %s", d.consequence())
	}
	if warning.Status != "" {
		return warning
	}
	return exchange.Check{Status: exchange.CheckOK}
}

// rawName is an element's name as written (prefix:local), for matching end
// tags to start tags.
func rawName(n xml.Name) string {
	if n.Space != "" {
		return n.Space + ":" + n.Local
	}
	return n.Local
}

func checkRoot(d domain, name string) (exchange.Check, bool) {
	switch {
	case name == "Response":
		return exchange.Check{}, false
	case strings.EqualFold(name, "Response"):
		return errorf("root element is <%s>; cXML verbs are case-sensitive: use <Response>", name), true
	case strings.EqualFold(name, "html"):
		return errorf("answer is an HTML page, not cXML; %s", d.consequence()), true
	}
	return errorf("root element is <%s>; cXML needs a <Response> root", name), true
}

func checkVerb(d domain, name string, warn func(string, ...any)) (exchange.Check, bool) {
	verbs := d.verbs()
	if verbs[name] {
		return exchange.Check{}, false
	}
	if fixed, ok := fold(verbs, name); ok {
		return errorf("<%s> is not a cXML verb; verbs are case-sensitive: use <%s>", name, fixed), true
	}
	if allVerbs[name] {
		switch {
		case d == domainVoice && name == "Message":
			warn("<Message> is not a voice verb; a voice answer uses <Sms> to send a message")
		case d == domainVoice:
			warn("<%s> is not a voice verb; set the number to accept faxes to use it", name)
		default:
			warn("<%s> is not a %s verb; a %s answer uses %s", name, d.name(), d.name(), list(verbs))
		}
		return exchange.Check{}, false
	}
	if fixed, ok := fold(allVerbs, name); ok {
		return errorf("<%s> is not a cXML verb; verbs are case-sensitive: use <%s>", name, fixed), true
	}
	warn("unknown verb <%s>; SignalWire has no such %s verb and may reject the document", name, d.name())
	return exchange.Check{}, false
}

func checkNoun(verb, name string, warn func(string, ...any)) (exchange.Check, bool) {
	allowed, ok := nouns[verb]
	if !ok || allowed[name] {
		return exchange.Check{}, false
	}
	if fixed, ok := fold(allowed, name); ok {
		return errorf("<%s> inside <%s> is case-sensitive: use <%s>", name, verb, fixed), true
	}
	warn("unknown <%s> inside <%s>; it takes %s", name, verb, list(allowed))
	return exchange.Check{}, false
}

// qname is the element's local name: a default namespace (xmlns="...") or
// a prefix does not change which verb it is.
func qname(n xml.Name) string {
	return n.Local
}

func isEOFError(err error) bool {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var se *xml.SyntaxError
	return errors.As(err, &se) && strings.Contains(se.Msg, "unexpected EOF")
}

func xmlErr(err error) string {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("line %d: %s", se.Line, firstLine(se.Msg))
	}
	return firstLine(strings.TrimPrefix(err.Error(), "xml: "))
}

func fold(names map[string]bool, name string) (string, bool) {
	for n := range names {
		if strings.EqualFold(n, name) {
			return n, true
		}
	}
	return "", false
}

func list(names map[string]bool) string {
	s := make([]string, 0, len(names))
	for n := range names {
		s = append(s, "<"+n+">")
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

func union(sets ...map[string]bool) map[string]bool {
	m := map[string]bool{}
	for _, s := range sets {
		for k := range s {
			m[k] = true
		}
	}
	return m
}

// latin1 reads bytes as ISO-8859-1, which maps every byte to a character:
// enough to walk the structure of a document in any single-byte charset
// (the element names that matter are ASCII in all of them).
type latin1 struct{ r io.Reader }

func (l latin1) Read(p []byte) (int, error) {
	// Each byte may become two, so read at most half of p.
	if len(p) < 2 {
		return 0, io.ErrShortBuffer
	}
	buf := make([]byte, len(p)/2)
	n, err := l.r.Read(buf)
	out := p[:0]
	for _, c := range buf[:n] {
		if c < 0x80 {
			out = append(out, c)
		} else {
			out = append(out, 0xc0|c>>6, 0x80|c&0x3f)
		}
	}
	return len(out), err
}
