package cmd

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/listeners"
	"github.com/swhook/swhook/inspect/store"
)

// runningListeners are the `swhook listen`s running on the store the
// command uses (none when the registry cannot be read).
func runningListeners(f *cmdutil.Factory, storeFlag string) []listeners.Info {
	path, err := cmdutil.StorePath(storeFlag, f.Getenv)
	if err != nil {
		return nil
	}
	running, _ := listeners.Running(path)
	return running
}

// defaultTo is where a command without --to sends: the one listen running
// on the store. Several, or none, is a usage error that says what to pass.
func defaultTo(running []listeners.Info) (string, error) {
	switch len(running) {
	case 1:
		return strings.TrimSuffix(running[0].LocalURL, "/") + "/", nil
	case 0:
		return "", cmdutil.UsageErrorf("--to URL is required: no swhook listen is running on this store to send to (start one, or pass --to your handler's URL)")
	}
	urls := make([]string, len(running))
	for i, l := range running {
		urls[i] = l.LocalURL
	}
	return "", cmdutil.UsageErrorf("--to URL is required: %d listeners run on this store; pass --to one of %s", len(running), strings.Join(urls, ", "))
}

// sentByFor is the X-Swhook-Sent-By value for a send to target when it is
// a running listen on this store ("" otherwise: a handler gets nothing
// extra).
func sentByFor(running []listeners.Info, target string, source exchange.Source, replayOf int64) string {
	l, ok := listeners.For(running, target)
	if !ok {
		return ""
	}
	return listeners.SentBy(l.Token, source, replayOf)
}

// adoptWait bounds how long a sender waits for the listener's row to reach
// the store (the listener indexes its journal a few times a second).
const adoptWait = 3 * time.Second

// adoptListenerRow: when a running listen on this store took what the
// command sent (its answer names the row, X-Swhook-Id), that row is the
// webhook's one record; the sender stores no copy and reports the
// listener's row. ok is false when no listener took it (the sender then
// stores x itself).
func adoptListenerRow(ctx context.Context, st *store.Store, x *exchange.Exchange) (*exchange.Exchange, bool) {
	v := x.Response.Headers.Get(listeners.HeaderID)
	if v == "" {
		return x, false
	}
	x.Response.Headers.Del(listeners.HeaderID)
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return x, false
	}
	deadline := time.Now().Add(adoptWait)
	for {
		row, err := st.Get(ctx, id)
		if err == nil {
			return row, true
		}
		if !errors.Is(err, store.ErrNotFound) || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Not indexed yet: what the sender saw, under the listener's number.
	x.ID = id
	return x, true
}

// listenerSaver keeps what a command sends once: a request a running
// listen on this store took is that listener's row (its ID is adopted);
// anything else is saved. Commands that send many requests (call,
// message) store through it.
type listenerSaver struct{ st *store.Store }

func (l listenerSaver) Save(ctx context.Context, x *exchange.Exchange) error {
	if row, ok := adoptListenerRow(ctx, l.st, x); ok {
		x.ID = row.ID
		return nil
	}
	return l.st.Save(ctx, x)
}

// listenerMark is the X-Swhook-Sent-By header for each request of a call
// or message that goes to a running listen on this store.
func listenerMark(running []listeners.Info, source exchange.Source) func(string) http.Header {
	if len(running) == 0 {
		return nil
	}
	return func(target string) http.Header {
		v := sentByFor(running, target, source, 0)
		if v == "" {
			return nil
		}
		return http.Header{listeners.HeaderSentBy: {v}}
	}
}
