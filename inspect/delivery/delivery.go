// Package delivery holds SignalWire's rules for delivering a webhook and
// judging its answer — timeouts, the URL fragment that overrides them, the
// 64 kB answer limit, redirects, fallback and retries — and the error codes
// SignalWire's debugger shows when one is broken. It is the one place these
// facts live, so listen's answer check and the call emulator predict the
// same thing.
package delivery

import (
	"fmt"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// SignalWire's limits (compatibility-api guides/webhooks).
const (
	// ConnectTimeout and ReadTimeout are SignalWire's defaults: 2 s to
	// connect, 5 s to read (also between packets of the answer).
	ConnectTimeout = 2 * time.Second
	ReadTimeout    = 5 * time.Second
	// TotalTimeout bounds a webhook and all its retries.
	TotalTimeout = 15 * time.Second
	// MaxAnswer is the largest answer body SignalWire reads (11750 above).
	MaxAnswer = 64 << 10
	// MaxRedirects is how many HTTP redirects SignalWire follows (11215
	// beyond).
	MaxRedirects = 3
	// StatusCallbackAttempts is how often a status callback is tried before
	// SignalWire drops it silently; action-type webhooks are tried once.
	StatusCallbackAttempts = 3
)

// Timeouts are one URL's delivery timeouts.
type Timeouts struct {
	Connect time.Duration // ot
	Read    time.Duration // rt
	Total   time.Duration // tt, over all attempts
}

// Defaults are the timeouts of a URL without a fragment.
func Defaults() Timeouts {
	return Timeouts{Connect: ConnectTimeout, Read: ReadTimeout, Total: TotalTimeout}
}

// fragment keys with their allowed range in milliseconds.
var fragmentRange = map[string][2]int{
	"ot": {100, 10000},
	"rt": {100, 15000},
	"tt": {100, 15000},
}

// ParseURL splits a webhook URL as SignalWire does: the fragment
// #ot=…&rt=…&tt=… sets the timeouts and is never sent. It returns the URL
// to request (no fragment) and its timeouts. A fragment value out of range
// is an error, so a typo does not silently mean the default.
func ParseURL(raw string) (string, Timeouts, error) {
	t := Defaults()
	base, frag, ok := strings.Cut(raw, "#")
	if !ok || frag == "" {
		return base, t, nil
	}
	vals, err := url.ParseQuery(frag)
	if err != nil {
		return base, t, fmt.Errorf("URL fragment %q: %w", frag, err)
	}
	for k, v := range vals {
		r, known := fragmentRange[k]
		if !known {
			continue // an ordinary fragment: SignalWire ignores it too
		}
		n, err := strconv.Atoi(v[len(v)-1])
		if err != nil || n < r[0] || n > r[1] {
			return base, t, fmt.Errorf("URL fragment %s=%s: SignalWire takes %d to %d milliseconds", k, v[len(v)-1], r[0], r[1])
		}
		d := time.Duration(n) * time.Millisecond
		switch k {
		case "ot":
			t.Connect = d
		case "rt":
			t.Read = d
		case "tt":
			t.Total = d
		}
	}
	return base, t, nil
}

// Purpose is what a request is for, which decides what failure costs.
type Purpose int

const (
	// Action is a request whose answer is the next document: the first
	// fetch, a Gather/Record/Dial action, a Redirect, a messaging action.
	// It is tried once; on failure the fallback URL is requested.
	Action Purpose = iota
	// StatusCallback is advisory: tried up to StatusCallbackAttempts times,
	// then dropped; its answer is not read as a document.
	StatusCallback
)

func (p Purpose) String() string {
	if p == StatusCallback {
		return "status callback"
	}
	return "action"
}

// Answer is what came back (or did not) for one attempt.
type Answer struct {
	Status      int
	ContentType string
	// BodySize is the whole answer's size, even when only part was read.
	BodySize int64
	// Elapsed is from sending the request to the end of the answer (or
	// the give-up); it is compared with the URL's read timeout.
	Elapsed time.Duration
	// Err is a transport failure: could not connect, reset, timed out.
	Err error
	// ConnectFailed says Err happened before a connection was made.
	ConnectFailed bool
	// Redirects is how many 3xx answers were followed to get here.
	Redirects int
}

// Judge says which SignalWire error, if any, the answer to a request of
// purpose p with timeouts t causes. Document content (12100) is judged by
// whoever parses it; Judge covers what is decided before that.
func Judge(p Purpose, t Timeouts, a Answer) *Error {
	switch {
	case a.Redirects > MaxRedirects:
		return New(CodeTooManyRedirects, "")
	case a.Err != nil && a.ConnectFailed:
		return New(CodeTimeout, "could not connect: "+firstLine(a.Err.Error()))
	case a.Err != nil && a.Elapsed >= t.Read:
		return New(CodeTimeout, fmt.Sprintf("no answer within %s", t.Read))
	case a.Err != nil:
		return New(CodeTimeout, firstLine(a.Err.Error()))
	case a.Elapsed > t.Read:
		return New(CodeTimeout, fmt.Sprintf("answered after %s; SignalWire gives up after %s", roundMS(a.Elapsed), t.Read))
	case a.Status == 502:
		return New(CodeTimeout, "the server answered 502 Bad Gateway")
	case a.Status >= 400:
		return New(CodeHTTPStatus, fmt.Sprintf("the server answered %d", a.Status))
	case a.BodySize > MaxAnswer:
		return New(CodeTooLarge, fmt.Sprintf("the answer is %d bytes", a.BodySize))
	}
	if p == Action && a.Status < 300 {
		if why := ContentTypeProblem(a.ContentType); why != "" {
			return New(CodeContentType, why)
		}
	}
	return nil
}

// documentTypes are the Content-Types SignalWire reads a document from:
// XML for cXML, JSON and YAML for SWML; text/html and text/plain are what
// frameworks send by default and SignalWire reads them as XML.
var documentTypes = map[string]bool{
	"text/xml": true, "application/xml": true, "text/html": true, "text/plain": true,
	"application/json": true, "application/yaml": true, "text/yaml": true,
	"text/x-yaml": true, "application/x-yaml": true,
}

// ContentTypeProblem says what is wrong with a document's Content-Type, or
// "" when SignalWire reads it.
func ContentTypeProblem(ct string) string {
	if strings.TrimSpace(ct) == "" {
		return "the answer has no Content-Type; send text/xml (cXML) or application/json (SWML)"
	}
	if documentTypes[ct] {
		// Already a bare, lower-case media type, as most handlers send:
		// ParseMediaType would return it unchanged (and build a map).
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Sprintf("the Content-Type %q does not parse", ct)
	}
	if documentTypes[mt] || strings.HasSuffix(mt, "+xml") {
		return ""
	}
	return fmt.Sprintf("a document served as %s; send text/xml (cXML) or application/json (SWML)", mt)
}

// Retry reports whether a status callback whose attempt ended in e is
// tried again after attempt n (1-based).
func Retry(p Purpose, e *Error, attempt int) bool {
	return p == StatusCallback && e != nil && attempt < StatusCallbackAttempts
}

// UsesFallback reports whether a failure e of a request of purpose p makes
// SignalWire request the fallback URL instead.
func UsesFallback(p Purpose, e *Error) bool {
	return p == Action && e != nil
}

func roundMS(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}
