// Package respcheck says whether a handler's answer is one SignalWire will
// accept — the cause of the "document parse error" that ends calls — before
// a developer has to find out from a dead phone call.
package respcheck

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/swhook/swhook/inspect/delivery"
	"github.com/swhook/swhook/inspect/exchange"
)

// Response is what is checked.
type Response struct {
	Status      int
	ContentType string
	Body        []byte
	// Err is set when the handler could not be reached.
	Err string
	// Truncated says Body is only the start of what the handler sent (the
	// capture limit), so a document cut short is not reported as malformed.
	Truncated bool
	// Duration is how long the answer took; one SignalWire would not have
	// waited for is marked even though swhook waited (0: unknown).
	Duration time.Duration
	// BodySize is the answer's whole size when known (it may exceed Body).
	BodySize int64
}

// Check grades resp as the answer to a webhook of event ev: voice and
// messaging webhooks must answer well-formed cXML with a <Response> root or
// valid SWML; status callbacks want a 2xx.
func Check(ev exchange.Event, resp Response) exchange.Check {
	if c, bad := deliveryCheck(ev, resp); bad {
		return c
	}
	return check(ev, resp)
}

// deliveryCheck applies SignalWire's delivery rules (inspect/delivery) to
// an answer swhook did get: too slow (11200) or too big (11750) is what
// SignalWire would have logged, whatever the answer said.
func deliveryCheck(ev exchange.Event, resp Response) (exchange.Check, bool) {
	if resp.Err != "" {
		return exchange.Check{}, false
	}
	if resp.Duration > delivery.ReadTimeout {
		return errorf("SignalWire would have given up (%d): answered after %.1f s, SignalWire waits %s for an answer", delivery.CodeTimeout, resp.Duration.Seconds(), delivery.ReadTimeout), true
	}
	if isDocument(ev) && resp.Status >= 200 && resp.Status < 300 && len(bytes.TrimSpace(resp.Body)) > 0 {
		if why := delivery.ContentTypeProblem(resp.ContentType); why != "" {
			return errorf("SignalWire would reject the answer (%d): %s", delivery.CodeContentType, why), true
		}
	}
	size := max(resp.BodySize, int64(len(resp.Body)))
	if size > delivery.MaxAnswer && isDocument(ev) {
		return errorf("answer too large for SignalWire (%d): %d bytes, SignalWire reads at most 64 kB", delivery.CodeTooLarge, size), true
	}
	return exchange.Check{}, false
}

func isDocument(ev exchange.Event) bool {
	switch ev.Kind {
	case exchange.KindCallInbound, exchange.KindSWMLCall, exchange.KindMessageInbound, exchange.KindSWMLMessage, exchange.KindFaxInbound:
		return true
	}
	return false
}

func check(ev exchange.Event, resp Response) exchange.Check {
	if resp.Err != "" {
		return unreachable(ev, resp)
	}
	switch ev.Kind {
	case exchange.KindCallInbound, exchange.KindSWMLCall:
		return checkDocument(domainVoice, resp)
	case exchange.KindMessageInbound, exchange.KindSWMLMessage:
		return checkDocument(domainMessaging, resp)
	case exchange.KindFaxInbound:
		return checkDocument(domainFax, resp)
	case exchange.KindCallStatus, exchange.KindMessageStatus, exchange.KindRecordingStatus,
		exchange.KindFaxStatus, exchange.KindTranscription, exchange.KindRelayCallState:
		if resp.Status < 200 || resp.Status > 299 {
			return warnf("status callback answered %d; SignalWire wants a 2xx and may retry or log an error", resp.Status)
		}
		return exchange.Check{Status: exchange.CheckOK}
	}
	// Unknown webhooks: nothing is known about what is expected of them.
	return exchange.Check{Status: exchange.CheckNA}
}

// unreachable grades an answer swhook had to make itself: SignalWire did
// get one (a 502 or 504), and what that costs depends on the webhook.
func unreachable(ev exchange.Event, resp Response) exchange.Check {
	msg := "the handler could not be reached (" + firstLine(resp.Err) + ")"
	if resp.Status != 0 {
		msg += fmt.Sprintf(", so swhook answered %d", resp.Status)
	}
	switch ev.Kind {
	case exchange.KindCallInbound, exchange.KindSWMLCall:
		msg += ": " + domainVoice.consequence()
	case exchange.KindMessageInbound, exchange.KindSWMLMessage:
		msg += ": " + domainMessaging.consequence()
	case exchange.KindFaxInbound:
		msg += ": " + domainFax.consequence()
	case exchange.KindCallStatus, exchange.KindMessageStatus, exchange.KindRecordingStatus,
		exchange.KindFaxStatus, exchange.KindTranscription, exchange.KindRelayCallState:
		msg += ": SignalWire may retry or log an error"
	}
	return exchange.Check{Status: exchange.CheckError, Message: msg}
}

// domain is which of SignalWire's products executes the answer; it decides
// which verbs make sense and how bad an empty answer is.
type domain int

const (
	domainVoice domain = iota
	domainMessaging
	domainFax
)

func (d domain) consequence() string {
	switch d {
	case domainMessaging:
		return "the message gets no reply and SignalWire logs an error"
	case domainFax:
		return "the fax will not be received"
	}
	return "the call will fail with a document parse error"
}

func checkDocument(d domain, resp Response) exchange.Check {
	if resp.Status < 200 || resp.Status > 299 {
		return errorf("handler answered %d; %s", resp.Status, d.consequence())
	}
	body := trimBOM(bytes.TrimSpace(resp.Body))
	if len(body) == 0 {
		if d == domainMessaging {
			return warnf("empty answer; reply <Response></Response> to send no message")
		}
		return errorf("empty answer; SignalWire expects cXML or SWML: %s", d.consequence())
	}
	var c exchange.Check
	var kind string
	switch body[0] {
	case '<':
		kind = "xml"
		// An XML declaration is only allowed as the very first bytes: a
		// newline printed before it (a stray echo, a blank line before
		// "<?php") is a classic cause of the document parse error.
		if bytes.HasPrefix(body, []byte("<?xml")) && !bytes.HasPrefix(bytes.TrimPrefix(resp.Body, []byte("\xef\xbb\xbf")), []byte("<?xml")) {
			return errorf("text before <?xml ...?>; the XML declaration must come first: %s", d.consequence())
		}
		c = checkCXML(d, body, resp.Truncated)
	case '{':
		kind = "json"
		c = checkSWMLJSON(d, body, resp.Truncated)
	default:
		kind = "yaml"
		c = checkSWMLYAML(d, body, resp.Truncated)
	}
	if c.Status == exchange.CheckOK {
		if msg := contentTypeMismatch(kind, resp.ContentType); msg != "" {
			return warnf("%s", msg)
		}
	}
	return c
}

// contentTypeMismatch names a Content-Type that does not fit the document;
// SignalWire parses by content, but proxies, frameworks and SignalWire's own
// logs go by the header, and text/html usually means a template answered.
func contentTypeMismatch(kind, ct string) string {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	switch kind {
	case "xml":
		if strings.Contains(mt, "xml") {
			return ""
		}
		if mt == "" {
			return "cXML served without a Content-Type; send Content-Type: application/xml"
		}
		return fmt.Sprintf("cXML served as %s; send Content-Type: application/xml", mt)
	case "json":
		if strings.Contains(mt, "json") {
			return ""
		}
		if mt == "" {
			return "SWML served without a Content-Type; send Content-Type: application/json"
		}
		return fmt.Sprintf("SWML JSON served as %s; send Content-Type: application/json", mt)
	case "yaml":
		if strings.Contains(mt, "yaml") || mt == "text/plain" {
			return ""
		}
		if mt == "" {
			return "SWML served without a Content-Type; send Content-Type: application/yaml"
		}
		return fmt.Sprintf("SWML YAML served as %s; send Content-Type: application/yaml", mt)
	}
	return ""
}

func trimBOM(b []byte) []byte {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	return bytes.TrimSpace(b)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	const max = 120
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

func errorf(format string, a ...any) exchange.Check {
	return exchange.Check{Status: exchange.CheckError, Message: fmt.Sprintf(format, a...)}
}

func warnf(format string, a ...any) exchange.Check {
	return exchange.Check{Status: exchange.CheckWarning, Message: fmt.Sprintf(format, a...)}
}
