package cmd

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/store"
	"github.com/swhook/swhook/inspect/timeline"
	"github.com/swhook/swhook/inspect/tui"
	"github.com/swhook/swhook/inspect/tui/filter"
	"github.com/swhook/swhook/tunnel"
)

// storeSource reads the view's history from the store: summaries for the
// list, one exchange whole for the detail pane.
// With a listener set, only that listener's rows.
type storeSource struct {
	st       *store.Store
	listener string
}

func (s storeSource) List(ctx context.Context, before int64, limit int) ([]*exchange.Exchange, error) {
	return s.st.List(ctx, store.Query{BeforeID: before, Limit: limit, Summary: true, Listener: s.listener})
}

// searchScan bounds how many rows one Search reads looking for matches,
// so a filter that matches nothing answers quickly; the view asks again
// for the next stretch when the user moves up.
const searchScan = 20000

// Search runs the view's filter against the whole store: what the store's
// indexes can select (one signature status, one status class or code, one
// event kind) is a query; the filter decides the rest, a page at a time.
func (s storeSource) Search(ctx context.Context, f filter.Filter, before int64, limit int) ([]*exchange.Exchange, int64, error) {
	q := filterQuery(f, s.listener)
	q.BeforeID = before
	var out []*exchange.Exchange
	for scanned := 0; scanned < searchScan; {
		q.Limit = 1000
		page, err := s.st.List(ctx, q)
		if err != nil {
			return nil, 0, err
		}
		for _, x := range page {
			if f.Match(x) {
				out = append(out, x)
				if len(out) == limit {
					return out, x.ID, nil
				}
			}
		}
		if len(page) < q.Limit {
			return out, 0, nil // the start of the store
		}
		scanned += len(page)
		q.BeforeID = page[len(page)-1].ID
	}
	return out, q.BeforeID, nil
}

// filterQuery is the part of a view filter the store's indexes can
// select: one signature status, one status class or code, one event kind.
// The filter itself decides the rest.
func filterQuery(f filter.Filter, listener string) store.Query {
	q := store.Query{Listener: listener, Summary: true}
	if len(f.Sigs) == 1 {
		q.Signature = string(f.Sigs[0])
	}
	if len(f.Statuses) == 1 && f.Statuses[0] != "error" {
		q.Status = f.Statuses[0]
	}
	if len(f.Events) == 1 && kindKnown(f.Events[0]) {
		q.Kind = f.Events[0]
	}
	return q
}

// Call is one call's webhooks whole, oldest first (the steps are labelled
// from their parameters).
func (s storeSource) Call(ctx context.Context, id string) ([]*exchange.Exchange, error) {
	c, err := s.st.CallOf(ctx, id)
	if err != nil {
		return nil, err
	}
	return wholeCall(ctx, s.st, c)
}

// Calls is a page of this listener's calls, newest first.
func (s storeSource) Calls(ctx context.Context, f filter.Filter, before int64, limit int) ([]timeline.Summary, error) {
	q := filterQuery(f, s.listener)
	q.BeforeID = before
	var out []timeline.Summary
	// Pages until this one is full (the filter may drop calls the store's
	// part selected), within a bound, so a page short of limit means the end.
	for range 20 {
		cs, err := s.st.Calls(ctx, q, limit)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if !f.Empty() && !slices.ContainsFunc(c.Exchanges, f.Match) {
				continue // the store's part matched; the rest of the filter did not
			}
			if out = append(out, timeline.Summarize(c.ID, c.Exchanges)); len(out) == limit {
				return out, nil
			}
		}
		if len(cs) < limit {
			break
		}
		q.BeforeID = cs[len(cs)-1].NewestID()
	}
	return out, nil
}

// ListAfter reads forward from afterID, oldest first (g's jump to the
// oldest row, then paging newer).
func (s storeSource) ListAfter(ctx context.Context, after int64, limit int) ([]*exchange.Exchange, error) {
	return s.st.List(ctx, store.Query{AfterID: after, Limit: limit, Summary: true, Listener: s.listener, Oldest: true})
}

// Oldest is the lowest ID the view's rows may still have: rows below it
// were pruned or cleared.
func (s storeSource) Oldest(ctx context.Context) (int64, error) {
	return s.st.OldestID(ctx, store.Query{Listener: s.listener})
}

func (s storeSource) Get(ctx context.Context, id int64) (*exchange.Exchange, error) {
	return s.st.Get(ctx, id)
}

// tuiTunnel translates the tunnel's status into the view's own type.
func tuiTunnel(s tunnel.Status) tui.TunnelStatus {
	return tui.TunnelStatus{
		State:      tui.TunnelState(s.State),
		URL:        s.URL,
		Message:    s.Message,
		URLChanged: s.URLChanged,
		PrevURL:    s.PrevURL,
		Since:      s.Since.Local(),
	}
}

// tuiConfig adapts a listen session to the view's inputs. The tunnel
// relay it may start stops when ctx ends; wg waits for it.
func tuiConfig(ctx context.Context, f *cmdutil.Factory, s liveSession, wg *sync.WaitGroup) tui.Config {
	cfg := tui.Config{
		Context:       ctx,
		Feed:          s.Exchanges,
		Warnings:      s.Warnings,
		NotSaving:     s.NotSaving,
		Rejected:      s.Rejected,
		InitialTunnel: tuiTunnel(s.InitialTunnel),
		Info: tui.HeaderInfo{
			PublicURL: s.PublicURL,
			LocalURL:  s.LocalURL,
			Forward:   s.Forward,
			Respond:   s.Respond,
			KeySet:    s.KeySet,
			LocalWhy:  s.LocalWhy,
			Notes:     s.Notes,
		},
		Now: f.Now,
	}
	if s.Store != nil {
		cfg.Source = storeSource{s.Store, s.Listener}
	}
	if s.Replay != nil {
		cfg.Replay = tui.ReplayFunc(s.Replay)
	}
	if s.Tunnel != nil {
		ch := make(chan tui.TunnelStatus)
		cfg.Tunnel = ch
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(ch)
			for {
				select {
				case <-ctx.Done():
					return
				case st, ok := <-s.Tunnel:
					if !ok {
						return
					}
					select {
					case ch <- tuiTunnel(st):
					case <-ctx.Done():
						return
					}
				}
			}
		}()
	}
	return cfg
}

// runTUIWith shows a listen session in the terminal UI until the user quits
// or ctx ends; extra are program options (tests fix the window size, which
// a pipe cannot report).
func runTUIWith(ctx context.Context, f *cmdutil.Factory, s liveSession, extra ...tea.ProgramOption) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()

	m := tui.New(tuiConfig(ctx, f, s, &wg))
	opts := []tea.ProgramOption{
		tea.WithContext(ctx),
		tea.WithInput(f.IOStreams.In),
		tea.WithOutput(f.IOStreams.Out),
	}
	if !f.IOStreams.ColorEnabled() {
		// NO_COLOR or TERM=dumb: keep bold and reverse, drop colour; the
		// badges' symbols carry the meaning.
		opts = append(opts, tea.WithColorProfile(colorprofile.Ascii))
	}
	opts = append(opts, extra...)
	_, err := tea.NewProgram(m, opts...).Run()
	if err != nil && !(errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil) && !errors.Is(err, tea.ErrInterrupted) {
		return fmt.Errorf("terminal UI: %w", err)
	}
	// The screen is the terminal's again: one line of what the session
	// took, so closing the view does not feel like losing it.
	fmt.Fprintln(f.IOStreams.Out, tui.SessionLine(m.Counts(), cmp.Or(s.ListCommand, "swhook list")))
	return nil
}
