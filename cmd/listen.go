package cmd

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect"
	"github.com/swhook/swhook/inspect/exchange"
	registry "github.com/swhook/swhook/inspect/listeners"
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
	MaxBody          cmdutil.ByteSize
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
	opts := &ListenOptions{IO: f.IOStreams, MaxBody: cmdutil.ByteSize(inspect.DefaultMaxBody)}
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
covers (kept as an upstream proxy set them), so a handler that validates
signatures behind a proxy rebuilds it; Via names this swhook (a request that
loops back is answered 508), and a --forward path is sent as X-Forwarded-Prefix.`,
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
	if o.forwardURL != nil {
		if a, err := net.ResolveTCPAddr("tcp", addr); err == nil && inspect.PointsAt(o.forwardURL, a) {
			return cmdutil.UsageErrorf("--forward %s is this listener itself (--addr %s): every webhook would come back to swhook without end; point --forward at your handler", o.Forward, addr)
		}
	}
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

// runListen wires the store, the pipeline, the listeners and the view
// chosen for this terminal; the pipeline's Serve owns start-up and the
// ordered shutdown, and the store is closed once the view is done.
func runListen(ctx context.Context, f *cmdutil.Factory, o *ListenOptions) (err error) {
	if f.Getenv("GOGC") == "" {
		// listen is a server with a small live heap that allocates per
		// webhook: letting the heap grow by 4× the live heap between
		// collections instead of 1× cuts the collector's share of the CPU
		// for a few megabytes, which helps it keep up with a reverse proxy.
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	view := newSessionView(f, o)
	defer view.Done()
	logger := slog.New(view.LogHandler())

	// --number: leftovers restored, numbers looked up and refused or
	// planned before anything listens; restored on every way out.
	nr, err := startNumbers(ctx, f, &o.Numbers, cmp.Or(o.PublicURL, domainURL(o.Tunnel.Domain)), view.Notices())
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
	// OnTrouble: a store that stops saving (a full disk) says so at once,
	// and again when it saves again.
	st, err := openStore(ctx, f, o.Store, store.Options{Keep: o.Keep, Journal: true, OnTrouble: func(err error) {
		view.StoreTrouble(err)
		if err != nil {
			logger.Error("NOT SAVING: " + err.Error())
			return
		}
		logger.Warn("saving again: the store takes webhooks again")
	}})
	if err != nil {
		return err
	}
	storeOpen := true
	defer func() {
		if storeOpen {
			st.Close()
		}
	}()
	after, err := st.LatestID(ctx)
	if err != nil {
		return fmt.Errorf("read store: %w", err)
	}
	// Other swhook commands find this listener through the store's
	// registry (trigger without --to) and mark what they send it, so a
	// webhook swhook sent here is one row, this listener's.
	me := local.URL()
	reg, err := registry.Register(st.Path(), registry.Info{LocalURL: me, Forward: o.Forward})
	if err != nil {
		logger.Warn("other swhook commands will not find this listener", "error", err)
	}
	defer reg.Close()

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
		Listener:         me,
		SenderToken:      regToken(reg),
		Now:              f.Now,
		Log:              logger,
	})
	if err != nil {
		return err
	}

	// The session context ends on Ctrl-C/SIGTERM, a listener failing, or
	// the view ending (the TUI quitting).
	sctx, stop := context.WithCancel(ctx)
	defer stop()

	var notes []string
	var localWhy, tunnelWhy string
	if o.EnforceSignature {
		notes = append(notes, "--enforce-signature: missing or invalid signatures are answered 403 and never reach the handler")
		if o.PublicURL == "" {
			notes = append(notes, "--enforce-signature without --public-url: for traffic to the local address the signed URL is rebuilt from Host and X-Forwarded-Host/-Proto, which a sender controls; pass --public-url to pin it")
		}
	}
	if o.forwardURL != nil {
		if prefix := inspect.ForwardPrefix(o.forwardURL); prefix != "" {
			notes = append(notes, fmt.Sprintf("--forward has a path: your handler sees %s/voice for a webhook sent to /voice, so a signature check against the URL it sees fails; it gets X-Forwarded-Prefix: %s to rebuild the public one", prefix, prefix))
		}
	}
	if o.exposed {
		note := "listening on " + o.addr + ": other machines on your network can send webhooks here"
		if urls := local.NetworkURLs(); len(urls) > 0 {
			note += " (" + strings.Join(urls[:min(len(urls), 3)], ", ") + ")"
		}
		notes = append(notes, note)
	}
	var tun tunnel.Tunnel
	switch {
	case o.PublicURL != "":
		notes = append(notes, "--public-url: signatures are checked against "+o.PublicURL+" + path")
		tunnelWhy = "no ngrok tunnel: --public-url " + o.PublicURL + " is your own"
	case o.NoTunnel:
		tunnelWhy = "no ngrok tunnel: --no-tunnel"
	default:
		t, hint, err := startPublic(sctx, f, o.Tunnel, logger)
		if err != nil {
			return err
		}
		if hint != "" {
			notes = append(notes, hint)
			localWhy = localReason(hint)
			tunnelWhy = localWhy
		}
		tun = t
	}
	if nr != nil {
		if err := nr.attach(sctx, &tun, o.PublicURL, localWhy, stop, &notes); err != nil {
			return err
		}
	}

	listeners := []inspect.Listener{{Name: "local", Net: local.Listener(), Source: exchange.SourceLocal,
		PublicBase: func() string { return o.PublicURL }}}
	sess := liveSession{
		PublicURL:     o.PublicURL,
		LocalURL:      local.URL(),
		Forward:       o.Forward,
		Respond:       o.Respond,
		KeySet:        o.signingKey != "",
		LocalWhy:      localWhy,
		TunnelWhy:     tunnelWhy,
		Notes:         notes,
		Exchanges:     sub,
		InitialTunnel: local.Status(),
		Store:         st,
		After:         after,
		Listener:      me,
		ListCommand:   "swhook list",
	}
	if o.Store != "" {
		sess.ListCommand += " --store " + shellWord(o.Store)
	}
	if tun != nil {
		ln, err := tun.Start(sctx)
		if err != nil {
			return fmt.Errorf("start tunnel: %w", err)
		}
		listeners = append(listeners, inspect.Listener{Name: "tunnel", Net: ln, Source: exchange.SourceTunnel,
			PublicBase: func() string { return tun.Status().URL }})
		sess.Public, sess.Tunnel, sess.InitialTunnel = tun, tun.Updates(), tun.Status()
		sess.PublicURL = cmp.Or(sess.PublicURL, sess.InitialTunnel.URL)
	}
	if o.Forward != "" {
		sess.Replay = storeReplayer(st, f.HTTPClient, o.signingKey, f.Now, me)
	}

	viewErr := make(chan error, 1)
	go func() {
		viewErr <- view.Run(sctx, sess)
		stop()
	}()
	serveErr := pipe.Serve(sctx, listeners, inspect.ServeOptions{
		ErrorLog:   slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		Watch:      ownRows{st, me}, // other listeners' rows are not this view's
		After:      after,
		WatchEvery: 300 * time.Millisecond,
		Rejected:   view.Rejected,
		Stopping: func(grace time.Duration) {
			// A webhook still waiting for a slow handler holds the exit:
			// say so, so the pause does not look like a hang.
			fmt.Fprintf(o.IO.ErrOut, "swhook: stopping: waiting for in-flight webhooks to finish (at most %s)\n", grace)
		},
	})
	verr := <-viewErr // the view has shown everything the feed held
	storeOpen = false
	if err := st.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return errors.Join(serveErr, verr)
}
