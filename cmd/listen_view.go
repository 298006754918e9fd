package cmd

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"

	tea "charm.land/bubbletea/v2"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/listeners"
	"github.com/swhook/swhook/inspect/store"
	"github.com/swhook/swhook/inspect/termsafe"
	"github.com/swhook/swhook/inspect/tui"
	"github.com/swhook/swhook/tunnel"
)

// liveSession is everything a running listen hands to the view that shows
// it (TUI, plain log lines or NDJSON), so the views stay independent of how
// the pipeline is wired.
type liveSession struct {
	PublicURL string // where to send webhooks; "" when local only
	LocalURL  string // the local listener, e.g. http://127.0.0.1:4747
	Forward   string // the handler, "" when swhook answers itself
	Respond   string // the --respond file, "" for swhook's own answers
	KeySet    bool   // a signing key is configured (never the key itself)
	// LocalWhy is why there is no public URL, in a few words ("" when
	// there is one, or when --no-tunnel asked for none).
	LocalWhy string
	// TunnelWhy is why there is no ngrok tunnel ("--no-tunnel", your own
	// --public-url, no authtoken); "" when there is one.
	TunnelWhy string
	// Notes are one-line remarks a person should read at the start.
	Notes []string

	// Exchanges delivers every new exchange (live traffic and replays other
	// processes stored). The sender never blocks: a slow view misses some,
	// notices the gap in IDs and catches up from Store (inspect.Follow does
	// exactly that). Saves finish concurrently, so IDs can arrive slightly
	// out of order. It is closed after the listeners have stopped.
	Exchanges <-chan *exchange.Exchange
	// Tunnel reports the public tunnel's state changes; nil when there is no
	// tunnel. Initial is its state at start.
	Tunnel <-chan tunnel.Status
	// Warnings are loud lines (a stuck store) to show while the view runs.
	Warnings <-chan string
	// NotSaving is the store's health for the TUI's banner (why it refuses
	// saves, "" once it saves again); Rejected counts requests Go's HTTP
	// server refused. Nil for the log views, which have log lines for both.
	NotSaving     <-chan string
	Rejected      <-chan tui.Rejected
	InitialTunnel tunnel.Status
	// Public is the ngrok tunnel, nil when there is none.
	Public tunnel.Tunnel

	Store *store.Store
	// Listener is this listen's identity (its local URL): the views show
	// the rows it took, not other listeners' on the same store.
	Listener string
	// ListCommand is how to see this session's webhooks afterwards
	// ("swhook list", with --store when one was given).
	ListCommand string
	// After is the highest ID in the store when the session began: the
	// views show what comes after it.
	After int64
	// Replay sends exchange id again to the forward target, re-signed when
	// resign is set, stores the result and returns it; nil when there is no
	// forward target.
	Replay func(ctx context.Context, id int64, resign bool) (*exchange.Exchange, error)
}

// sessionView is how a listen session is shown: the TUI, or plain log
// lines or NDJSON. runListen chooses one at start (newSessionView) and
// never asks again which it has.
type sessionView interface {
	// LogHandler receives the session's warnings while the view runs.
	LogHandler() slog.Handler
	// Notices is where lines a person should read (numbers pointed and
	// restored) go while the view runs.
	Notices() io.Writer
	// Run shows s until the session is over: the TUI until the user quits
	// or ctx ends; the log views until s.Exchanges is closed (after ctx
	// ended and the listeners stopped), so every exchange is written. The
	// session stops when Run returns.
	Run(ctx context.Context, s liveSession) error
	// Rejected reports a request Go's HTTP server refused before the
	// pipeline saw it; it is called from the server, at any time.
	Rejected(r inspect.Rejected)
	// StoreTrouble reports that the store refuses saves (err) or saves
	// again (nil); it is called from the store, at any time, and never
	// waits. The log views have the logger's lines for it already.
	StoreTrouble(err error)
	// Done is called once the session has ended and the store is closed.
	Done()
}

// newSessionView picks the TUI on a terminal (unless --no-tui or --json),
// plain lines or NDJSON otherwise.
func newSessionView(f *cmdutil.Factory, o *ListenOptions) sessionView {
	if f.IOStreams.IsStdoutTTY() && !o.NoTUI && !o.JSON {
		return newTUIView(f)
	}
	return newLogView(f, o.JSON, o.signingKey != "")
}

// tuiView holds the session's warnings while the TUI has the screen (errors
// also reach the view at once) and prints them once it has closed.
type tuiView struct {
	f    *cmdutil.Factory
	held *tailBuffer
	loud chan string
	h    slog.Handler

	// notSaving and rejected hold only the latest state (capacity 1,
	// replaced under mu), so the store and the server never wait for the
	// view, and the view never shows a stale banner or count.
	mu        sync.Mutex
	notSaving chan string
	rejected  chan tui.Rejected
	nRejected int
	// opts are extra program options (tests fix the window size).
	opts []tea.ProgramOption
}

func newTUIView(f *cmdutil.Factory) *tuiView {
	v := &tuiView{f: f, held: &tailBuffer{max: 50}, loud: make(chan string, 16),
		notSaving: make(chan string, 1), rejected: make(chan tui.Rejected, 1)}
	v.h = newLoudHandler(slog.NewTextHandler(v.held, &slog.HandlerOptions{Level: slog.LevelWarn}), v.loud)
	return v
}

func (v *tuiView) LogHandler() slog.Handler { return v.h }
func (v *tuiView) Notices() io.Writer       { return v.held }

func (v *tuiView) Run(ctx context.Context, s liveSession) error {
	s.Warnings = v.loud
	s.NotSaving = v.notSaving
	s.Rejected = v.rejected
	return runTUIWith(ctx, v.f, s, v.opts...)
}

// Rejected counts in the header, shows in the status line at once and
// stays in the warnings printed after the view closes.
func (v *tuiView) Rejected(r inspect.Rejected) {
	line := fmt.Sprintf("REJECTED %s from %s: refused by Go's HTTP server before swhook saw it, not stored",
		termsafe.String(r.Reason), termsafe.String(r.Peer))
	fmt.Fprintln(v.held, r.Time.Format("15:04:05.000")+" "+line)
	v.mu.Lock()
	defer v.mu.Unlock()
	v.nRejected++
	replaceLatest(v.rejected, tui.Rejected{Count: v.nRejected, Time: r.Time, Peer: r.Peer, Status: r.Status, Reason: r.Reason})
}

// StoreTrouble puts up the header's NOT SAVING banner, or takes it down.
func (v *tuiView) StoreTrouble(err error) {
	why := ""
	if err != nil {
		why = err.Error()
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	replaceLatest(v.notSaving, why)
}

// replaceLatest leaves x as the only value in ch (capacity 1); the caller
// holds the lock every sender takes, so the send never waits.
func replaceLatest[T any](ch chan T, x T) {
	select {
	case <-ch:
	default:
	}
	ch <- x
}

func (v *tuiView) Done() {
	if lines := v.held.Lines(); len(lines) > 0 {
		fmt.Fprintf(v.f.IOStreams.ErrOut, "swhook: %d warning(s) while the live view was open:\n", v.held.Total())
		for _, l := range lines {
			fmt.Fprintln(v.f.IOStreams.ErrOut, "  "+l)
		}
	}
}

// shellWord quotes s for a POSIX shell when it needs it, so a command
// printed for a person to paste runs as shown.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ownRows is the store as one listener sees it: its own rows only, so
// catching up after a gap (the feed, the plain log, the view's pages) never
// brings in other listeners' traffic. An empty listener means every row.
type ownRows struct {
	st       *store.Store
	listener string
}

func (o ownRows) LatestID(ctx context.Context) (int64, error) { return o.st.LatestID(ctx) }

func (o ownRows) List(ctx context.Context, q store.Query) ([]*exchange.Exchange, error) {
	q.Listener = o.listener
	return o.st.List(ctx, q)
}

func regToken(r *listeners.Registration) string {
	if r == nil {
		return ""
	}
	return r.Info.Token
}
