package cmd

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/logview"
	"github.com/swhook/swhook/inspect/store"
	"github.com/swhook/swhook/tunnel"
)

// ListenOptions holds what `swhook listen` was asked to do.
type ListenOptions struct {
	IO *cmdutil.IOStreams

	Forward          string
	Addr             string
	NoTunnel         bool
	PublicURL        string
	EnforceSignature bool
	Respond          string
	JSON             bool
	NoTUI            bool
	MaxBody          byteSize
	Timeout          time.Duration
	Keep             int
	Store            string
	SigningKeyFlag   string
	Tunnel           tunnelFlags
	Numbers          numbersFlags

	// Resolved by validation.
	forwardURL *url.URL
	answer     *inspect.Answer
	signingKey string
	addr       string
	exposed    bool
}

// NewCmdListen builds `swhook listen`. runF replaces the run in tests of
// flag parsing; nil means the real run.
func NewCmdListen(f *cmdutil.Factory, runF func(*ListenOptions) error) *cobra.Command {
	opts := &ListenOptions{IO: f.IOStreams, MaxBody: byteSize(inspect.DefaultMaxBody)}
	cmd := &cobra.Command{
		Use:   "listen",
		Short: "Receive webhooks: show, verify, forward and keep every one",
		Long: `Receive SignalWire webhooks on a public URL (ngrok, when a token is set) and on
a local address, check each signature, pass each one untouched to your handler
(--forward) and relay its answer, and keep every exchange in the store.

Without --forward, swhook answers harmlessly itself: an empty cXML <Response/>
for calls and messages, 200 for status callbacks, a SWML document that only
hangs up for SWML fetches (--respond FILE answers with a file instead).

The handler receives the exact bytes sent, with the Host header the sender
used and X-Forwarded-For/-Proto/-Host describing the public URL the signature
covers, so a handler that validates signatures behind a proxy rebuilds it.`,
		Example: `  swhook listen --forward http://localhost:3000
  swhook listen --no-tunnel --public-url https://hooks.example.com -f http://localhost:3000
  swhook listen --no-tunnel --json > webhooks.ndjson`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.validate(f, cmd); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runListen(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Forward, "forward", "f", "", "your handler's base URL, e.g. http://localhost:3000 (default: swhook answers itself)")
	fl.StringVar(&opts.Addr, "addr", tunnel.DefaultLocalAddr, "local `HOST:PORT` to listen on (loopback unless you name another address)")
	fl.BoolVar(&opts.NoTunnel, "no-tunnel", false, "do not open an ngrok tunnel: local listener only")
	fl.StringVar(&opts.PublicURL, "public-url", "", "the public base URL of your own tunnel (signatures are checked against it)")
	fl.BoolVar(&opts.EnforceSignature, "enforce-signature", false, "answer 403 to missing or invalid signatures without forwarding them")
	fl.StringVar(&opts.Respond, "respond", "", "answer with this `FILE` when there is no --forward (.xml, .json, .yaml)")
	fl.BoolVar(&opts.JSON, "json", false, "write NDJSON events to stdout instead of the live view")
	fl.BoolVar(&opts.NoTUI, "no-tui", false, "plain log lines even on a terminal")
	fl.Var(&opts.MaxBody, "max-body", "body bytes kept per request/response (e.g. 10MiB); larger bodies are still forwarded whole")
	fl.DurationVar(&opts.Timeout, "timeout", inspect.DefaultTimeout, "how long the handler may take before swhook answers 504")
	fl.IntVar(&opts.Keep, "keep", 10000, "exchanges to keep in the store; older ones are pruned (0 keeps all)")
	cmdutil.AddStoreFlag(cmd, &opts.Store)
	cmdutil.AddSigningKeyFlag(cmd, &opts.SigningKeyFlag)
	addTunnelFlags(cmd, &opts.Tunnel)
	addNumbersFlags(cmd, &opts.Numbers)
	return cmd
}

// validate checks the flags and resolves them; every problem is a one-line
// usage error that names the fix.
func (o *ListenOptions) validate(f *cmdutil.Factory, cmd *cobra.Command) error {
	if o.Forward != "" {
		u, err := parseBaseURL(o.Forward)
		if err != nil {
			return cmdutil.UsageErrorf("--forward %q: %v", o.Forward, err)
		}
		o.forwardURL = u
	}
	if o.PublicURL != "" {
		u, err := parseBaseURL(o.PublicURL)
		if err != nil {
			return cmdutil.UsageErrorf("--public-url %q: %v", o.PublicURL, err)
		}
		if u.RawQuery != "" {
			return cmdutil.UsageErrorf("--public-url %q: give the base URL without a query", o.PublicURL)
		}
		o.PublicURL = strings.TrimSuffix(u.String(), "/")
	}
	if o.Respond != "" {
		if o.Forward != "" {
			return cmdutil.UsageErrorf("--respond and --forward cannot be used together: --respond is the answer when there is no handler")
		}
		a, err := inspect.LoadAnswer(o.Respond)
		if err != nil {
			return cmdutil.UsageErrorf("--respond: %v", err)
		}
		o.answer = a
	}
	if o.MaxBody <= 0 {
		return cmdutil.UsageErrorf("--max-body must be more than 0 bytes")
	}
	if o.Timeout <= 0 {
		return cmdutil.UsageErrorf("--timeout must be more than 0 (e.g. 10s)")
	}
	if o.Keep < 0 {
		return cmdutil.UsageErrorf("--keep must be 0 (keep all) or more")
	}
	if o.NoTunnel {
		// Flags for a tunnel that will not be opened would be ignored
		// silently; a developer expecting the reserved domain must know.
		for _, name := range []string{"domain", "traffic-policy", "ngrok-authtoken"} {
			if cmd.Flags().Changed(name) {
				return cmdutil.UsageErrorf("--%s is for the ngrok tunnel, which --no-tunnel turns off: drop one of them", name)
			}
		}
	}
	if err := o.Numbers.validate(cmd); err != nil {
		return err
	}
	if len(o.Numbers.Numbers) > 0 && o.NoTunnel && o.PublicURL == "" {
		return cmdutil.UsageErrorf("--number needs a public URL to point the number at: drop --no-tunnel, or pass --public-url")
	}
	addr, exposed, err := tunnel.LocalAddr(o.Addr)
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	o.addr, o.exposed = addr, exposed
	o.signingKey = cmdutil.SigningKey(o.SigningKeyFlag, f.Getenv)
	if o.EnforceSignature && o.signingKey == "" {
		return cmdutil.UsageErrorf("--enforce-signature needs a signing key: pass --signing-key or set $%s", cmdutil.EnvSigningKey)
	}
	return nil
}

func parseBaseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, errors.New("not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, errors.New("must start with http:// or https://")
	}
	if u.Host == "" {
		return nil, errors.New("has no host")
	}
	if u.User != nil {
		return nil, errors.New("must not carry a user or password")
	}
	if u.Fragment != "" {
		return nil, errors.New("must not have a #fragment")
	}
	return u, nil
}

// byteSize is a --max-body value: a number of bytes with an optional unit
// (KB, KiB, MB, MiB, GB, GiB; K/M/G are binary).
type byteSize int64

func (b *byteSize) String() string {
	n := int64(*b)
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "KiB"
	}
	return strconv.FormatInt(n, 10)
}

func (b *byteSize) Set(s string) error {
	t := strings.TrimSpace(s)
	i := len(t)
	for i > 0 && (t[i-1] < '0' || t[i-1] > '9') {
		i--
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("%q is not a size (e.g. 10MiB, 512KB, 1048576)", s)
	}
	mult := map[string]int64{"": 1, "b": 1, "k": 1 << 10, "kb": 1000, "kib": 1 << 10,
		"m": 1 << 20, "mb": 1000 * 1000, "mib": 1 << 20, "g": 1 << 30, "gb": 1000 * 1000 * 1000, "gib": 1 << 30}[unit]
	if mult == 0 {
		return fmt.Errorf("%q: unknown unit %q (use KB, KiB, MB, MiB, GB, GiB)", s, unit)
	}
	if n > (1<<62)/mult {
		return fmt.Errorf("%q is too large", s)
	}
	*b = byteSize(n * mult)
	return nil
}

func (b *byteSize) Type() string { return "size" }

// runListen wires the pipeline to its listeners and a view, and shuts it
// all down in order when ctx ends or the view quits: stop accepting, let
// in-flight exchanges finish (bounded), then flush the store.
func runListen(ctx context.Context, f *cmdutil.Factory, o *ListenOptions) (err error) {
	if f.Getenv("GOGC") == "" {
		// listen is a server with a small live heap that allocates per
		// webhook: letting the heap grow by 4× the live heap between
		// collections instead of 1× cuts the collector's share of the CPU
		// for a few megabytes, which helps it keep up with a reverse proxy.
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	useTUI := o.IO.IsStdoutTTY() && !o.NoTUI && !o.JSON
	logOut := o.IO.ErrOut
	var held *tailBuffer
	if useTUI {
		// The screen is the TUI's: warnings (a stuck store, an internal
		// error) are held and printed once it has closed.
		held = &tailBuffer{max: 50, loud: make(chan string, 16)}
		logOut = held
		defer func() {
			if lines := held.Lines(); len(lines) > 0 {
				fmt.Fprintf(o.IO.ErrOut, "swhook: %d warning(s) while the live view was open:\n", held.Total())
				for _, l := range lines {
					fmt.Fprintln(o.IO.ErrOut, "  "+l)
				}
			}
		}()
	}
	logger := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelWarn}))

	// --number: leftovers restored, numbers looked up and refused or
	// planned before anything listens; restored on every way out.
	nr, err := startNumbers(ctx, f, &o.Numbers, cmp.Or(o.PublicURL, domainURL(o.Tunnel.Domain)), logOut)
	if err != nil {
		if errors.Is(err, errDryRun) {
			return nil
		}
		return err
	}
	if nr != nil {
		defer func() { err = nr.restoreJoin(err) }()
	}

	local, err := tunnel.ListenLocal(ctx, o.addr)
	if err != nil {
		return err
	}
	defer local.Listener().Close()

	// Journal: webhooks are made durable in the capture journal and
	// indexed in bulk — the throughput issue 3 asks for (see the store).
	st, err := openStore(ctx, f, o.Store, store.Options{Keep: o.Keep, Journal: true})
	if err != nil {
		return err
	}
	storeClosed := false
	defer func() {
		if !storeClosed {
			st.Close()
		}
	}()
	after, err := st.LatestID(ctx)
	if err != nil {
		return fmt.Errorf("read store: %w", err)
	}

	feed := inspect.NewFeed()
	// Subscribed before the first request can arrive, so the view misses
	// nothing; it reads the channel only after the ready line is out.
	sub, unsubscribe := feed.Subscribe(4096)
	defer unsubscribe()
	pipe, err := inspect.New(inspect.Config{
		SigningKey:       o.signingKey,
		Forward:          o.forwardURL,
		EnforceSignature: o.EnforceSignature,
		Respond:          o.answer,
		MaxBody:          int64(o.MaxBody),
		Timeout:          o.Timeout,
		Store:            st,
		Feed:             feed,
		Now:              f.Now,
		Log:              logger,
	})
	if err != nil {
		return err
	}
	cfg := pipe.Config()
	errLog := slog.NewLogLogger(logger.Handler(), slog.LevelWarn)

	// The session context ends on Ctrl-C/SIGTERM, a listener failing, or
	// the TUI quitting.
	sctx, stop := context.WithCancel(ctx)
	defer stop()

	var notes []string
	var localWhy string
	if o.EnforceSignature {
		notes = append(notes, "--enforce-signature: missing or invalid signatures are answered 403 and never reach the handler")
	}
	if o.exposed {
		notes = append(notes, "listening on "+o.addr+": other machines on your network can send webhooks here")
	}
	var tun tunnel.Tunnel
	switch {
	case o.PublicURL != "":
		notes = append(notes, "--public-url: signatures are checked against "+o.PublicURL+" + path")
	case o.NoTunnel:
	default:
		t, hint, err := startPublic(sctx, f, o.Tunnel, logger)
		if err != nil {
			return err
		}
		if hint != "" {
			notes = append(notes, hint)
			localWhy = localReason(hint)
		}
		tun = t
	}
	if nr != nil {
		if err := nr.attach(sctx, &tun, o.PublicURL, localWhy, stop); err != nil {
			return err
		}
	}

	publicURL := o.PublicURL
	var servers []*http.Server
	var serveWG sync.WaitGroup
	serve := func(srv *http.Server, ln net.Listener, what string) {
		servers = append(servers, srv)
		serveWG.Add(1)
		go func() {
			defer serveWG.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && sctx.Err() == nil {
				logger.Error(what+" listener stopped", "error", err)
				stop()
			}
		}()
	}
	serve(inspect.NewServer(pipe.Handler(exchange.SourceLocal, func() string { return publicURL }), cfg.Timeout, cfg.SaveWait, errLog),
		local.Listener(), "local")
	if tun != nil {
		ln, err := tun.Start(sctx)
		if err != nil {
			return fmt.Errorf("start tunnel: %w", err)
		}
		serve(inspect.NewServer(pipe.Handler(exchange.SourceTunnel, func() string { return tun.Status().URL }), cfg.Timeout, cfg.SaveWait, errLog),
			ln, "tunnel")
	}

	watchCtx, stopWatch := context.WithCancel(context.Background())
	defer stopWatch()
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		inspect.Watch(watchCtx, st, feed, after, 300*time.Millisecond, logger)
	}()

	viewErr := make(chan error, 1)
	viewDone := make(chan struct{})

	if useTUI {
		initial := local.Status()
		var updates <-chan tunnel.Status
		if tun != nil {
			initial, updates = tun.Status(), tun.Updates()
		}
		sess := liveSession{
			PublicURL:     cmp.Or(publicURL, initial.URL),
			LocalURL:      local.URL(),
			Forward:       o.Forward,
			Respond:       o.Respond,
			KeySet:        o.signingKey != "",
			LocalWhy:      localWhy,
			Notes:         notes,
			Exchanges:     sub,
			Warnings:      held.loud,
			Tunnel:        updates,
			InitialTunnel: initial,
			Store:         st,
		}
		if o.Forward != "" {
			sess.Replay = storeReplayer(st, f.HTTPClient, o.signingKey, f.Now)
		}
		go func() {
			defer close(viewDone)
			viewErr <- runTUI(sctx, f, sess)
			stop()
		}()
	} else {
		var view logview.View
		out := inspect.NewBatchWriter(o.IO.Out) // a burst of lines, one write
		if o.JSON {
			view = logview.NewNDJSON(out)
		} else {
			view = logview.NewPlain(out, o.signingKey != "", nil)
		}
		var pending []tunnel.Status
		if tun != nil {
			pending = waitForTunnel(sctx, tun, 20*time.Second)
		}
		shownURL := publicURL
		if tun != nil {
			shownURL = tun.Status().URL
		}
		if err := view.Ready(logview.Ready{PublicURL: shownURL, LocalURL: local.URL(), Forward: o.Forward,
			Respond: o.Respond, KeySet: o.signingKey != "", Notes: notes}); err != nil {
			return err
		}
		if o.JSON {
			// NDJSON on stdout stays machine-readable; the remarks a person
			// needs go to stderr.
			if o.signingKey == "" {
				fmt.Fprintf(o.IO.ErrOut, "swhook: no signing key: every signature will read \"unchecked\" (pass --signing-key or set $%s)\n", cmdutil.EnvSigningKey)
			}
			for _, n := range notes {
				fmt.Fprintf(o.IO.ErrOut, "swhook: %s\n", n)
			}
			if tun == nil {
				// Every mode states the tunnel: a script reading NDJSON
				// learns there is none, and why, from stdout too.
				s := local.Status()
				switch {
				case o.PublicURL != "":
					s.Message = "no ngrok tunnel: --public-url " + o.PublicURL + " is your own"
				case o.NoTunnel:
					s.Message = "no ngrok tunnel: --no-tunnel"
				case localWhy != "":
					s.Message = localWhy
				}
				view.Tunnel(tunnelEvent(s))
			}
		}
		if tun != nil {
			for _, s := range pending {
				view.Tunnel(tunnelEvent(s))
			}
			go func() {
				for {
					select {
					case <-sctx.Done():
						return
					case s, ok := <-tun.Updates():
						if !ok {
							return
						}
						view.Tunnel(tunnelEvent(s))
					}
				}
			}()
		}
		go func() {
			defer close(viewDone)
			// Not sctx: after shutdown the feed is closed and what is
			// still buffered is written before the view ends.
			inspect.FollowBatched(context.Background(), sub, st, after, func(x *exchange.Exchange) {
				if err := view.Exchange(x); err != nil {
					logger.Warn("cannot write output", "error", err)
				}
			}, out)
		}()
		viewErr <- nil
	}

	<-sctx.Done()

	// Stop accepting; let in-flight exchanges finish and be stored.
	grace := cfg.Timeout + cfg.SaveWait + 5*time.Second
	shutCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	// A webhook still waiting for a slow handler holds the exit for up to
	// the grace period: say so, so the pause does not look like a hang.
	slowStop := time.AfterFunc(500*time.Millisecond, func() {
		fmt.Fprintf(o.IO.ErrOut, "swhook: stopping: waiting for in-flight webhooks to finish (at most %s)\n", grace)
	})
	defer slowStop.Stop()
	var wg sync.WaitGroup
	for _, srv := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Shutdown(shutCtx); err != nil {
				logger.Warn("in-flight webhooks did not finish in time", "waited", grace.String())
				srv.Close()
			}
		}()
	}
	wg.Wait()
	slowStop.Stop()
	serveWG.Wait()
	stopWatch()
	<-watchDone
	unsubscribe()
	<-viewDone
	storeClosed = true
	if err := st.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return <-viewErr
}

// localReason is the few words of a no-tunnel hint that say why there is
// no public URL ("no ngrok authtoken"), for the live view's header.
func localReason(hint string) string {
	for _, sep := range []string{": serving locally only", "; serving locally only", ", so --domain is unused"} {
		if i := strings.Index(hint, sep); i >= 0 {
			hint = hint[:i]
		}
	}
	return hint
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

// tailBuffer keeps the last max lines written to it. Error-level lines
// also go to loud (when set, never blocking), so the live view shows them
// while it has the screen.
type tailBuffer struct {
	mu    sync.Mutex
	max   int
	lines []string
	total int
	loud  chan string
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, l := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		b.total++
		b.lines = append(b.lines, l)
		if len(b.lines) > b.max {
			b.lines = b.lines[1:]
		}
		if b.loud != nil {
			if msg, ok := errorMessage(l); ok {
				select {
				case b.loud <- msg:
				default: // the view is behind; the line is kept above
				}
			}
		}
	}
	return len(p), nil
}

// errorMessage is the readable part of a slog text line at error level:
// the message unquoted, then its attributes.
func errorMessage(line string) (string, bool) {
	_, rest, ok := strings.Cut(line, " level=ERROR ")
	if !ok {
		return "", false
	}
	rest = strings.TrimPrefix(rest, "msg=")
	if q, err := strconv.QuotedPrefix(rest); err == nil {
		if msg, err := strconv.Unquote(q); err == nil {
			rest = msg + rest[len(q):]
		}
	}
	return rest, true
}

// Lines returns the kept lines.
func (b *tailBuffer) Lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.lines...)
}

// Total is how many lines were written in all.
func (b *tailBuffer) Total() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.total
}
