package tunnel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fakeClock hands every timer to the test, which fires it at will: no test
// waits for real time.
type fakeClock struct {
	now    time.Time
	timers chan fakeTimer
}

type fakeTimer struct {
	d time.Duration
	c chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC), timers: make(chan fakeTimer, 64)}
}

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	t := fakeTimer{d: d, c: make(chan time.Time, 1)}
	c.timers <- t
	return t.c
}

// next returns the next timer armed with duration d, skipping others.
func (c *fakeClock) next(t *testing.T, d time.Duration) fakeTimer {
	t.Helper()
	for {
		select {
		case tm := <-c.timers:
			if tm.d == d {
				return tm
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no %v timer armed", d)
		}
	}
}

// fakeBackend records each Listen; the test answers it.
type fakeBackend struct {
	calls   chan *listenCall
	diagErr chan error
}

type listenCall struct {
	ctx     context.Context
	opts    EndpointOptions
	onEvent func(Event)
	answer  chan listenAnswer
}

type listenAnswer struct {
	ep  Endpoint
	err error
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{calls: make(chan *listenCall, 8), diagErr: make(chan error, 1)}
}

func (b *fakeBackend) Listen(ctx context.Context, o EndpointOptions, on func(Event)) (Endpoint, error) {
	c := &listenCall{ctx: ctx, opts: o, onEvent: on, answer: make(chan listenAnswer, 1)}
	b.calls <- c
	select {
	case a := <-c.answer:
		return a.ep, a.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (b *fakeBackend) Diagnose(ctx context.Context) error {
	select {
	case err := <-b.diagErr:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (b *fakeBackend) call(t *testing.T) *listenCall {
	t.Helper()
	select {
	case c := <-b.calls:
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("Listen was not called")
		return nil
	}
}

// loopEndpoint is an ngrok endpoint stood in for by a real loopback
// listener: connections made to it are what the ngrok edge would deliver.
type loopEndpoint struct {
	net.Listener
	url string
	mu  sync.Mutex
	err error // returned by Accept once the listener is closed
}

func newLoopEndpoint(t *testing.T, url string) *loopEndpoint {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return &loopEndpoint{Listener: ln, url: url}
}

func (e *loopEndpoint) URL() string { return e.url }

func (e *loopEndpoint) Accept() (net.Conn, error) {
	c, err := e.Listener.Accept()
	if err != nil {
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.err != nil {
			return nil, e.err
		}
	}
	return c, err
}

// fail makes the endpoint die the way a dropped ngrok session does.
func (e *loopEndpoint) fail(err error) {
	e.mu.Lock()
	e.err = err
	e.mu.Unlock()
	e.Listener.Close()
}

func nextUpdate(t *testing.T, p *Public) Status {
	t.Helper()
	select {
	case s, ok := <-p.Updates():
		if !ok {
			t.Fatal("updates closed")
		}
		return s
	case <-time.After(10 * time.Second):
		t.Fatalf("no update; status is %+v", p.Status())
		return Status{}
	}
}

type publicHarness struct {
	p       *Public
	backend *fakeBackend
	clock   *fakeClock
	ln      net.Listener
	cancel  context.CancelFunc
}

func startHarness(t *testing.T, o PublicOptions) *publicHarness {
	t.Helper()
	h := &publicHarness{backend: newFakeBackend(), clock: newFakeClock()}
	o.Backend, o.Now, o.After = h.backend, h.clock.Now, h.clock.After
	h.p = NewPublic(o)
	ctx, cancel := context.WithCancel(t.Context())
	h.cancel = cancel
	ln, err := h.p.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h.ln = ln
	t.Cleanup(func() {
		cancel()
		select {
		case <-h.p.Done():
		case <-time.After(10 * time.Second):
			t.Error("tunnel did not stop when its context ended")
		}
	})
	return h
}

func TestPublicServesHTTPThroughTheEndpoint(t *testing.T) {
	h := startHarness(t, PublicOptions{Endpoint: EndpointOptions{Domain: "hooks.ngrok.app", TrafficPolicy: "on_http_request: []"}})
	if s := h.p.Status(); s.State != StateConnecting {
		t.Errorf("before the first answer: %+v", s)
	}
	c := h.backend.call(t)
	if c.opts.Domain != "hooks.ngrok.app" || c.opts.TrafficPolicy != "on_http_request: []" {
		t.Errorf("endpoint options not passed through: %+v", c.opts)
	}
	ep := newLoopEndpoint(t, "https://hooks.ngrok.app")
	c.answer <- listenAnswer{ep: ep}
	s := nextUpdate(t, h.p)
	if s.State != StateUp || s.URL != "https://hooks.ngrok.app" || s.URLChanged || s.Message != "" {
		t.Fatalf("first update %+v, want up at the URL", s)
	}
	if h.p.Status().URL != "https://hooks.ngrok.app" || h.ln.Addr().String() != "https://hooks.ngrok.app" {
		t.Errorf("status %+v, addr %v", h.p.Status(), h.ln.Addr())
	}

	var got []byte
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		fmt.Fprint(w, "<Response/>")
	})}
	go srv.Serve(h.ln)
	defer srv.Close()

	body := "CallSid=CA1&From=%2B15550001111&Body=caf%C3%A9"
	res, err := http.Post("http://"+ep.Addr().String()+"/voice?x=1", "application/x-www-form-urlencoded", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(got) != body || string(answer) != "<Response/>" {
		t.Errorf("handler got %q and answered %q", got, answer)
	}
}

func TestPublicBadTokenSaidAtOnce(t *testing.T) {
	h := startHarness(t, PublicOptions{Explain: ExplainContext{TokenSource: "$NGROK_AUTHTOKEN", Secret: testToken}})
	c := h.backend.call(t)
	deadline := h.clock.next(t, DefaultStartupTimeout)
	// ngrok-go keeps retrying inside Listen; each failure is an event.
	c.onEvent(Event{Kind: EventDisconnected, Err: authFailed{legacyErr{text107}}, At: h.clock.now})
	s := nextUpdate(t, h.p)
	if s.State != StateDown || !strings.Contains(s.Message, "ERR_NGROK_107") || !strings.Contains(s.Message, "$NGROK_AUTHTOKEN") {
		t.Fatalf("got %+v, want down with the bad-token sentence", s)
	}
	if strings.Contains(fmt.Sprintf("%+v", s), testToken) {
		t.Errorf("status shows the token: %+v", s)
	}
	// The same failure again (ngrok's next retry) and the startup deadline
	// add nothing: no flood of identical lines.
	c.onEvent(Event{Kind: EventDisconnected, Err: authFailed{legacyErr{text107}}, At: h.clock.now.Add(time.Minute)})
	deadline.c <- h.clock.now
	// Then the user fixes the token in the dashboard... the tunnel comes up
	// and says so.
	c.answer <- listenAnswer{ep: newLoopEndpoint(t, "https://a.ngrok-free.app")}
	if s := nextUpdate(t, h.p); s.State != StateUp || s.URL != "https://a.ngrok-free.app" {
		t.Fatalf("got %+v, want up", s)
	}
}

func TestPublicSilentNetworkExplainedWithinStartupTimeout(t *testing.T) {
	h := startHarness(t, PublicOptions{})
	c := h.backend.call(t)
	// Nothing at all from ngrok (a black-holed network): the deadline is
	// what speaks, then the diagnosis refines it.
	h.clock.next(t, DefaultStartupTimeout).c <- h.clock.now
	s := nextUpdate(t, h.p)
	if s.State != StateDown || !strings.Contains(s.Message, "no answer from ngrok's servers") {
		t.Fatalf("after the deadline: %+v", s)
	}
	h.backend.diagErr <- dialErr(&net.DNSError{Err: "no such host", Name: "connect.ngrok-agent.com"})
	s = nextUpdate(t, h.p)
	if s.State != StateDown || !strings.Contains(s.Message, "cannot look up ngrok's servers") {
		t.Fatalf("after the diagnosis: %+v", s)
	}
	// The network returns; ngrok's own retry succeeds: announced.
	c.answer <- listenAnswer{ep: newLoopEndpoint(t, "https://b.ngrok-free.app")}
	if s := nextUpdate(t, h.p); s.State != StateUp || s.URL != "https://b.ngrok-free.app" {
		t.Fatalf("got %+v, want up", s)
	}
}

func TestPublicRefusedEndpointRetriesWithBackoff(t *testing.T) {
	h := startHarness(t, PublicOptions{Explain: ExplainContext{Domain: "mine.ngrok.app"}, MinBackoff: time.Second, MaxBackoff: time.Minute})
	c := h.backend.call(t)
	c.answer <- listenAnswer{err: codeErr{"ERR_NGROK_7118", text7118}}
	s := nextUpdate(t, h.p)
	if s.State != StateDown || !strings.Contains(s.Message, "mine.ngrok.app is not reserved for your ngrok account") {
		t.Fatalf("got %+v", s)
	}
	// Retrying cannot help until the user reserves the domain: slow retry.
	h.clock.next(t, time.Minute).c <- h.clock.now
	c = h.backend.call(t)
	if c.ctx.Err() != nil {
		t.Fatal("new attempt already cancelled")
	}
	c.answer <- listenAnswer{err: io.ErrUnexpectedEOF}
	if s := nextUpdate(t, h.p); s.State != StateDown || !strings.Contains(s.Message, "lost the connection to ngrok") {
		t.Fatalf("got %+v", s)
	}
	h.clock.next(t, 2*time.Second).c <- h.clock.now // doubled after the first failure
	h.backend.call(t).answer <- listenAnswer{ep: newLoopEndpoint(t, "https://mine.ngrok.app")}
	if s := nextUpdate(t, h.p); s.State != StateUp {
		t.Fatalf("got %+v, want up", s)
	}
}

func TestPublicFollowsDisconnectAndReconnect(t *testing.T) {
	h := startHarness(t, PublicOptions{})
	c := h.backend.call(t)
	c.answer <- listenAnswer{ep: newLoopEndpoint(t, "https://c.ngrok-free.app")}
	nextUpdate(t, h.p)

	lost := h.clock.now.Add(time.Hour) // the laptop slept
	c.onEvent(Event{Kind: EventDisconnected, Err: io.EOF, At: lost})
	s := nextUpdate(t, h.p)
	if s.State != StateReconnecting || !s.Since.Equal(lost) || s.URL != "https://c.ngrok-free.app" || !strings.Contains(s.Message, "reconnecting") {
		t.Fatalf("got %+v, want reconnecting since %v, URL kept", s, lost)
	}
	// A heartbeat-failure retry while still down keeps the first Since.
	c.onEvent(Event{Kind: EventDisconnected, Err: dialErr(&net.DNSError{Err: "no such host", Name: "connect.ngrok-agent.com"}), At: lost.Add(time.Minute)})
	if s := nextUpdate(t, h.p); s.State != StateReconnecting || !s.Since.Equal(lost) {
		t.Fatalf("got %+v", s)
	}
	back := lost.Add(2 * time.Minute)
	c.onEvent(Event{Kind: EventConnected, At: back})
	s = nextUpdate(t, h.p)
	if s.State != StateUp || !s.Since.Equal(back) || s.URL != "https://c.ngrok-free.app" || s.URLChanged {
		t.Fatalf("got %+v, want up again, same URL", s)
	}
	// Closing on purpose (nil error) and the agent's own cancellation say nothing.
	c.onEvent(Event{Kind: EventDisconnected})
	c.onEvent(Event{Kind: EventDisconnected, Err: context.Canceled})
	if s := h.p.Status(); s.State != StateUp {
		t.Errorf("got %+v", s)
	}
}

func TestPublicWarnsWhenURLChanges(t *testing.T) {
	h := startHarness(t, PublicOptions{})
	c := h.backend.call(t)
	ep := newLoopEndpoint(t, "https://old.ngrok-free.app")
	c.answer <- listenAnswer{ep: ep}
	nextUpdate(t, h.p)

	ep.fail(errors.New("failed to accept connection: session closed"))
	s := nextUpdate(t, h.p)
	if s.State != StateReconnecting || s.URL != "https://old.ngrok-free.app" {
		t.Fatalf("got %+v, want reconnecting with the old URL", s)
	}
	c2 := h.backend.call(t)
	if c.ctx.Err() == nil {
		t.Error("the dead attempt's session was not released")
	}
	c2.answer <- listenAnswer{ep: newLoopEndpoint(t, "https://new.ngrok-free.app")}
	s = nextUpdate(t, h.p)
	if s.State != StateUp || !s.URLChanged || s.PrevURL != "https://old.ngrok-free.app" || s.URL != "https://new.ngrok-free.app" ||
		!strings.Contains(s.Message, "update the webhook URL in the SignalWire dashboard") {
		t.Fatalf("got %+v, want a loud URL change", s)
	}
	if h.p.Status().URL != "https://new.ngrok-free.app" {
		t.Error("signatures would be checked against the old URL")
	}

}

func TestPublicSameURLAfterReconnectIsNoChange(t *testing.T) {
	h := startHarness(t, PublicOptions{})
	c := h.backend.call(t)
	ep := newLoopEndpoint(t, "https://same.ngrok-free.app")
	c.answer <- listenAnswer{ep: ep}
	nextUpdate(t, h.p)
	ep.fail(errors.New("session closed"))
	nextUpdate(t, h.p)
	h.backend.call(t).answer <- listenAnswer{ep: newLoopEndpoint(t, "https://same.ngrok-free.app")}
	s := nextUpdate(t, h.p)
	if s.State != StateUp || s.URLChanged || s.PrevURL != "" || s.Message != "reconnected to ngrok" {
		t.Fatalf("got %+v", s)
	}
}

func TestPublicStopsWithItsContext(t *testing.T) {
	h := startHarness(t, PublicOptions{})
	c := h.backend.call(t)
	accepted := make(chan error, 1)
	go func() {
		_, err := h.ln.Accept()
		accepted <- err
	}()
	h.cancel()
	<-h.p.Done()
	if c.ctx.Err() == nil {
		t.Error("the pending Listen was not cancelled")
	}
	if err := <-accepted; !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept returned %v, want net.ErrClosed", err)
	}
	for range h.p.Updates() {
	}
	if _, err := h.p.Start(t.Context()); err == nil {
		t.Error("a second Start succeeded")
	}
}

func TestPublicClosingTheListenerStopsTheTunnel(t *testing.T) {
	h := startHarness(t, PublicOptions{})
	c := h.backend.call(t)
	ep := newLoopEndpoint(t, "https://d.ngrok-free.app")
	c.answer <- listenAnswer{ep: ep}
	nextUpdate(t, h.p)
	h.ln.Close()
	select {
	case <-h.p.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("tunnel still running after its listener closed")
	}
	if _, err := net.Dial("tcp", ep.Addr().String()); err == nil {
		t.Error("the endpoint is still open")
	}
}

// A view that never reads must not stall the tunnel; the newest state
// always arrives.
func TestPublicSlowReaderGetsNewestState(t *testing.T) {
	h := startHarness(t, PublicOptions{})
	c := h.backend.call(t)
	for i := range 100 {
		c.onEvent(Event{Kind: EventDisconnected, Err: errors.New("attempt " + fmt.Sprint(i)), At: h.clock.now})
	}
	var last Status
	for len(h.p.Updates()) > 0 {
		last = <-h.p.Updates()
	}
	if !strings.Contains(last.Message, "attempt 99") || last.State != StateDown {
		t.Errorf("last update %+v, want the newest", last)
	}
}

// A reconnect that does not succeed within the start-up bound reads as
// "down" (the laptop is offline), and "up" follows when ngrok gets through.
func TestPublicLongReconnectBecomesDown(t *testing.T) {
	h := startHarness(t, PublicOptions{})
	c := h.backend.call(t)
	h.clock.next(t, DefaultStartupTimeout) // the start-up deadline, unused
	c.answer <- listenAnswer{ep: newLoopEndpoint(t, "https://e.ngrok-free.app")}
	nextUpdate(t, h.p)

	c.onEvent(Event{Kind: EventDisconnected, Err: dialErr(&net.DNSError{Err: "no such host", Name: "connect.ngrok-agent.com"}), At: h.clock.now})
	if s := nextUpdate(t, h.p); s.State != StateReconnecting {
		t.Fatalf("got %+v", s)
	}
	h.clock.now = h.clock.now.Add(DefaultStartupTimeout)
	h.clock.next(t, DefaultStartupTimeout).c <- h.clock.now
	s := nextUpdate(t, h.p)
	if s.State != StateDown || !strings.Contains(s.Message, "cannot look up ngrok's servers") || s.URL != "https://e.ngrok-free.app" || !s.Since.Equal(h.clock.now) {
		t.Fatalf("got %+v, want down since the watchdog fired, reason and URL kept", s)
	}
	c.onEvent(Event{Kind: EventConnected, At: h.clock.now.Add(time.Hour)})
	if s := nextUpdate(t, h.p); s.State != StateUp || s.Message != "reconnected to ngrok" {
		t.Fatalf("got %+v", s)
	}
}

// After a lost endpoint, the new attempt's reasons keep it "reconnecting"
// until the deadline, which then says down with the reason, not a guess.
func TestPublicLostEndpointThenNoNetwork(t *testing.T) {
	h := startHarness(t, PublicOptions{})
	c := h.backend.call(t)
	ep := newLoopEndpoint(t, "https://f.ngrok-free.app")
	c.answer <- listenAnswer{ep: ep}
	nextUpdate(t, h.p)
	h.clock.next(t, DefaultStartupTimeout) // first attempt's deadline

	ep.fail(errors.New("session closed"))
	nextUpdate(t, h.p)
	c2 := h.backend.call(t)
	deadline := h.clock.next(t, DefaultStartupTimeout)
	c2.onEvent(Event{Kind: EventDisconnected, Err: dialErr(os.NewSyscallError("connect", syscall.ENETUNREACH)), At: h.clock.now})
	s := nextUpdate(t, h.p)
	if s.State != StateReconnecting || !strings.Contains(s.Message, "cannot reach ngrok's servers") {
		t.Fatalf("got %+v", s)
	}
	deadline.c <- h.clock.now
	s = nextUpdate(t, h.p)
	if s.State != StateDown || !strings.Contains(s.Message, "cannot reach ngrok's servers") {
		t.Fatalf("got %+v, want down with the known reason", s)
	}
}
