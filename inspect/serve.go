package inspect

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/swhook/swhook/inspect/exchange"
)

// Listener is one address webhooks arrive on: the local listener or the
// tunnel's.
type Listener struct {
	// Name says which one it is ("local", "tunnel") in the error that
	// ends the session when it fails.
	Name string
	Net  net.Listener
	// Source and PublicBase are as for Handler.
	Source     exchange.Source
	PublicBase func() string
}

// ServeOptions are what a session needs beyond the pipeline's Config.
type ServeOptions struct {
	// ErrorLog receives net/http's own complaints; nil discards them.
	ErrorLog *log.Logger
	// Watch, when set, is polled for exchanges other processes add to the
	// store (a replay from another terminal), which are published to the
	// feed; After is the highest ID the views have already shown.
	Watch      Lister
	After      int64
	WatchEvery time.Duration
	// Rejected, when set, is told of every request Go's HTTP server
	// refuses before the pipeline sees it (see Rejected); it must not
	// block.
	Rejected func(Rejected)
	// Stopping is called once when shutting down has waited half a second
	// for in-flight webhooks, with the longest it will wait, so the pause
	// can be explained instead of looking like a hang.
	Stopping func(grace time.Duration)
}

// ShutdownGrace is how long Serve waits for in-flight webhooks once asked
// to stop: long enough for the slowest one the pipeline allows (the
// handler's timeout, then the store's wait), plus a margin.
func (p *Pipeline) ShutdownGrace() time.Duration {
	return p.cfg.Timeout + p.cfg.SaveWait + 5*time.Second
}

// Serve answers webhooks on every listener until ctx ends or one of them
// fails, then shuts down in the order durability needs: stop accepting,
// let in-flight exchanges finish (each is durable before it is answered;
// bounded by ShutdownGrace), stop the store watcher, then close the feed
// so every view drains what it holds and ends. When Serve returns nothing
// more will be saved or published, so the store may be closed once the
// views are done. The listeners are closed. It returns the error of a
// listener that failed, nil when ctx ended.
func (p *Pipeline) Serve(ctx context.Context, lns []Listener, opts ServeOptions) error {
	ctx, stop := context.WithCancel(ctx)
	defer stop()

	var (
		serving  sync.WaitGroup
		mu       sync.Mutex
		failed   error
		inflight atomic.Int64 // webhooks inside the pipeline's handler
	)
	servers := make([]*http.Server, len(lns))
	for i, l := range lns {
		h := p.Handler(l.Source, l.PublicBase)
		counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			inflight.Add(1)
			defer inflight.Add(-1)
			h.ServeHTTP(w, r)
		})
		srv := NewServer(counted, p.cfg.Timeout, p.cfg.SaveWait, opts.ErrorLog)
		servers[i] = srv
		ln := l.Net
		if opts.Rejected != nil {
			ln = &rejectListener{Listener: ln, onRejected: opts.Rejected, now: p.cfg.Now}
		}
		serving.Add(1)
		go func() {
			defer serving.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && ctx.Err() == nil {
				mu.Lock()
				if failed == nil {
					failed = fmt.Errorf("%s listener stopped: %w", l.Name, err)
				}
				mu.Unlock()
				stop()
			}
		}()
	}

	// The watcher outlives ctx: it runs until the listeners have stopped,
	// so an exchange saved during shutdown still reaches the views.
	watchCtx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		if opts.Watch != nil && p.cfg.Feed != nil {
			Watch(watchCtx, opts.Watch, p.cfg.Feed, opts.After, opts.WatchEvery, p.cfg.Log)
		}
	}()

	<-ctx.Done()
	p.shutdown(servers, &inflight, opts.Stopping)
	serving.Wait()
	stopWatch()
	<-watchDone
	if p.cfg.Feed != nil {
		p.cfg.Feed.Close()
	}
	mu.Lock()
	defer mu.Unlock()
	return failed
}

// shutdown stops every server: no new connections, idle ones closed, and
// in-flight exchanges given ShutdownGrace to finish before they are cut.
// Once the last one is done it returns promptly: http.Server.Shutdown
// alone would wait up to 5 s for a connection a client opened and never
// used (it counts as active that long) and notices the end of the last
// request only at its next poll (up to 500 ms later).
func (p *Pipeline) shutdown(servers []*http.Server, inflight *atomic.Int64, stopping func(time.Duration)) {
	grace := p.ShutdownGrace()
	shutCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if stopping != nil {
		slow := time.AfterFunc(500*time.Millisecond, func() { stopping(grace) })
		defer slow.Stop()
	}
	var wg sync.WaitGroup
	for _, srv := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Shutdown(shutCtx); err != nil && shutCtx.Err() != nil {
				p.cfg.Log.Warn("in-flight webhooks did not finish in time", "waited", grace.String())
			}
			srv.Close()
		}()
	}
	stopped := make(chan struct{})
	go func() { wg.Wait(); close(stopped) }()
	closeAll := func() {
		for _, srv := range servers {
			srv.Close()
		}
		<-stopped
	}
	// Once no webhook has been inside the handler for shutdownSettle (a
	// request still arriving on an open connection reaches it by then),
	// close what is left: idle, never used or stalled connections.
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	var quiet time.Time
	for {
		select {
		case <-stopped:
			return
		case <-shutCtx.Done():
			closeAll()
			return
		case now := <-tick.C:
			switch {
			case inflight.Load() > 0:
				quiet = time.Time{}
			case quiet.IsZero():
				quiet = now
			case now.Sub(quiet) >= shutdownSettle:
				closeAll()
				return
			}
		}
	}
}

// shutdownSettle is how long shutdown waits, once no webhook is in the
// handler, for connections still reading a request before closing them.
const shutdownSettle = 100 * time.Millisecond
