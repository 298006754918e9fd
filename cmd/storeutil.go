package cmd

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/store"
)

// openStore opens the store named by --store (flag), $SWHOOK_STORE or the
// default location.
func openStore(ctx context.Context, f *cmdutil.Factory, flag string, opts store.Options) (*store.Store, error) {
	path, err := cmdutil.StorePath(flag, f.Getenv)
	if err != nil {
		return nil, err
	}
	if opts.Now == nil {
		opts.Now = f.Now
	}
	st, err := store.Open(ctx, path, opts)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return st, nil
}

// parseExchangeRef reads "ID" or "last" as a person types it (a leading #
// is allowed, as the list shows IDs that way).
func parseExchangeRef(ref string) (id int64, last bool, err error) {
	ref = strings.TrimPrefix(strings.TrimSpace(ref), "#")
	if strings.EqualFold(ref, "last") {
		return 0, true, nil
	}
	id, perr := strconv.ParseInt(ref, 10, 64)
	if perr != nil || id <= 0 {
		return 0, false, cmdutil.UsageErrorf("%q is not an exchange: give an ID from 'swhook list' or 'last'", ref)
	}
	return id, false, nil
}

// loadExchange fetches the exchange ref names, with an error that says what
// to do when there is none.
func loadExchange(ctx context.Context, st *store.Store, ref string) (*exchange.Exchange, error) {
	id, last, err := parseExchangeRef(ref)
	if err != nil {
		return nil, err
	}
	var x *exchange.Exchange
	if last {
		x, err = st.Last(ctx)
	} else {
		x, err = st.Get(ctx, id)
	}
	if errors.Is(err, store.ErrNotFound) {
		if last {
			return nil, errors.New("the store is empty: run 'swhook listen' and send a webhook first")
		}
		return nil, fmt.Errorf("no exchange #%d: 'swhook list' shows the IDs there are", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read exchange %s: %w", ref, err)
	}
	return x, nil
}

// openExistingStore is openStore for commands that only read or clear: a
// store that does not exist yet is not created (no directory tree appears
// because someone ran `swhook list`); the error then wraps store.ErrNoStore.
func openExistingStore(ctx context.Context, f *cmdutil.Factory, flag string) (*store.Store, error) {
	path, err := cmdutil.StorePath(flag, f.Getenv)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, path, store.Options{Now: f.Now, MustExist: true})
	if err != nil {
		if errors.Is(err, store.ErrNoStore) {
			return nil, err
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return st, nil
}

// noExchangesHint is what read commands say when there is nothing stored.
const noExchangesHint = "no exchanges yet: run 'swhook listen' (or 'swhook trigger EVENT --to URL') and send a webhook"
