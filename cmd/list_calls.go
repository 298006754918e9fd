package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"charm.land/lipgloss/v2"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/human"
	"github.com/swhook/swhook/inspect/store"
	"github.com/swhook/swhook/inspect/termsafe"
	"github.com/swhook/swhook/inspect/timeline"
)

// callQuery is the list filters as a store query (for --calls: a call is
// listed when any of its webhooks matches).
func (opts *ListOptions) query() store.Query {
	q := store.Query{Kind: opts.Event, Status: opts.Status, Summary: true}
	if opts.Invalid {
		q.Signature = string(exchange.SigInvalid)
	}
	return q
}

// runListCall prints one call's webhooks, oldest first, as its timeline.
func runListCall(ctx context.Context, st *store.Store, opts *ListOptions) error {
	c, err := st.CallOf(ctx, opts.Call)
	if errors.Is(err, store.ErrNotFound) {
		if opts.JSON {
			io.WriteString(opts.IO.Out, "[]\n")
		}
		return fmt.Errorf("%w (swhook list --calls names them)", err)
	}
	if err != nil {
		return err
	}
	xs, err := wholeCall(ctx, st, c)
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(opts.IO.Out, xs)
	}
	writeTimeline(opts.IO.Out, c.ID, xs, opts.IO.ColorEnabled())
	return nil
}

// wholeCall is c's webhooks whole, oldest first: a Call holds summaries,
// and a timeline's step labels read the parameters.
func wholeCall(ctx context.Context, st *store.Store, c *store.Call) ([]*exchange.Exchange, error) {
	ids := make([]int64, len(c.Exchanges))
	for i, x := range c.Exchanges {
		ids[i] = x.ID
	}
	xs, err := st.List(ctx, store.Query{IDs: ids})
	if err != nil {
		return nil, err
	}
	slices.Reverse(xs) // List is newest first
	return xs, nil
}

// writeTimeline is a call as `list --call` prints it: a line about the
// call, then each webhook with the time since the call began; a child
// leg's webhooks are indented under the call.
func writeTimeline(w io.Writer, id string, xs []*exchange.Exchange, color bool) {
	sum := timeline.Summarize(id, xs)
	fmt.Fprintf(w, "call %s: %s over %s, %s; worst: %s\n", termsafe.String(id), plural(sum.Steps, "webhook"),
		lastedText(sum.Duration), sum.Final, sum.Worst)
	header := []string{"+TIME", "ID", "STEP", "SIG", "STATUS", "DURATION", "CHECK"}
	var rows [][]cell
	for _, s := range timeline.Steps(xs) {
		sig, sigColor := sigBadge(s.X.Signature.Status)
		status, statusColor := statusText(s.X.Response)
		check, checkColor := checkText(s.X.ResponseCheck.Status)
		label := s.Label
		if s.Leg {
			label = "  ↳ " + label + " (leg " + termsafe.String(timeline.Short(s.X.Call.ID)) + ")"
		}
		if mark := sentMark(s.X); mark != "" {
			label = mark + " " + label
		}
		rows = append(rows, []cell{
			{text: "+" + sinceText(s.Since), sgr: sgrDim},
			{text: fmt.Sprintf("%d", s.X.ID)},
			{text: truncate(label, 60)},
			{text: sig, sgr: sigColor},
			{text: status, sgr: statusColor},
			{text: durationText(s.X.Response)},
			{text: check, sgr: checkColor},
		})
	}
	writeCells(w, header, rows, color)
}

// runListCalls prints one line per call, newest first.
func runListCalls(ctx context.Context, st *store.Store, opts *ListOptions) error {
	limit := opts.Limit
	if limit == 0 {
		limit = 1 << 30
	}
	var calls []*store.Call
	q := opts.query()
	for len(calls) < limit {
		page, err := st.Calls(ctx, q, min(limit-len(calls), 500))
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		calls = append(calls, page...)
		q.BeforeID = page[len(page)-1].NewestID()
	}
	sums := make([]timeline.Summary, len(calls))
	for i, c := range calls {
		sums[i] = timeline.Summarize(c.ID, c.Exchanges)
	}
	if opts.JSON {
		type callJSON struct {
			ID         string    `json:"id"`
			Steps      int       `json:"steps"`
			Start      time.Time `json:"start"`
			DurationMS float64   `json:"duration_ms"`
			Final      string    `json:"final"`
			Worst      string    `json:"worst"`
			NewestID   int64     `json:"newest_id"`
		}
		out := make([]callJSON, len(sums))
		for i, s := range sums {
			out[i] = callJSON{s.ID, s.Steps, s.Start, float64(s.Duration) / float64(time.Millisecond), s.Final, s.Worst, s.NewestID}
		}
		return writeJSON(opts.IO.Out, out)
	}
	if len(sums) == 0 {
		fmt.Fprintln(opts.IO.ErrOut, "no calls (no webhook in the store names a CallSid, call_id or MessageSid)")
		return nil
	}
	now := time.Now()
	if opts.Now != nil {
		now = opts.Now()
	}
	header := []string{"CALL", "STARTED", "STEPS", "LASTED", "FINAL", "WORST"}
	rows := make([][]cell, 0, len(sums))
	for _, s := range sums {
		worstColor := sgrGreen
		if s.Worst != "✓" {
			worstColor = sgrRedB
		}
		rows = append(rows, []cell{
			{text: termsafe.String(s.ID)},
			{text: formatTime(s.Start, now), sgr: sgrDim},
			{text: fmt.Sprintf("%d", s.Steps)},
			{text: lastedText(s.Duration)},
			{text: truncate(s.Final, 30)},
			{text: s.Worst, sgr: worstColor},
		})
	}
	writeCells(opts.IO.Out, header, rows, opts.IO.ColorEnabled())
	return nil
}

func sinceText(d time.Duration) string {
	return fmt.Sprintf("%.1fs", max(d, 0).Seconds())
}

func lastedText(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	return human.Duration(d)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// sentMark is ↻#N / ⚡ for a row swhook sent itself, as the live view
// marks it.
func sentMark(x *exchange.Exchange) string {
	switch {
	case x.ReplayOf != 0:
		return fmt.Sprintf("↻#%d", x.ReplayOf)
	case x.Source == exchange.SourceTrigger:
		return "⚡"
	case x.Source == exchange.SourceCall:
		return "☎"
	}
	return ""
}

// writeCells writes a table: bold header, columns two spaces apart.
func writeCells(w io.Writer, header []string, rows [][]cell, color bool) {
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = len(h)
	}
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], lipgloss.Width(c.text))
		}
	}
	var b strings.Builder
	line := func(cells []cell) {
		last := len(cells) - 1
		for last > 0 && cells[last].text == "" {
			last--
		}
		for i := 0; i <= last; i++ {
			c := cells[i]
			text := c.text
			if color && c.sgr != "" {
				text = "\x1b[" + c.sgr + "m" + text + "\x1b[0m"
			}
			b.WriteString(text)
			if i < last {
				b.WriteString(strings.Repeat(" ", widths[i]-lipgloss.Width(c.text)+2))
			}
		}
		b.WriteByte('\n')
	}
	hc := make([]cell, len(header))
	for i, h := range header {
		hc[i] = cell{text: h, sgr: "1"}
	}
	line(hc)
	for _, r := range rows {
		line(r)
	}
	io.WriteString(w, b.String())
}
