package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/tunnel"
	"github.com/swhook/swhook/tunnel/numbers"
)

// numbersFlags are listen's flags for pointing real phone numbers at the
// tunnel (issue 15).
type numbersFlags struct {
	Numbers     []string
	VoicePath   string
	MessagePath string
	StatusPath  string
	DryRun      bool
	Yes         bool
	SW          signalWireFlags

	e164 []string
}

func addNumbersFlags(cmd *cobra.Command, n *numbersFlags) {
	fl := cmd.Flags()
	fl.StringArrayVar(&n.Numbers, "number", nil, "point this phone `number` (E.164, repeatable) at the public URL while listen runs, and put it back on exit")
	fl.StringVar(&n.VoicePath, "voice-path", "", "path for calls (default: the number's current path, or "+numbers.DefaultVoicePath+")")
	fl.StringVar(&n.MessagePath, "message-path", "", "path for messages (default: the number's current path, or "+numbers.DefaultMessagePath+")")
	fl.StringVar(&n.StatusPath, "status-path", "", "path for call status callbacks (default: the current path, or "+numbers.DefaultStatusPath+")")
	fl.BoolVar(&n.DryRun, "dry-run", false, "with --number: print what would change and stop")
	fl.BoolVar(&n.Yes, "yes", false, "with --number: change a Fabric resource that other numbers use too")
	addSignalWireFlags(cmd, &n.SW)
}

// validate checks the flags; the public URL question is the caller's.
func (n *numbersFlags) validate(cmd *cobra.Command) error {
	for _, s := range n.Numbers {
		e, err := numbers.E164(s)
		if err != nil {
			return cmdutil.UsageErrorf("--number: %v", err)
		}
		n.e164 = append(n.e164, e)
	}
	if len(n.e164) == 0 {
		for _, name := range []string{"voice-path", "message-path", "status-path", "dry-run", "yes"} {
			if cmd.Flags().Changed(name) {
				return cmdutil.UsageErrorf("--%s is for --number, which is not given", name)
			}
		}
		return nil
	}
	for _, p := range []*string{&n.VoicePath, &n.MessagePath, &n.StatusPath} {
		c, err := numbers.CleanPath(*p)
		if err != nil {
			return cmdutil.UsageErrorf("path flag: %v", err)
		}
		*p = c
	}
	return nil
}

// numbersRun is listen's side of pointing numbers: prepared before the
// tunnel opens, pointed when it has a URL, re-pointed when the URL
// changes, restored when listen ends.
type numbersRun struct {
	sess *numbers.Session
	log  io.Writer
	// started is closed once the first pointing was tried; its error is
	// firstErr.
	once     sync.Once
	started  chan struct{}
	firstErr error
	// stop ends listen when the first pointing fails.
	stop func()
}

// restorePending restores what an earlier listen left pointed (crash,
// kill -9). Without credentials it only says how to do it later.
func restorePending(ctx context.Context, f *cmdutil.Factory, sw signalWireFlags, w io.Writer, needed bool) error {
	recs, err := numberRecords(f)
	if err != nil {
		if needed {
			return err
		}
		return nil
	}
	list, listErr := recs.List()
	if listErr != nil {
		say(w, listErr.Error())
	}
	host, _ := os.Hostname()
	var stale []*numbers.Record
	for _, r := range list {
		if !r.OwnerAlive(host) {
			stale = append(stale, r)
		}
	}
	if len(stale) == 0 {
		return nil
	}
	if !needed && (f.Getenv(numbers.EnvToken) == "") {
		for _, r := range stale {
			say(w, fmt.Sprintf("%s is still pointed at %s by a listen that ended without restoring (pid %d): set $%s and run `swhook numbers restore`",
				r.Title(), r.TunnelURL, r.PID, numbers.EnvToken))
		}
		return nil
	}
	say(w, fmt.Sprintf("restoring what an earlier listen left pointed (%d record(s))", len(stale)))
	c, err := recordClient(f, sw, stale[0])
	if err == nil {
		err = numbers.RestoreRecords(ctx, c, recs, stale, host, sayTo(w), false)
	}
	if err != nil && needed {
		return err
	}
	if err != nil {
		say(w, err.Error())
	}
	return nil
}

// startNumbers restores leftovers, looks the numbers up and plans the
// changes (refusing what cannot be done) before any listener opens. With
// --dry-run it prints the plan and returns errDryRun.
func startNumbers(ctx context.Context, f *cmdutil.Factory, n *numbersFlags, publicURL string, w io.Writer) (*numbersRun, error) {
	if len(n.e164) == 0 {
		return nil, safeErr(restorePending(ctx, f, n.SW, w, false))
	}
	c, err := n.SW.client(f)
	if err != nil {
		return nil, safeErr(err)
	}
	if !n.DryRun {
		if err := restorePending(ctx, f, n.SW, w, true); err != nil {
			return nil, safeErr(fmt.Errorf("%w; listen --number starts once that restore is done", err))
		}
	}
	plan, err := numbers.Prepare(ctx, c, n.e164, numbers.Options{VoicePath: n.VoicePath, MessagePath: n.MessagePath, StatusPath: n.StatusPath})
	if err != nil {
		return nil, safeErr(err)
	}
	if len(plan.Refused) > 0 {
		for _, r := range plan.Refused {
			say(w, "not pointing "+r.String())
		}
		return nil, cmdutil.ErrSilent
	}
	if shared := plan.Shared(); len(shared) > 0 && !n.Yes && !n.DryRun {
		for _, t := range shared {
			say(w, fmt.Sprintf("%s: changing it changes %s too", t.Title(), strings.Join(t.Others, ", ")))
		}
		return nil, cmdutil.UsageErrorf("pass --yes to point the shared resource anyway (all its numbers come to this listen until it ends)")
	}
	if n.DryRun {
		base := publicURL
		if base == "" {
			base = "https://<tunnel>"
		}
		fmt.Fprintf(f.IOStreams.Out, "swhook listen --number would change (dry run, nothing changed):\n")
		for _, l := range plan.Lines(base) {
			fmt.Fprintln(f.IOStreams.Out, safeLine(l))
		}
		if shared := plan.Shared(); len(shared) > 0 && !n.Yes {
			fmt.Fprintln(f.IOStreams.Out, "shared resources need --yes")
		}
		return nil, errDryRun
	}
	recs, err := numberRecords(f)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	return &numbersRun{
		sess:    &numbers.Session{Client: c, Records: recs, Plan: plan, PID: os.Getpid(), Host: host, Now: f.Now},
		log:     w,
		started: make(chan struct{}),
	}, nil
}

func safeLine(s string) string { return safeError{errors.New(s)}.Error() }

// errDryRun ends listen after --dry-run printed the plan.
var errDryRun = errors.New("dry run")

// point points the numbers at base, or re-points them there. The first
// call's outcome is what listen waits for before it calls itself ready.
func (r *numbersRun) point(ctx context.Context, base string) error {
	notes, err := r.sess.Point(ctx, base)
	say(r.log, notes...)
	r.once.Do(func() {
		r.firstErr = err
		close(r.started)
	})
	return err
}

// follow wraps a tunnel so each status reaching the views has the numbers
// pointed at its URL first: "the URL changed, update the dashboard"
// becomes a line saying it was done.
func (r *numbersRun) follow(ctx context.Context, tun tunnel.Tunnel) tunnel.Tunnel {
	return tunnel.Observe(tun, func(s tunnel.Status) tunnel.Status {
		if s.State != tunnel.StateUp || s.URL == "" || s.URL == r.sess.Pointed() {
			return s
		}
		first := r.sess.Pointed() == ""
		err := r.point(ctx, s.URL)
		switch {
		case err != nil && first:
			s.Message += "; pointing the numbers failed: " + err.Error()
			if r.stop != nil {
				r.stop()
			}
		case err != nil:
			s.Message += "; re-pointing the numbers failed: " + err.Error() + " — update them in the SignalWire dashboard"
		case s.URLChanged:
			s.URLChanged = false
			s.Message = "the public URL changed from " + s.PrevURL + ": " + strings.Join(r.sess.Plan.Numbers(), ", ") + " re-pointed at it"
		}
		return s
	})
}

// attach points the numbers at --public-url at once, or at the ngrok
// tunnel's URL whenever it comes up or changes (wrapping *tun). A first
// pointing that fails ends listen (stop) with its error. A note for the
// ready lines says where the numbers point.
func (r *numbersRun) attach(ctx context.Context, tun *tunnel.Tunnel, publicURL, localWhy string, stop func(), notes *[]string) error {
	if *tun != nil || publicURL != "" {
		*notes = append(*notes, "--number: "+strings.Join(r.sess.Plan.Numbers(), ", ")+" point here while listen runs, and are put back as they were when it ends")
	}
	switch {
	case publicURL != "":
		return safeErr(r.point(ctx, publicURL))
	case *tun == nil:
		return cmdutil.UsageErrorf("--number needs a public URL to point the number at, and there is none (%s): set $NGROK_AUTHTOKEN or pass --public-url", cmpOr(localWhy, "no tunnel"))
	}
	r.stop = stop
	*tun = r.follow(ctx, *tun)
	return nil
}

// restoreJoin restores on listen's way out and folds the outcome into
// listen's own error: a failed restore makes the exit status 1 even when
// listen ended well.
func (r *numbersRun) restoreJoin(err error) error {
	if rerr := r.restore(); rerr != nil {
		if err != nil {
			say(r.log, rerr.Error())
			return err
		}
		return rerr
	}
	if err == nil && r.firstErr != nil {
		return safeErr(r.firstErr)
	}
	return err
}

// domainURL is the public URL a reserved ngrok domain will have, for
// --dry-run; "" without one.
func domainURL(domain string) string {
	d := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(domain), "https://"), "http://"), "/")
	if d == "" {
		return ""
	}
	return "https://" + d
}

// restore puts everything back on the way out; it runs on its own
// context, since listen's has ended by then.
func (r *numbersRun) restore() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*numbers.DefaultTimeout)
	defer cancel()
	if r.sess.Pointed() == "" {
		r.once.Do(func() { close(r.started) })
	}
	notes, err := r.sess.Restore(ctx)
	say(r.log, notes...)
	return safeErr(err)
}
