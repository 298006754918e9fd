package cmd

import (
	"context"
	"strings"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/listeners"
	"github.com/swhook/swhook/inspect/store"
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
	Warnings      <-chan string
	InitialTunnel tunnel.Status

	Store *store.Store
	// Listener is this listen's identity (its local URL): the view shows
	// the rows it took, not other listeners' on the same store.
	Listener string
	// ListCommand is how to see this session's webhooks afterwards
	// ("swhook list", with --store when one was given).
	ListCommand string
	// Replay sends exchange id again to the forward target, re-signed when
	// resign is set, stores the result and returns it; nil when there is no
	// forward target.
	Replay func(ctx context.Context, id int64, resign bool) (*exchange.Exchange, error)
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
// brings in other listeners' traffic.
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
