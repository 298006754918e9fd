// Package timeline tells one call's story: its webhooks in order, each
// with the time since the call began, a step label a person reads at a
// glance ("gather action Digits=1", "dial action busy", "call.status
// completed 14 s"), and child legs marked, so the CLI (`list --call`) and
// the live view draw the same timeline.
package timeline

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/human"
	"github.com/swhook/swhook/inspect/termsafe"
)

// Step is one webhook of a call.
type Step struct {
	X *exchange.Exchange
	// Since is the time since the call's first webhook.
	Since time.Duration
	// Leg is set for a child leg's webhook (a <Dial>ed number): drawn
	// indented under its parent.
	Leg bool
	// Label names the step, sanitised for a terminal.
	Label string
}

// Steps is the timeline of a call's webhooks, given oldest first. Labels
// read the request's parameters when the exchange carries its body (a
// summary without one is labelled by its event).
func Steps(xs []*exchange.Exchange) []Step {
	out := make([]Step, 0, len(xs))
	var start time.Time
	for i, x := range xs {
		if i == 0 {
			start = x.Time
		}
		out = append(out, Step{X: x, Since: x.Time.Sub(start), Leg: x.Call.Parent != "", Label: Label(x)})
	}
	return out
}

// maxParams bounds the body Label parses: a webhook's parameters are a
// few hundred bytes.
const maxParams = 64 << 10

// Label names what one webhook of a call is, from its event and, where
// they say more, its parameters.
func Label(x *exchange.Exchange) string {
	ev := string(x.Event.Kind)
	if x.Event.Detail != "" {
		ev += " " + x.Event.Detail
	}
	p := params(x)
	get := func(k string) string { return p.Get(k) }
	s := ev
	switch {
	case x.Event.Kind == exchange.KindCallInbound && x.Event.Detail == "gather":
		s = "gather action"
		switch {
		case get("Digits") != "":
			s += " Digits=" + get("Digits")
		case get("SpeechResult") != "":
			s += " SpeechResult=" + strconv.Quote(get("SpeechResult"))
		default:
			s += " (no input)"
		}
	case x.Event.Kind == exchange.KindCallInbound && x.Event.Detail == "dial":
		s = "dial action " + get("DialCallStatus")
	case x.Event.Kind == exchange.KindCallInbound && x.Event.Detail == "record":
		s = "record action"
		if d := get("RecordingDuration"); d != "" {
			s += " " + d + " s"
		}
	case x.Event.Kind == exchange.KindCallStatus && get("CallDuration") != "":
		s = ev + " " + get("CallDuration") + " s"
	}
	return termsafe.String(strings.TrimSpace(s))
}

func params(x *exchange.Exchange) url.Values {
	q := x.Request
	v, _ := url.ParseQuery(q.Query)
	if len(q.Body) == 0 || len(q.Body) > maxParams || q.Method == "GET" {
		return v
	}
	ct := q.Headers.Get("Content-Type")
	if ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/x-www-form-urlencoded") {
		return v
	}
	b, err := url.ParseQuery(string(q.Body))
	if err != nil && len(b) == 0 {
		return v
	}
	for k, vs := range b {
		v[k] = vs
	}
	return v
}

// Summary is one call in a line: what `list --calls` and the live view's
// calls list show.
type Summary struct {
	ID       string
	Steps    int
	Start    time.Time
	Duration time.Duration // first to last webhook
	// Final is the call's last status word (call.status completed, a
	// message's delivered), or the last step's event.
	Final string
	// Worst is the worst mark of any step, in the shared vocabulary:
	// an invalid signature, then a failed handler, then a refused or
	// doubtful answer, then an unsigned webhook; "✓" when all is well.
	Worst string
	// NewestID is the ID of the call's newest webhook.
	NewestID int64
}

// Summarize sums up a call's webhooks (oldest first).
func Summarize(id string, xs []*exchange.Exchange) Summary {
	s := Summary{ID: id, Steps: len(xs)}
	if len(xs) == 0 {
		return s
	}
	s.Start = xs[0].Time
	s.Duration = xs[len(xs)-1].Time.Sub(xs[0].Time)
	s.NewestID = xs[len(xs)-1].ID
	rank, worst := 0, "✓"
	for _, x := range xs {
		switch x.Event.Kind {
		case exchange.KindCallStatus, exchange.KindMessageStatus, exchange.KindRelayCallState:
			if x.Call.Parent == "" { // the call's own status, not a leg's
				s.Final = x.Event.Detail
			}
		}
		r, w := mark(x)
		if r > rank {
			rank, worst = r, w
		}
		s.NewestID = max(s.NewestID, x.ID)
	}
	if s.Final == "" {
		last := xs[len(xs)-1]
		s.Final = strings.TrimSpace(string(last.Event.Kind) + " " + last.Event.Detail)
	}
	s.Final = termsafe.String(s.Final)
	s.Worst = worst
	return s
}

func mark(x *exchange.Exchange) (int, string) {
	switch {
	case x.Signature.Status == exchange.SigInvalid:
		return 5, human.SigBadge(exchange.SigInvalid)
	case human.HandlerFailed(x.Response):
		return 4, human.StatusText(x.Response)
	case x.ResponseCheck.Status == exchange.CheckError:
		return 3, human.CheckBadge(exchange.CheckError)
	case x.ResponseCheck.Status == exchange.CheckWarning:
		return 2, human.CheckBadge(exchange.CheckWarning)
	case x.Signature.Status == exchange.SigMissing:
		return 1, human.SigBadge(exchange.SigMissing)
	}
	return 0, "✓"
}

// Short is a call ID cut to what tells calls apart in a list (the first 8
// characters of a UUID), for labels such as a child leg's in `list --call`
// and the calls list's IDs. (The plain log cuts its call column itself,
// after sanitising: logview's callLabel.)
func Short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
