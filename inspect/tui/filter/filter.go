// Package filter parses what a developer types after `/` in the live view
// into a predicate over exchanges. It is pure so it can be fuzzed: typing is
// untrusted input too, and a filter that panics would take the view down.
package filter

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/human"
)

// Filter selects exchanges. Terms of different kinds must all match; the
// values of one key (sig:invalid,unsigned) are alternatives. The zero value
// matches everything.
type Filter struct {
	Words    []string // free text, lower case, each must appear somewhere
	Sigs     []exchange.SignatureStatus
	Statuses []string // "5xx", "404", "error"
	Events   []string // kind prefixes or details, lower case
	Methods  []string // upper case
}

// Syntax lists the qualifiers the filter understands, for help text.
func Syntax() []string {
	return []string{"sig:valid|invalid|unsigned|unchecked", "status:2xx|4xx|5xx|404|error", "event:call|message.status|ringing", "method:GET"}
}

// Parse reads a filter. A word of the form key:value with a known key is a
// qualifier; anything else (including unknown keys, so "http://x" works) is
// free text. A known key with a bad value is an error that names the fix.
func Parse(s string) (Filter, error) {
	var f Filter
	for _, w := range strings.Fields(s) {
		key, val, ok := strings.Cut(w, ":")
		if !ok {
			f.Words = append(f.Words, strings.ToLower(w))
			continue
		}
		switch strings.ToLower(key) {
		case "sig", "signature":
			for _, v := range splitVals(val) {
				st, err := parseSig(v)
				if err != nil {
					return Filter{}, err
				}
				f.Sigs = append(f.Sigs, st)
			}
		case "status":
			for _, v := range splitVals(val) {
				st, err := parseStatus(v)
				if err != nil {
					return Filter{}, err
				}
				f.Statuses = append(f.Statuses, st)
			}
		case "event", "kind":
			vals := splitVals(val)
			if len(vals) == 0 {
				return Filter{}, fmt.Errorf("event: needs a value, e.g. event:call or event:message.status")
			}
			for _, v := range vals {
				f.Events = append(f.Events, strings.ToLower(v))
			}
		case "method":
			vals := splitVals(val)
			if len(vals) == 0 {
				return Filter{}, fmt.Errorf("method: needs a value, e.g. method:POST")
			}
			for _, v := range vals {
				f.Methods = append(f.Methods, strings.ToUpper(v))
			}
		default:
			f.Words = append(f.Words, strings.ToLower(w))
		}
	}
	return f, nil
}

func splitVals(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parseSig(v string) (exchange.SignatureStatus, error) {
	if s, ok := human.ParseSig(v); ok {
		return s, nil
	}
	return "", fmt.Errorf("sig:%s: want valid, invalid, unsigned or unchecked", v)
}

func parseStatus(v string) (string, error) {
	l := strings.ToLower(v)
	if l == "error" || l == "err" {
		return "error", nil
	}
	if len(l) == 3 && l[1:] == "xx" && l[0] >= '1' && l[0] <= '5' {
		return l, nil
	}
	if n, err := strconv.Atoi(l); err == nil && n >= 100 && n <= 599 && len(l) == 3 {
		return l, nil
	}
	return "", fmt.Errorf("status:%s: want a class (2xx, 4xx, 5xx), a code (404) or error", v)
}

// Empty says the filter lets everything through.
func (f Filter) Empty() bool {
	return len(f.Words)+len(f.Sigs)+len(f.Statuses)+len(f.Events)+len(f.Methods) == 0
}

// Match reports whether x passes. It reads only summary fields (no bodies),
// so it works on the list's summaries.
func (f Filter) Match(x *exchange.Exchange) bool {
	if len(f.Sigs) > 0 && !anyOf(f.Sigs, func(s exchange.SignatureStatus) bool { return x.Signature.Status == s }) {
		return false
	}
	if len(f.Statuses) > 0 && !anyOf(f.Statuses, func(s string) bool { return statusMatch(s, x.Response) }) {
		return false
	}
	if len(f.Events) > 0 && !anyOf(f.Events, func(e string) bool {
		return strings.HasPrefix(strings.ToLower(string(x.Event.Kind)), e) || strings.EqualFold(x.Event.Detail, e)
	}) {
		return false
	}
	if len(f.Methods) > 0 && !anyOf(f.Methods, func(m string) bool { return strings.EqualFold(x.Request.Method, m) }) {
		return false
	}
	if len(f.Words) > 0 {
		hay := strings.ToLower(strings.Join([]string{
			"#" + strconv.FormatInt(x.ID, 10), x.Request.Method, x.Request.Path, x.Request.Query,
			string(x.Event.Kind), x.Event.Detail, string(x.Signature.Status),
			strconv.Itoa(x.Response.Status), x.Response.Error, x.ResponseCheck.Message,
		}, " "))
		for _, w := range f.Words {
			if !strings.Contains(hay, w) {
				return false
			}
		}
	}
	return true
}

func statusMatch(s string, r exchange.Response) bool {
	if s == "error" {
		return human.HandlerFailed(r)
	}
	if r.Status == 0 {
		return false
	}
	code := strconv.Itoa(r.Status)
	if strings.HasSuffix(s, "xx") {
		return code[0] == s[0]
	}
	return code == s
}

func anyOf[T any](vals []T, ok func(T) bool) bool {
	for _, v := range vals {
		if ok(v) {
			return true
		}
	}
	return false
}

// String writes the filter back in the form Parse reads, canonically.
func (f Filter) String() string {
	var parts []string
	if len(f.Sigs) > 0 {
		vals := make([]string, len(f.Sigs))
		for i, s := range f.Sigs {
			vals[i] = sigWord(s)
		}
		parts = append(parts, "sig:"+strings.Join(vals, ","))
	}
	if len(f.Statuses) > 0 {
		parts = append(parts, "status:"+strings.Join(f.Statuses, ","))
	}
	if len(f.Events) > 0 {
		parts = append(parts, "event:"+strings.Join(f.Events, ","))
	}
	if len(f.Methods) > 0 {
		parts = append(parts, "method:"+strings.Join(f.Methods, ","))
	}
	parts = append(parts, f.Words...)
	return strings.Join(parts, " ")
}

func sigWord(s exchange.SignatureStatus) string { return human.SigFilterWord(s) }
