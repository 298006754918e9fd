package theme

import (
	"strconv"

	"charm.land/lipgloss/v2"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/human"
)

// SigWidth is the widest signature badge, so the column lines up.
const SigWidth = human.SigBadgeWidth

// SigStyle is the badge's colour.
func (st Styles) SigStyle(s exchange.SignatureStatus) lipgloss.Style {
	switch s {
	case exchange.SigValid:
		return st.SigValid
	case exchange.SigInvalid:
		return st.SigInvalid
	case exchange.SigMissing:
		return st.SigMissing
	}
	return st.SigNoKey
}

// StatusStyle colours a status by class.
func (st Styles) StatusStyle(r exchange.Response) lipgloss.Style {
	switch {
	case r.Error != "" && r.Status == 0:
		return st.StatusError
	case r.Status >= 500:
		return st.Status5xx
	case r.Status >= 400:
		return st.Status4xx
	case r.Status >= 300:
		return st.Status3xx
	case r.Status >= 200:
		return st.Status2xx
	}
	return st.Dim
}

// TriggerMark marks a row `swhook trigger` sent. With the replay mark it
// tells the copy swhook sent from the copy a running listen received of the
// same request, which otherwise look like duplicates. It is two cells wide,
// and measured so, like every East Asian wide symbol.
const TriggerMark = "⚡"

// CallMark marks a row `swhook call` or `swhook message` sent (one cell).
const CallMark = "☎"

// SentMark is the mark (in its own narrow column) of a row swhook sent itself:
// ↻#N for a replay of #N, ⚡ for a trigger, ☎ for an emulated call or
// message; "" for a received row.
func SentMark(x *exchange.Exchange) string {
	switch {
	case x.ReplayOf != 0:
		return "↻#" + strconv.FormatInt(x.ReplayOf, 10)
	case x.Source == exchange.SourceReplay:
		return "↻"
	case x.Source == exchange.SourceTrigger:
		return TriggerMark
	case x.Source == exchange.SourceCall:
		return CallMark
	}
	return ""
}

// SentBy says which command sent a row swhook sent itself, in the words the
// plain log uses; "" for a received row.
func SentBy(x *exchange.Exchange) string {
	switch {
	case x.ReplayOf != 0:
		return "sent by swhook replay of #" + strconv.FormatInt(x.ReplayOf, 10)
	case x.Source == exchange.SourceReplay:
		return "sent by swhook replay"
	case x.Source == exchange.SourceTrigger:
		return "sent by swhook trigger"
	case x.Source == exchange.SourceCall:
		return "sent by swhook call (or message)"
	}
	return ""
}

// StatusText is the response status as the live view shows it: the
// vocabulary's word (inspect/human), "—" when nothing answered yet.
func StatusText(r exchange.Response) string {
	if s := human.StatusText(r); s != "" {
		return s
	}
	return "—"
}
