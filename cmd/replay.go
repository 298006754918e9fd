package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/listeners"
	"github.com/swhook/swhook/inspect/store"
	"github.com/swhook/swhook/inspect/termsafe"
	"github.com/swhook/swhook/replay"
)

// ReplayOptions holds what `swhook replay` was asked to do.
type ReplayOptions struct {
	IO         *cmdutil.IOStreams
	Ref        string // ID or "last"; empty with --failed
	To         string
	Resign     bool
	SignURL    string
	SigningKey string
	Set        []replay.Assignment
	Headers    []replay.Assignment
	JSON       bool
	Failed     bool
	// Call replays one call's webhooks in order (an ID, a prefix, or
	// last), with their original spacing unless Fast.
	Call      string
	Fast      bool
	Since     time.Duration
	StorePath string
}

// NewCmdReplay builds `swhook replay`. runF replaces the run in tests of
// flag parsing; nil means the real run.
func NewCmdReplay(f *cmdutil.Factory, runF func(*ReplayOptions) error) *cobra.Command {
	opts := &ReplayOptions{IO: f.IOStreams}
	var sets, headers []string
	var since string
	cmd := &cobra.Command{
		Use:   "replay ID|last",
		Short: "Send a captured webhook again, as captured or re-signed",
		Long: `Send a captured webhook again: same method, path, query, headers and body
bytes, to the handler it was forwarded to or to --to.

--to takes a base URL (http://localhost:3000), to which the original path and
query are appended, or a full URL whose path replaces the original's (the
original query is kept unless --to has its own).

Without --resign the captured signature is sent unchanged, and swhook says
whether it will verify at the target. --resign signs again for the URL your
handler checks: the target URL, or --sign-url (usually your public URL).
An edited body (--set) is re-signed whenever the signing key is known.
Like listen's forward, a replay presents the URL the handler should verify
in Host and X-Forwarded-Proto/-Host: the original URL when sent as captured,
the signed URL when re-signed.

Every replay is stored as a new exchange; a running 'swhook listen' shows it.`,
		Example: `  swhook replay last
  swhook replay 12 --to http://localhost:3000 --resign
  swhook replay 12 --set CallStatus=completed --header X-Debug=1
  swhook replay 40 --set params.call_state=ended
  swhook replay --failed --since 1h
  swhook replay --call last --fast`,
		Args: cmdutil.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Ref = args[0]
			}
			switch {
			case opts.Call != "" && (opts.Failed || opts.Ref != ""):
				return cmdutil.UsageErrorf("--call replays one call's webhooks: give no ID or --failed with it")
			case opts.Fast && opts.Call == "":
				return cmdutil.UsageErrorf("--fast goes with --call")
			case opts.Call != "":
			case opts.Failed && opts.Ref != "":
				return cmdutil.UsageErrorf("--failed replays every failed exchange: give no ID with it")
			case !opts.Failed && opts.Ref == "":
				return cmdutil.UsageErrorf("which exchange? give an ID from 'swhook list', 'last', or --failed")
			case cmd.Flags().Changed("since") && !opts.Failed:
				return cmdutil.UsageErrorf("--since goes with --failed")
			}
			var err error
			if opts.Set, err = parseAssignments("--set", sets); err != nil {
				return err
			}
			if opts.Headers, err = parseAssignments("--header", headers); err != nil {
				return err
			}
			if since != "" {
				if opts.Since, err = parseSinceDuration(since); err != nil {
					return err
				}
			}
			// A target that cannot be a URL is a usage error, found before
			// the store is opened.
			for _, fl := range []struct{ name, value string }{{"--to", opts.To}, {"--sign-url", opts.SignURL}} {
				if fl.value == "" {
					continue
				}
				if _, err := replay.TargetURL(fl.value, exchange.Request{Path: "/"}); err != nil {
					return cmdutil.UsageErrorf("%s: %v", fl.name, err)
				}
			}
			opts.SigningKey = cmdutil.SigningKey(opts.SigningKey, f.Getenv)
			if opts.Resign && opts.SigningKey == "" {
				return cmdutil.UsageErrorf("--resign needs the signing key: pass --signing-key or set $%s", cmdutil.EnvSigningKey)
			}
			if runF != nil {
				return runF(opts)
			}
			return runReplay(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.To, "to", "", "send here instead of the recorded forward target (base or full URL)")
	fl.BoolVar(&opts.Resign, "resign", false, "recompute the signature for the URL the handler verifies against")
	fl.StringVar(&opts.SignURL, "sign-url", "", "the URL your handler verifies against, to sign for and check at (default: the target URL)")
	fl.StringArrayVar(&sets, "set", nil, "change a form parameter or JSON field (dotted path): Name=Value (repeatable)")
	fl.StringArrayVar(&headers, "header", nil, "set a request header: Name=Value; an empty value removes it (repeatable)")
	fl.BoolVar(&opts.JSON, "json", false, "print the new exchange as JSON")
	fl.BoolVar(&opts.Failed, "failed", false, "replay every exchange whose handler answered an error")
	fl.StringVar(&opts.Call, "call", "", "replay one call's webhooks in order, spaced as they came: its ID (a unique prefix will do) or last")
	fl.BoolVar(&opts.Fast, "fast", false, "with --call: one after another, without the original spacing")
	fl.StringVar(&since, "since", "", "with --failed: only exchanges this recent (e.g. 30m, 2h, 1d)")
	cmdutil.AddStoreFlag(cmd, &opts.StorePath)
	cmdutil.AddSigningKeyFlag(cmd, &opts.SigningKey)
	return cmd
}

func parseAssignments(flag string, in []string) ([]replay.Assignment, error) {
	var out []replay.Assignment
	for _, s := range in {
		a, err := replay.ParseAssignment(s)
		if err != nil {
			return nil, cmdutil.UsageErrorf("%s %v", flag, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// parseSinceDuration reads a look-back window: Go durations plus whole days
// ("1d"), since that is how people think of history.
func parseSinceDuration(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(d); err == nil && n > 0 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, cmdutil.UsageErrorf("--since %q is not a duration: use e.g. 30m, 2h or 1d", s)
	}
	return d, nil
}

func (o *ReplayOptions) replayOptions(f *cmdutil.Factory) replay.Options {
	return replay.Options{
		Target: o.To, Resign: o.Resign, SignURL: o.SignURL, Key: o.SigningKey,
		Set: o.Set, Headers: o.Headers, Now: f.Now,
	}
}

// prepareError turns replay's refusals into what the user should do.
func prepareError(err error) error {
	switch {
	case errors.Is(err, replay.ErrNoTarget):
		return cmdutil.UsageErrorf("%v", err)
	case errors.Is(err, replay.ErrNoKey):
		return cmdutil.UsageErrorf("%v", err)
	}
	return err
}

func runReplay(ctx context.Context, f *cmdutil.Factory, o *ReplayOptions) error {
	st, err := openStore(ctx, f, o.StorePath, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	if o.Failed {
		return runReplayFailed(ctx, f, o, st)
	}
	if o.Call != "" {
		return runReplayCall(ctx, f, o, st)
	}
	orig, err := loadExchange(ctx, st, o.Ref)
	if err != nil {
		return err
	}
	p, err := replay.Prepare(orig, o.replayOptions(f))
	if err != nil {
		return prepareError(err)
	}
	for _, n := range p.Notes {
		fmt.Fprintf(o.IO.ErrOut, "swhook: %s\n", n)
	}
	running := runningListeners(f, o.StorePath)
	markSent(p, running, orig.ID)
	x := p.Do(ctx, f.HTTPClient)
	// Sent to a listen on this store: its row is the one record.
	if row, ok := adoptListenerRow(ctx, st, x); ok {
		x = row
	} else {
		ownedBy(x, orig, o.To)
		if err := st.Save(ctx, x); err != nil {
			return fmt.Errorf("store the replay: %w", err)
		}
	}
	if o.JSON {
		if err := writeJSON(o.IO.Out, x); err != nil {
			return err
		}
	} else {
		writeReplayComparison(o.IO.Out, orig, x, p.Method, p.URL)
	}
	if !replay.OK(x.Response) {
		return cmdutil.ErrSilent
	}
	return nil
}

// writeReplayComparison prints the new answer next to the original one.
func writeReplayComparison(w io.Writer, orig, x *exchange.Exchange, method, target string) {
	fmt.Fprintf(w, "#%d replay of #%d -> %s %s\n", x.ID, orig.ID, termsafe.String(method), termsafe.String(target))
	fmt.Fprintf(w, "%-12s %-24s %s\n", "", "original", "replay")
	status := func(r exchange.Response) string {
		if r.Error != "" {
			return "no answer"
		}
		return replayStatusText(r)
	}
	fmt.Fprintf(w, "%-12s %-24s %s\n", "status", status(orig.Response), status(x.Response))
	fmt.Fprintf(w, "%-12s %-24s %s\n", "duration", durationText(orig.Response), durationText(x.Response))
	// Errors whole, one row each: the cause (connection refused, a
	// timeout) is at the end of the message, where a column would cut it.
	for _, e := range []struct{ who, err string }{{"original", orig.Response.Error}, {"replay", x.Response.Error}} {
		if e.err != "" {
			fmt.Fprintf(w, "%-12s %s: %s\n", "error", e.who, termsafe.String(oneLine(e.err)))
		}
	}
	diff := replay.LineDiff(orig.Response.Body, x.Response.Body)
	if diff == nil {
		// The answers are compared, not the request: --set changed that.
		fmt.Fprintf(w, "%-12s %s\n", "answer body", "unchanged")
		return
	}
	fmt.Fprintf(w, "%-12s %s\n", "answer body", "changed:")
	for _, l := range diff {
		fmt.Fprintf(w, "  %s\n", l)
	}
}

func replayStatusText(r exchange.Response) string {
	if r.Error != "" {
		s := "error: " + termsafe.String(r.Error)
		if len(s) > 60 {
			s = s[:57] + "..."
		}
		return s
	}
	if r.Status == 0 {
		return "-"
	}
	return strconv.Itoa(r.Status)
}

// runReplayFailed replays every failed exchange, oldest first, with a
// progress bar on a terminal and one line each otherwise.
func runReplayFailed(ctx context.Context, f *cmdutil.Factory, o *ReplayOptions, st *store.Store) error {
	q := store.Query{Failed: true}
	if o.Since > 0 {
		q.Since = f.Now().Add(-o.Since)
	}
	list, err := st.List(ctx, q)
	if err != nil {
		return fmt.Errorf("list failed exchanges: %w", err)
	}
	var todo []*exchange.Exchange
	for i := len(list) - 1; i >= 0; i-- {
		// A failed replay is a copy of a failed original, which is replayed
		// itself: sending both would double every callback.
		if list[i].Source != exchange.SourceReplay {
			todo = append(todo, list[i])
		}
	}
	if len(todo) == 0 {
		fmt.Fprintln(o.IO.Out, "no failed exchanges to replay")
		return nil
	}
	tty := o.IO.IsStdoutTTY() && !o.JSON
	running := runningListeners(f, o.StorePath)
	var t replayTally
	var problems []string // on a terminal the bar replaces the lines; failures are listed after it
	for i, orig := range todo {
		if err := ctx.Err(); err != nil {
			return err
		}
		x, err := o.replayOne(ctx, f, st, running, orig)
		line, sent, err := t.add(orig, x, err)
		if err != nil {
			return err
		}
		switch {
		case o.JSON:
			if !sent {
				fmt.Fprintf(o.IO.ErrOut, "swhook: %s\n", line)
			}
		case tty:
			if !strings.HasSuffix(line, " ok") {
				problems = append(problems, line)
			}
			fmt.Fprintf(o.IO.Out, "\r%s", progressBar(i+1, len(todo), 30))
		default:
			fmt.Fprintln(o.IO.Out, line)
		}
	}
	if tty {
		fmt.Fprintln(o.IO.Out)
		for _, l := range problems {
			fmt.Fprintln(o.IO.Out, l)
		}
	}
	return t.end(o, fmt.Sprintf("replayed %d: %d ok, %d failed", len(todo), t.ok, t.failed))
}

// runReplayCall sends a call's webhooks again, oldest first, waiting the
// original gap between them (capped at a minute) unless --fast, and says
// one line per webhook.
func runReplayCall(ctx context.Context, f *cmdutil.Factory, o *ReplayOptions, st *store.Store) error {
	c, err := st.CallOf(ctx, o.Call)
	if err != nil {
		return fmt.Errorf("%w (swhook list --calls names them)", err)
	}
	running := runningListeners(f, o.StorePath)
	var t replayTally
	var prev time.Time
	for i, sum := range c.Exchanges {
		orig, err := st.Get(ctx, sum.ID)
		if err != nil {
			return err
		}
		if i > 0 && !o.Fast {
			gap := min(max(orig.Time.Sub(prev), 0), time.Minute)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(gap):
			}
		}
		prev = orig.Time
		x, err := o.replayOne(ctx, f, st, running, orig)
		line, sent, err := t.add(orig, x, err)
		switch {
		case err != nil:
			return err
		case !sent:
			fmt.Fprintf(o.IO.ErrOut, "swhook: %s\n", line)
		case !o.JSON:
			fmt.Fprintln(o.IO.Out, line)
		}
	}
	return t.end(o, fmt.Sprintf("replayed call %s: %d webhooks, %d ok, %d failed", termsafe.String(c.ID), len(c.Exchanges), t.ok, t.failed))
}

// replayTally is what a batch replay (--failed, --call) counts as it goes:
// the verdicts, and the replays for --json.
type replayTally struct {
	ok, failed int
	results    []*exchange.Exchange
}

// add counts the outcome of replayOne(orig) and says it in a line: "#N -> #M
// STATUS ok|failed" when it was sent (sent), "#N not replayed: why" when
// it could not be prepared, which counts as failed. A store failure (err)
// ends the batch.
func (t *replayTally) add(orig, x *exchange.Exchange, err error) (line string, sent bool, _ error) {
	var prepErr *notReplayedError
	if errors.As(err, &prepErr) {
		t.failed++
		return fmt.Sprintf("#%d not replayed: %s", orig.ID, termsafe.String(prepErr.err.Error())), false, nil
	}
	if err != nil {
		return "", false, err
	}
	t.results = append(t.results, x)
	verdict := "ok"
	if replay.OK(x.Response) {
		t.ok++
	} else {
		t.failed++
		verdict = "failed"
	}
	return fmt.Sprintf("#%d -> #%d %s %s", orig.ID, x.ID, replayStatusText(x.Response), verdict), true, nil
}

// end writes the replays as a JSON array (--json, [] for none) or the
// summary line; exit status 1 (ErrSilent: the lines said why) when any failed.
func (t *replayTally) end(o *ReplayOptions, summary string) error {
	if o.JSON {
		results := t.results
		if results == nil {
			results = []*exchange.Exchange{}
		}
		if err := writeJSON(o.IO.Out, results); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(o.IO.Out, summary)
	}
	if t.failed > 0 {
		return cmdutil.ErrSilent
	}
	return nil
}

// notReplayedError says a webhook could not be prepared for sending: the
// batch goes on and counts it as failed, unlike a store failure, which ends it.
type notReplayedError struct{ err error }

func (e *notReplayedError) Error() string { return e.err.Error() }
func (e *notReplayedError) Unwrap() error { return e.err }

// replayOne sends one captured webhook again and keeps it once: as the
// running listener's row when it went through one, else as a row of its own.
func (o *ReplayOptions) replayOne(ctx context.Context, f *cmdutil.Factory, st *store.Store, running []listeners.Info, orig *exchange.Exchange) (*exchange.Exchange, error) {
	p, err := replay.Prepare(orig, o.replayOptions(f))
	if err != nil {
		return nil, &notReplayedError{err}
	}
	markSent(p, running, orig.ID)
	x := p.Do(ctx, f.HTTPClient)
	if row, adopted := adoptListenerRow(ctx, st, x); adopted {
		return row, nil
	}
	ownedBy(x, orig, o.To)
	if err := st.Save(ctx, x); err != nil {
		return nil, fmt.Errorf("store the replay of #%d: %w", orig.ID, err)
	}
	return x, nil
}

// markSent names the replay in X-Swhook-Sent-By when it goes to a running
// listen on this store, and never resends a mark captured with the
// original (a stale one would make the listener misname the replay).
func markSent(p *replay.Plan, running []listeners.Info, orig int64) {
	p.Header.Del(listeners.HeaderSentBy)
	if v := sentByFor(running, p.URL, exchange.SourceReplay, orig); v != "" {
		p.Header.Set(listeners.HeaderSentBy, v)
	}
}

// ownedBy gives a replay sent to the original's own handler (no --to) the
// original's listener: it is that listener's handler's traffic, so its live
// view shows it (↻#N) as it shows the replays its own keys send.
func ownedBy(x, orig *exchange.Exchange, to string) {
	if to == "" {
		x.Listener = orig.Listener
	}
}

// progressBar draws "[=====>     ] 3/10".
func progressBar(done, total, width int) string {
	filled := done * width / total
	bar := strings.Repeat("=", filled)
	if filled < width {
		bar += ">" + strings.Repeat(" ", width-filled-1)
	}
	return fmt.Sprintf("[%s] %d/%d", bar, done, total)
}

// storeReplayer is what listen's live view calls for its replay keys: load
// exchange id, send it again to its recorded forward target (re-signed for
// that URL when resign is set), store the result and return it. One line
// wires it: ListenView.Replay = storeReplayer(st, f.HTTPClient, key, f.Now, me).
func storeReplayer(st *store.Store, client *http.Client, key string, now func() time.Time, listener string) func(ctx context.Context, id int64, resign bool) (*exchange.Exchange, error) {
	return func(ctx context.Context, id int64, resign bool) (*exchange.Exchange, error) {
		orig, err := st.Get(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("replay #%d: %w", id, err)
		}
		x, err := replay.Send(ctx, client, orig, replay.Options{Resign: resign, Key: key, Now: now})
		if err != nil {
			return nil, fmt.Errorf("replay #%d: %w", id, err)
		}
		x.Listener = listener // sent by this listener's view: one of its own rows
		if err := st.Save(ctx, x); err != nil {
			return nil, fmt.Errorf("store the replay of #%d: %w", id, err)
		}
		return x, nil
	}
}
