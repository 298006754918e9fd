package cmd

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/logview"
	"github.com/swhook/swhook/tunnel"
)

// logView shows a session as plain log lines, or as NDJSON on stdout
// (--json) with the remarks a person needs on stderr; warnings go to
// stderr as they happen.
type logView struct {
	f    *cmdutil.Factory
	json bool
	out  *inspect.BatchWriter
	view logview.View
}

func newLogView(f *cmdutil.Factory, json, keySet bool) *logView {
	v := &logView{f: f, json: json, out: inspect.NewBatchWriter(f.IOStreams.Out)} // a burst of lines, one write
	if json {
		v.view = logview.NewNDJSON(v.out)
	} else {
		v.view = logview.NewPlain(v.out, keySet, nil)
	}
	return v
}

func (v *logView) Rejected(r inspect.Rejected) {
	v.view.Rejected(logview.RejectedEvent{Time: r.Time, Peer: r.Peer, Status: r.Status, Reason: r.Reason})
}

// StoreTrouble has nothing to add: the logger writes NOT SAVING lines.
func (v *logView) StoreTrouble(error) {}

func (v *logView) LogHandler() slog.Handler {
	return slog.NewTextHandler(v.f.IOStreams.ErrOut, &slog.HandlerOptions{Level: slog.LevelWarn})
}

func (v *logView) Notices() io.Writer { return v.f.IOStreams.ErrOut }

func (v *logView) Done() {}

func (v *logView) Run(ctx context.Context, s liveSession) error {
	io := v.f.IOStreams
	view, out := v.view, v.out
	var pending []tunnel.Status
	if s.Public != nil {
		// The first line printed should be the public URL: wait (bounded)
		// for the tunnel's first verdict.
		pending = waitForTunnel(ctx, s.Public, 20*time.Second)
		s.PublicURL = s.Public.Status().URL
	}
	if err := view.Ready(logview.Ready{PublicURL: s.PublicURL, LocalURL: s.LocalURL, Forward: s.Forward,
		Respond: s.Respond, KeySet: s.KeySet, Notes: s.Notes}); err != nil {
		return err
	}
	if v.json {
		// NDJSON on stdout stays machine-readable; the remarks a person
		// needs go to stderr.
		if !s.KeySet {
			fmt.Fprintf(io.ErrOut, "swhook: no signing key: every signature will read \"unchecked\" (pass --signing-key or set $%s)\n", cmdutil.EnvSigningKey)
		}
		for _, n := range s.Notes {
			fmt.Fprintf(io.ErrOut, "swhook: %s\n", n)
		}
		if s.Public == nil {
			// Every mode states the tunnel: a script reading NDJSON
			// learns there is none, and why, from stdout too.
			st := s.InitialTunnel
			if s.TunnelWhy != "" {
				st.Message = s.TunnelWhy
			}
			view.Tunnel(tunnelEvent(st))
		}
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	if s.Public != nil {
		for _, st := range pending {
			view.Tunnel(tunnelEvent(st))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case st, ok := <-s.Tunnel:
					if !ok {
						return
					}
					view.Tunnel(tunnelEvent(st))
				}
			}
		}()
	}
	log := slog.New(v.LogHandler())
	// Not ctx: after shutdown the feed is closed and what is still
	// buffered is written before the view ends.
	inspect.FollowBatched(context.Background(), s.Exchanges, sessionRows(s), s.After, func(x *exchange.Exchange) {
		if err := view.Exchange(x); err != nil {
			log.Warn("cannot write output", "error", err)
		}
	}, out)
	return nil
}

// waitForTunnel waits (bounded) for the tunnel's first verdict, so the
// first line printed can be the public URL; it returns the states seen.
func waitForTunnel(ctx context.Context, tun tunnel.Tunnel, max time.Duration) []tunnel.Status {
	var seen []tunnel.Status
	if s := tun.Status(); s.State == tunnel.StateUp || s.State == tunnel.StateDown {
		return nil
	}
	timer := time.NewTimer(max)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return seen
		case <-timer.C:
			return seen
		case s, ok := <-tun.Updates():
			if !ok {
				return seen
			}
			seen = append(seen, s)
			if s.State == tunnel.StateUp || s.State == tunnel.StateDown {
				return seen
			}
		}
	}
}

func tunnelEvent(s tunnel.Status) logview.TunnelEvent {
	t := s.Since
	if t.IsZero() {
		t = time.Now()
	}
	return logview.TunnelEvent{Time: t, State: string(s.State), URL: s.URL, Message: s.Message,
		URLChanged: s.URLChanged, PrevURL: s.PrevURL}
}

// sessionRows is where a log view fills gaps from: this listener's rows.
func sessionRows(s liveSession) inspect.Lister {
	if s.Store == nil {
		return nil
	}
	return ownRows{s.Store, s.Listener}
}
