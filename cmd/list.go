package cmd

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect/classify"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/human"
	"github.com/swhook/swhook/inspect/store"
	"github.com/swhook/swhook/inspect/termsafe"
)

// ListOptions holds what `swhook list` was asked to do.
type ListOptions struct {
	IO        *cmdutil.IOStreams
	Now       func() time.Time
	StorePath string
	Limit     int
	JSON      bool
	Event     string
	Status    string
	Invalid   bool
	// Call lists one call's webhooks (an ID, a prefix of one, or last);
	// Calls lists one line per call.
	Call  string
	Calls bool
}

// NewCmdList builds `swhook list`. runF replaces the run in tests of
// flag parsing; nil means the real run.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List captured exchanges, newest first",
		Long: `List captured exchanges, newest first: when, where from, what event, whether
its signature is valid, and what your handler answered.

--json prints a JSON array of whole exchanges (bodies included, in the shape
docs/exchange.md documents), [] when there are none; the filters apply to it too.

What the columns say (the live view, the plain log and show use the same words):
` + human.Legend,
		Example: `  swhook list
  swhook list --event call --status 5xx
  swhook list --invalid --limit 0
  swhook list --json --limit 1 | jq '.[0].request.headers'
  swhook list --calls
  swhook list --call last`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Limit < 0 {
				return cmdutil.UsageErrorf("--limit must be 0 (all) or more, got %d", opts.Limit)
			}
			if opts.Status != "" {
				if err := store.CheckStatusFilter(opts.Status); err != nil {
					return cmdutil.UsageErrorf("--%s", err)
				}
			}
			if opts.Call != "" && opts.Calls {
				return cmdutil.UsageErrorf("--call shows one call, --calls one line per call: give one of them")
			}
			if err := checkEventWord(opts.Event); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runList(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().IntVarP(&opts.Limit, "limit", "n", 20, "show at most N exchanges (0 = all)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print a JSON array of whole exchanges")
	cmd.Flags().StringVar(&opts.Event, "event", "", eventFlagHelp)
	cmd.Flags().StringVar(&opts.Status, "status", "", "only this handler status: a code (404), a class (5xx) or error ("+human.StatusErrorMeaning+")")
	cmd.Flags().BoolVar(&opts.Invalid, "invalid", false, "only exchanges whose signature is invalid")
	cmd.Flags().StringVar(&opts.Call, "call", "", "one call's webhooks, oldest first, as a timeline: a call ID (CallSid, call_id, MessageSid; a unique prefix will do) or last")
	cmd.Flags().BoolVar(&opts.Calls, "calls", false, "one line per call, newest first (the filters pick calls with any matching webhook)")
	cmdutil.AddStoreFlag(cmd, &opts.StorePath)
	return cmd
}

// kindKnown accepts an event kind or a dotted prefix of one ("call",
// "relay.call"), the same matching the store does.
func kindKnown(k string) bool {
	k = strings.TrimSuffix(k, ".")
	for _, kind := range exchange.Kinds {
		if string(kind) == k || strings.HasPrefix(string(kind), k+".") {
			return true
		}
	}
	return false
}

// eventFlagHelp is --event's help, for list and export alike.
const eventFlagHelp = "only this event: a kind, a prefix such as call for call.*, or a detail such as ringing (as event: in the live view)"

// eventQuery is --event as the store reads it: a kind or kind prefix, else
// a detail word ("ringing", "delivered"), as the live view's event: takes.
func eventQuery(q *store.Query, word string) {
	if word == "" {
		return
	}
	if kindKnown(word) || !classify.IsDetail(word) {
		q.Kind = word
	} else {
		q.Detail = word
	}
}

// checkEventWord rejects an --event that is neither a kind (or prefix) nor
// a detail SignalWire sends.
func checkEventWord(w string) error {
	if w == "" || kindKnown(w) || classify.IsDetail(w) {
		return nil
	}
	return cmdutil.UsageErrorf("--event %q is not an event kind or detail: use one of %s, a prefix such as call, or a detail such as ringing", w, kindList())
}

func kindList() string {
	s := make([]string, len(exchange.Kinds))
	for i, k := range exchange.Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

func runList(ctx context.Context, f *cmdutil.Factory, opts *ListOptions) error {
	st, err := openExistingStore(ctx, f, opts.StorePath)
	if errors.Is(err, store.ErrNoStore) {
		return listEmpty(opts, false)
	}
	if err != nil {
		return err
	}
	defer st.Close()
	switch {
	case opts.Call != "":
		return runListCall(ctx, st, opts)
	case opts.Calls:
		return runListCalls(ctx, st, opts)
	}

	q := store.Query{
		Limit:   opts.Limit,
		Status:  opts.Status,
		Summary: !opts.JSON,
	}
	eventQuery(&q, opts.Event)
	if opts.Invalid {
		q.Signature = string(exchange.SigInvalid)
	}
	xs, err := st.List(ctx, q)
	if err != nil {
		return err
	}
	if len(xs) == 0 {
		filtered := opts.Event != "" || opts.Status != "" || opts.Invalid
		if filtered {
			if n, err := st.Count(ctx, store.Query{}); err == nil && n == 0 {
				filtered = false
			}
		}
		return listEmpty(opts, filtered)
	}
	if opts.JSON {
		return writeJSON(opts.IO.Out, xs)
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	writeTable(opts.IO.Out, xs, now(), opts.IO.ColorEnabled())
	if opts.Limit > 0 && len(xs) == opts.Limit {
		q.Limit = 0
		if n, err := st.Count(ctx, q); err == nil && n > len(xs) {
			fmt.Fprintf(opts.IO.ErrOut, "showing the newest %d of %d; --limit 0 shows all\n", len(xs), n)
		}
	}
	return nil
}

func listEmpty(opts *ListOptions, filtered bool) error {
	if opts.JSON {
		_, err := io.WriteString(opts.IO.Out, "[]\n")
		return err
	}
	if filtered {
		fmt.Fprintln(opts.IO.ErrOut, "no exchanges match these filters")
	} else {
		fmt.Fprintln(opts.IO.ErrOut, noExchangesHint)
	}
	return nil
}

// writeJSON prints v as indented JSON, terminal-safe: C1 and bidi controls
// a sender put in a header or body are \u escapes (exchange.EscapeControls).
func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(exchange.EscapeControls(b), '\n'))
	return err
}

// Column widths beyond which a cell is cut: a path or event chosen by a
// sender must not push the table off the screen.
const (
	maxPathWidth  = 40
	maxEventWidth = 32
)

// writeTable prints the exchanges as aligned columns. Widths are measured
// on the visible text, so colour codes never skew the alignment.
func writeTable(w io.Writer, xs []*exchange.Exchange, now time.Time, color bool) {
	header := []string{"ID", "TIME", "SOURCE", "METHOD", "PATH", "EVENT", "SIG", "STATUS", "DURATION", "CHECK", "LISTENER"}
	rows := make([][]cell, 0, len(xs))
	for _, x := range xs {
		rows = append(rows, listRow(x, now))
	}
	writeCells(w, header, rows, color)
}

// cell is one table cell: its visible text and the SGR colour it gets on a
// colour terminal.
type cell struct {
	text, sgr string
}

const (
	sgrRed    = "31"
	sgrRedB   = "1;31"
	sgrGreen  = "32"
	sgrYellow = "33"
	sgrDim    = "2"
)

func listRow(x *exchange.Exchange, now time.Time) []cell {
	source := string(x.Source)
	if x.ReplayOf > 0 {
		source += fmt.Sprintf(" #%d", x.ReplayOf)
	}
	event := string(x.Event.Kind)
	if x.Event.Detail != "" {
		event += " " + x.Event.Detail
	}
	sig, sigColor := sigBadge(x.Signature.Status)
	status, statusColor := statusText(x.Response)
	check, checkColor := checkText(x.ResponseCheck.Status)
	return []cell{
		{text: fmt.Sprintf("%d", x.ID)},
		{text: formatTime(x.Time, now), sgr: sgrDim},
		{text: termsafe.String(source)},
		{text: termsafe.String(x.Request.Method)},
		{text: truncate(termsafe.String(pathWithQuery(x.Request)), maxPathWidth)},
		{text: truncate(termsafe.String(event), maxEventWidth)},
		{text: sig, sgr: sigColor},
		{text: status, sgr: statusColor},
		{text: durationText(x.Response)},
		{text: check, sgr: checkColor},
		{text: termsafe.String(listenerText(x)), sgr: sgrDim},
	}
}

// pathWithQuery is the PATH column: the path and its query string, as the
// live view shows them (a GET webhook's parameters are all in the query).
func pathWithQuery(r exchange.Request) string {
	if r.Query == "" {
		return r.Path
	}
	return r.Path + "?" + r.Query
}

// listenerText says which listen took a row and where it forwards it
// ("127.0.0.1:4747 → localhost:3000"); "" for a row sent straight to a
// handler.
func listenerText(x *exchange.Exchange) string {
	if x.Listener == "" {
		return ""
	}
	s := bareURL(x.Listener) + " → "
	if x.Forward == "" {
		return s + "swhook's own answer"
	}
	return s + bareURL(x.Forward)
}

func bareURL(u string) string {
	if _, rest, ok := strings.Cut(u, "://"); ok {
		u = rest
	}
	return strings.TrimSuffix(u, "/")
}

// sigBadge is the signature badge in the vocabulary every view shares
// (inspect/human), with its colour: loud when it matters.
func sigBadge(s exchange.SignatureStatus) (string, string) {
	sgr := ""
	switch s {
	case exchange.SigValid:
		sgr = sgrGreen
	case exchange.SigInvalid:
		sgr = sgrRedB
	case exchange.SigMissing:
		sgr = sgrYellow
	case exchange.SigUnchecked:
		sgr = sgrDim
	}
	return human.SigBadge(s), sgr
}

// statusText is the handler's status in the shared vocabulary, "-" when
// nothing was recorded, red when the handler failed (human.HandlerFailed).
func statusText(r exchange.Response) (string, string) {
	s := cmp.Or(human.StatusText(r), "-")
	switch {
	case r.Error != "":
		return s, sgrRedB
	case r.Status >= 500:
		return s, sgrRed
	case r.Status >= 400:
		return s, sgrYellow
	}
	return s, ""
}

// checkText is the answer check's badge in the shared vocabulary.
func checkText(c exchange.CheckStatus) (string, string) {
	switch c {
	case exchange.CheckWarning:
		return human.CheckBadge(c), sgrYellow
	case exchange.CheckError:
		return human.CheckBadge(c), sgrRedB
	}
	return "", ""
}

// formatTime shows the local wall clock, with the date only when it is not
// today; "local" is the zone of the injected clock, so tests are stable.
func formatTime(t, now time.Time) string {
	if t.IsZero() {
		return "-"
	}
	t = t.In(now.Location())
	if y, m, d := t.Date(); y == now.Year() && m == now.Month() && d == now.Day() {
		return t.Format("15:04:05")
	}
	return t.Format("2006-01-02 15:04:05")
}

// durationText is the handler's time as every command writes it (the live
// view too), "-" when nothing was measured.
func durationText(r exchange.Response) string {
	return cmp.Or(human.Duration(r.Duration()), "-")
}

// truncate cuts s to n visible runes, marking the cut with "…".
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
