package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/store"
	"github.com/swhook/swhook/inspect/syncbuf"
	"github.com/swhook/swhook/inspect/tui"
	"github.com/swhook/swhook/tunnel"
)

func tuiStore(t *testing.T, n int) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "s.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for i := 1; i <= n; i++ {
		x := &exchange.Exchange{
			Time:   time.Date(2026, 11, 24, 17, 0, i, 0, time.UTC),
			Source: exchange.SourceLocal,
			Request: exchange.Request{Method: "POST", URL: fmt.Sprintf("http://127.0.0.1:4747/hook/%d", i), Path: fmt.Sprintf("/hook/%d", i),
				Headers: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, Body: exchange.Body("CallStatus=ringing"), BodySize: 18},
			Event:     exchange.Event{Kind: exchange.KindCallStatus, Detail: "ringing"},
			Signature: exchange.Signature{Status: exchange.SigValid},
			Response:  exchange.Response{Status: 200, DurationMS: 2},
		}
		if err := st.Save(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// tuiTerminal is a Factory whose terminal is a pipe the test types into
// (in) and a buffer it reads the screen from (out).
func tuiTerminal(t *testing.T) (f *cmdutil.Factory, in *io.PipeWriter, out *syncbuf.Buffer) {
	t.Helper()
	ios, _, _, _ := cmdutil.Test()
	inR, inW := io.Pipe()
	t.Cleanup(func() { inW.Close() })
	out = &syncbuf.Buffer{}
	ios.In, ios.Out = inR, out
	return &cmdutil.Factory{IOStreams: ios, Now: time.Now, Getenv: func(string) string { return "" }}, inW, out
}

// waitScreen waits for the screen to show want.
func waitScreen(t *testing.T, out *syncbuf.Buffer, want string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if strings.Contains(out.String(), want) {
			return
		}
	}
	s := out.String()
	t.Fatalf("the screen never showed %q; output ends:\n%q", want, s[max(0, len(s)-2000):])
}

// TestStoreSourcePages checks the adapter gives the view what its Source
// contract says: newest first, below beforeID, summaries; Get whole.
func TestStoreSourcePages(t *testing.T) {
	ctx := context.Background()
	src := storeSource{st: tuiStore(t, 30)}
	page, err := src.List(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 10 || page[0].ID != 30 || page[9].ID != 21 {
		t.Fatalf("first page: %d rows, %d..%d", len(page), page[0].ID, page[len(page)-1].ID)
	}
	older, err := src.List(ctx, page[9].ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(older) != 10 || older[0].ID != 20 || older[9].ID != 11 {
		t.Fatalf("older page: %d rows from #%d", len(older), older[0].ID)
	}
	x, err := src.Get(ctx, 7)
	if err != nil || string(x.Request.Body) != "CallStatus=ringing" {
		t.Fatalf("Get(7): %v %+v", err, x)
	}
}

func TestTunnelRelayTranslatesAndStops(t *testing.T) {
	in := make(chan tunnel.Status)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	cfg := tuiConfig(ctx, &cmdutil.Factory{Now: time.Now}, liveSession{Tunnel: in,
		InitialTunnel: tunnel.Status{State: tunnel.StateConnecting}}, &wg)
	if cfg.InitialTunnel.State != tui.TunnelConnecting {
		t.Errorf("initial %q", cfg.InitialTunnel.State)
	}
	in <- tunnel.Status{State: tunnel.StateUp, URL: "https://b.ngrok-free.app", URLChanged: true, PrevURL: "https://a.ngrok-free.app"}
	got := <-cfg.Tunnel
	if got.State != tui.TunnelUp || got.URL != "https://b.ngrok-free.app" || !got.URLChanged || got.PrevURL != "https://a.ngrok-free.app" {
		t.Errorf("relayed %+v", got)
	}
	cancel()
	wg.Wait() // the relay goroutine has an owner and ends with it
	if _, ok := <-cfg.Tunnel; ok {
		t.Error("relay channel not closed")
	}
}

// TestRunTUIOverARealStore runs the whole view on a real store and feed:
// history loads, a live exchange appears, q quits and runTUI returns nil.
func TestRunTUIOverARealStore(t *testing.T) {
	st := tuiStore(t, 5)
	f, inW, out := tuiTerminal(t)
	feed := make(chan *exchange.Exchange, 1)
	sess := liveSession{PublicURL: "https://a.ngrok-free.app", LocalURL: "http://127.0.0.1:4747", KeySet: true,
		Exchanges: feed, Store: st, InitialTunnel: tunnel.Status{State: tunnel.StateUp, URL: "https://a.ngrok-free.app"}}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- runTUIWith(ctx, f, sess, tea.WithWindowSize(100, 30)) }()

	waitScreen(t, out, "/hook/5")
	live := &exchange.Exchange{Time: time.Now(), Request: exchange.Request{Method: "POST", Path: "/live-one"},
		Event: exchange.Event{Kind: exchange.KindCallInbound}, Signature: exchange.Signature{Status: exchange.SigInvalid}, Response: exchange.Response{Status: 200}}
	if err := st.Save(ctx, live); err != nil {
		t.Fatal(err)
	}
	feed <- live
	waitScreen(t, out, "/live-one")
	if _, err := inW.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("runTUI: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("q did not end the view")
	}
	// Once the screen is the terminal's again, one line says what the
	// session took (the five rows from before it do not count).
	want := "swhook: this session took 1 webhook (1 with an invalid signature); see them with `swhook list`\n"
	if !strings.HasSuffix(out.String(), want) {
		t.Errorf("the last line is not %q; output ends %q", want, out.String()[max(0, len(out.String())-200):])
	}
}

// TestRunTUIEndsWithContext: when listen stops (Ctrl-C reaches it as a
// signal, or the server fails), the view ends quietly.
func TestRunTUIEndsWithContext(t *testing.T) {
	f, _, _ := tuiTerminal(t)
	st := tuiStore(t, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runTUIWith(ctx, f, liveSession{Store: st, Tunnel: make(chan tunnel.Status)}, tea.WithWindowSize(80, 24))
	}()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("runTUI after cancel: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("runTUI did not end with its context")
	}
}

// The header says since when the tunnel is in its state, so the time must
// survive the translation (and show in local time, like the list's).
func TestTUITunnelKeepsSince(t *testing.T) {
	since := time.Date(2026, 11, 24, 9, 14, 5, 0, time.UTC)
	got := tuiTunnel(tunnel.Status{State: tunnel.StateDown, Since: since, Message: "no network"})
	if !got.Since.Equal(since) || got.Since.Location() != time.Local || got.State != tui.TunnelDown || got.Message != "no network" {
		t.Errorf("tuiTunnel: %+v", got)
	}
}

// After `swhook clear` in another terminal (another handle on the same
// store file), the live view's rows leave it: the real adapter reports the
// store's bounds and the view follows within about a second.
func TestRunTUIFollowsClearInAnotherTerminal(t *testing.T) {
	st := tuiStore(t, 3)
	f, inW, out := tuiTerminal(t)
	sess := liveSession{LocalURL: "http://127.0.0.1:4747", Exchanges: make(chan *exchange.Exchange), Store: st,
		InitialTunnel: tunnel.Status{State: tunnel.StateLocal}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- runTUIWith(ctx, f, sess, tea.WithWindowSize(100, 30)) }()
	waitScreen(t, out, "/hook/3")
	other, err := store.Open(ctx, st.Path(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	other.Close()
	waitScreen(t, out, "Waiting for webhooks")
	inW.Write([]byte("q"))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// Issue 16: a filter in the live view finds matches beyond the loaded
// page. With 20 000 rows the view loads the newest 1000; the filter
// sig:invalid, applied with Enter, runs against the whole store and shows
// the invalid rows from long ago.
func TestRunTUIFilterSearchesTheWholeStore(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "s.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < 20000; i += 8 {
				x := &exchange.Exchange{Time: time.Date(2026, 11, 24, 17, 0, 0, i, time.UTC), Source: exchange.SourceLocal,
					Request:   exchange.Request{Method: "POST", Path: fmt.Sprintf("/hook/%d", i)},
					Event:     exchange.Event{Kind: exchange.KindCallStatus, Detail: "ringing"},
					Signature: exchange.Signature{Status: exchange.SigValid}, Response: exchange.Response{Status: 200}}
				if i == 123 || i == 4567 {
					x.Signature.Status = exchange.SigInvalid
				}
				if err := st.Save(ctx, x); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	f, inW, out := tuiTerminal(t)
	sess := liveSession{LocalURL: "http://127.0.0.1:4747", Exchanges: make(chan *exchange.Exchange), Store: st,
		InitialTunnel: tunnel.Status{State: tunnel.StateLocal}}
	cctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- runTUIWith(cctx, f, sess, tea.WithWindowSize(100, 30)) }()
	waitScreen(t, out, "● following")
	inW.Write([]byte("/sig:invalid\r"))
	waitScreen(t, out, "2 matches in the store")
	waitScreen(t, out, "/hook/123 ")
	waitScreen(t, out, "/hook/4567 ")
	inW.Write([]byte("q"))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestTUIViewShowsStoreTroubleAndRejections goes the way listen wires it:
// the store's OnTrouble and the server's rejections reach the running view
// through tuiView, without either of them ever waiting for it.
func TestTUIViewShowsStoreTroubleAndRejections(t *testing.T) {
	st := tuiStore(t, 1)
	f, inW, out := tuiTerminal(t)
	v := newTUIView(f)
	v.opts = []tea.ProgramOption{tea.WithWindowSize(100, 30)}
	// Before the view runs (a store in trouble from the start) and more
	// often than the view reads: only the latest state counts.
	v.StoreTrouble(errors.New("first trouble"))
	v.StoreTrouble(errors.New("write journal: no space left on device"))
	for i := range 3 {
		v.Rejected(inspect.Rejected{Time: time.Now(), Peer: fmt.Sprintf("127.0.0.1:%d", 5000+i), Status: 431, Reason: "431 Request Header Fields Too Large"})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- v.Run(ctx, liveSession{LocalURL: "http://127.0.0.1:4747", Store: st}) }()

	// Both first appear whole (the renderer only redraws what changed, so
	// later changes are checked in inspect/tui's own tests).
	waitScreen(t, out, "NOT SAVING: write journal: no space left on device")
	waitScreen(t, out, "3 rejected")
	if _, err := inW.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("view: %v", err)
	}
	// Saving again replaces the trouble, so the view would take the
	// banner down.
	v.StoreTrouble(nil)
	if why := <-v.notSaving; why != "" {
		t.Errorf("after saving resumed the view is told %q, want \"\"", why)
	}
	if strings.Contains(out.String(), "first trouble") {
		t.Error("a superseded store state reached the view")
	}
}
