package human

import (
	"strconv"
	"strings"

	"github.com/swhook/swhook/inspect/exchange"
)

// The words and marks below are swhook's one vocabulary for verdicts: the
// live view, the plain log, `list` and `show` all print them from here, so
// a badge reads the same in every place (three copies once disagreed, and a
// body over --max-body read "no key" in one and "unchecked" in another).
// Each word means one thing; the README's "The live view" section and
// `list --help` say what.

// SigWord is the signature verdict as one word, upper case where a
// developer must act: valid, INVALID, unsigned, unchecked. "unchecked"
// covers every signature swhook did not check — no signing key, a body over
// --max-body — and the exchange's hint says which.
func SigWord(s exchange.SignatureStatus) string {
	switch s {
	case exchange.SigValid:
		return "valid"
	case exchange.SigInvalid:
		return "INVALID"
	case exchange.SigMissing:
		return "unsigned"
	case exchange.SigUnchecked:
		return "unchecked"
	}
	return "unknown" // a status this build does not know (a newer store?)
}

// SigMark is the verdict's symbol: with the word it tells the verdicts
// apart when there is no colour.
func SigMark(s exchange.SignatureStatus) string {
	switch s {
	case exchange.SigValid:
		return "✓"
	case exchange.SigInvalid:
		return "✗"
	case exchange.SigMissing:
		return "–"
	}
	return "?"
}

// SigBadge is the signature badge: mark and word, "✓ valid".
func SigBadge(s exchange.SignatureStatus) string { return SigMark(s) + " " + SigWord(s) }

// SigBadgeWidth is the widest badge in cells, so a column lines up.
const SigBadgeWidth = len("? unchecked")

// SigFilterWords are the words a filter (the live view's sig:, in the
// order help lists them) takes for each verdict; the first is canonical.
var SigFilterWords = []struct {
	Status exchange.SignatureStatus
	Words  []string
}{
	{exchange.SigValid, []string{"valid", "ok"}},
	{exchange.SigInvalid, []string{"invalid", "bad"}},
	{exchange.SigMissing, []string{"unsigned", "missing", "none"}},
	{exchange.SigUnchecked, []string{"unchecked", "nokey", "no-key"}},
}

// ParseSig reads a filter word for a verdict, case-insensitively.
func ParseSig(w string) (exchange.SignatureStatus, bool) {
	for _, f := range SigFilterWords {
		for _, word := range f.Words {
			if strings.EqualFold(w, word) {
				return f.Status, true
			}
		}
	}
	return "", false
}

// SigFilterWord is the canonical filter word for s.
func SigFilterWord(s exchange.SignatureStatus) string {
	for _, f := range SigFilterWords {
		if f.Status == s {
			return f.Words[0]
		}
	}
	return string(s)
}

// StatusText is the handler's answer as a status column shows it: the
// code, "ERR" when no answer came (unreachable, timed out, cut), "" when
// nothing was recorded (each surface shows its own placeholder).
func StatusText(r exchange.Response) string {
	return string(AppendStatusText(nil, r))
}

// AppendStatusText is StatusText appended to b, for the plain log's hot
// path.
func AppendStatusText(b []byte, r exchange.Response) []byte {
	switch {
	case r.Status != 0:
		return strconv.AppendInt(b, int64(r.Status), 10)
	case r.Error != "":
		return append(b, "ERR"...)
	}
	return b
}

// StatusErrorMeaning is what the status word "error" selects, in the words
// --help and the README use.
const StatusErrorMeaning = "the handler failed: unreachable, timed out, cut off, or answered 5xx"

// HandlerFailed is the one definition of the status word "error" (the live
// view's status:error, `list --status error`, the header's "handler
// errors"): the handler could not be reached or failed on the way, or it
// answered 5xx — either way SignalWire would take the fallback path.
func HandlerFailed(r exchange.Response) bool {
	return r.Error != "" || r.Status >= 500
}

// CheckMark flags a handler answer SignalWire will not like: "⚠" it may be
// refused, "✗" it is refused; " " otherwise, so a column keeps its width.
func CheckMark(c exchange.CheckStatus) string {
	switch c {
	case exchange.CheckWarning:
		return "⚠"
	case exchange.CheckError:
		return "✗"
	}
	return " "
}

// CheckWord is the answer check's verdict as a word: "warning" (SignalWire
// may refuse it), "REFUSED" (it will); "" when there is nothing to say.
func CheckWord(c exchange.CheckStatus) string {
	switch c {
	case exchange.CheckWarning:
		return "warning"
	case exchange.CheckError:
		return "REFUSED"
	}
	return ""
}

// CheckBadge is mark and word, "⚠ warning"; "" when there is nothing to say.
func CheckBadge(c exchange.CheckStatus) string {
	if w := CheckWord(c); w != "" {
		return CheckMark(c) + " " + w
	}
	return ""
}

// Legend defines every word above once, for --help (and it is what the
// README's "The live view" section says).
const Legend = `Signature:  ✓ valid      the signature matches your signing key
            ✗ INVALID    it does not ('swhook show ID' says why)
            – unsigned   no signature header: not from SignalWire, or a proxy dropped it
            ? unchecked  not checked: no signing key, or the body was over --max-body
Status:     the handler's code; ERR when no answer came. "error" (--status error,
            status:error in the live view, "handler errors" in its header) means
            ` + StatusErrorMeaning + `
Check:      ⚠ warning    SignalWire may refuse the answer
            ✗ REFUSED    SignalWire refuses it (e.g. a cXML document parse error)`
