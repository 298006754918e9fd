package tunnel

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// DefaultStartupTimeout bounds how long a user waits before being told why
// the tunnel is not up: ngrok-go retries a bad network or a rejected token
// silently forever (ngrok/ngrok-go#176).
const DefaultStartupTimeout = 10 * time.Second

// PublicOptions configure a Public tunnel.
type PublicOptions struct {
	Backend  Backend
	Endpoint EndpointOptions
	// Explain names the token's source and the domain in messages, and
	// holds the secret to strip from ngrok's text.
	Explain ExplainContext
	// Now and After are the clock; nil means the real one. Tests inject
	// them so that timeouts and back-off happen without waiting.
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
	// StartupTimeout is how long a first connect may stay silent before
	// the user hears why (default DefaultStartupTimeout).
	StartupTimeout time.Duration
	// MinBackoff and MaxBackoff bound the wait between attempts that fail
	// outright (defaults 1s and 1m).
	MinBackoff, MaxBackoff time.Duration
}

// Public is a Tunnel through ngrok that never dies silently: it reports
// every state change, keeps retrying with back-off, reconnects on its own,
// and says loudly when the public URL changes.
type Public struct {
	o       PublicOptions
	updates chan Status

	mu      sync.Mutex
	st      Status
	gen     int  // attempt number; events of older attempts are ignored
	open    bool // the current attempt has an endpoint
	closed  bool // updates is closed
	started bool
	lastURL string
	actx    context.Context // the current attempt's context
	// explained is set once the current attempt's trouble has a reason.
	explained bool
	diagWG    sync.WaitGroup
	done      chan struct{}
	listener  *publicListener
}

// NewPublic returns a tunnel that connects when started.
func NewPublic(o PublicOptions) *Public {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.After == nil {
		o.After = time.After
	}
	if o.StartupTimeout <= 0 {
		o.StartupTimeout = DefaultStartupTimeout
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = time.Second
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(time.Minute, o.MinBackoff)
	}
	p := &Public{o: o, updates: make(chan Status, 32), done: make(chan struct{})}
	p.st = Status{State: StateConnecting, Since: o.Now(), Message: "connecting to ngrok"}
	return p
}

// Start implements Tunnel. The tunnel runs until ctx ends or the returned
// listener is closed; Done tells when it has stopped.
func (p *Public) Start(ctx context.Context) (net.Listener, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started {
		return nil, errors.New("tunnel already started")
	}
	p.started = true
	ctx, cancel := context.WithCancel(ctx)
	p.listener = &publicListener{conns: make(chan net.Conn), closed: make(chan struct{}), stop: cancel, p: p}
	go p.run(ctx)
	return p.listener, nil
}

// Done is closed when the tunnel has stopped and Updates is closed.
func (p *Public) Done() <-chan struct{} { return p.done }

// Status implements Tunnel.
func (p *Public) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.st
}

// Updates implements Tunnel. A slow reader loses the oldest updates, never
// the newest: the tunnel never waits for a screen.
func (p *Public) Updates() <-chan Status { return p.updates }

// set changes the state (p.mu held) and publishes it; repeating the same
// state and message publishes nothing, so a retry loop cannot flood views.
func (p *Public) set(s Status) {
	if s.State == p.st.State && s.Message == p.st.Message && s.URL == p.st.URL && !s.URLChanged {
		return
	}
	if s.State == p.st.State && !s.URLChanged {
		s.Since = p.st.Since
	} else if s.Since.IsZero() {
		s.Since = p.o.Now()
	}
	p.st = s
	if p.closed {
		return
	}
	for {
		select {
		case p.updates <- s:
			return
		default:
			select {
			case <-p.updates:
			default:
			}
		}
	}
}

func (p *Public) run(ctx context.Context) {
	defer close(p.done)
	defer func() {
		p.diagWG.Wait()
		p.mu.Lock()
		p.closed = true
		close(p.updates)
		p.mu.Unlock()
		p.listener.Close()
	}()
	backoff := p.o.MinBackoff
	for ctx.Err() == nil {
		ep, end, err := p.attempt(ctx)
		if ctx.Err() != nil {
			if ep != nil {
				ep.Close()
			}
			end()
			return
		}
		if err != nil {
			prob := Explain(err, p.o.Explain)
			p.failed(prob)
			wait := backoff
			if prob.Permanent {
				wait = p.o.MaxBackoff
			}
			backoff = min(backoff*2, p.o.MaxBackoff)
			select {
			case <-ctx.Done():
				return
			case <-p.o.After(wait):
			}
			continue
		}
		backoff = p.o.MinBackoff
		p.up(ep.URL())
		err = p.pump(ctx, ep)
		ep.Close()
		end()
		if ctx.Err() != nil {
			return
		}
		p.lost(err)
	}
}

// attempt runs one Listen, telling the user why within StartupTimeout if
// it has not succeeded by then. end releases the attempt's session once its
// endpoint is closed.
func (p *Public) attempt(ctx context.Context) (ep Endpoint, end func(), err error) {
	p.mu.Lock()
	p.gen++
	gen := p.gen
	p.open = false
	p.explained = false
	p.mu.Unlock()

	actx, cancel := context.WithCancel(ctx)
	p.mu.Lock()
	p.actx = actx
	p.mu.Unlock()
	type result struct {
		ep  Endpoint
		err error
	}
	res := make(chan result, 1)
	go func() {
		ep, err := p.o.Backend.Listen(actx, p.o.Endpoint, p.onEvent(gen))
		res <- result{ep, err}
	}()
	deadline := p.o.After(p.o.StartupTimeout)
	for {
		select {
		case r := <-res:
			if r.err != nil {
				cancel()
			}
			// On success the endpoint's session lives on actx until end.
			return r.ep, cancel, r.err
		case <-deadline:
			deadline = nil
			p.silent(actx, gen)
		case <-ctx.Done():
			cancel()
			r := <-res
			return r.ep, cancel, ctx.Err()
		}
	}
}

// silent handles a first connect with no verdict after StartupTimeout: say
// so now, then ask ngrok's diagnosis for a more precise sentence.
func (p *Public) silent(ctx context.Context, gen int) {
	p.mu.Lock()
	if p.gen != gen || p.open || p.st.State == StateDown {
		p.mu.Unlock()
		return
	}
	if p.explained {
		p.set(Status{State: StateDown, URL: p.st.URL, Message: p.st.Message})
		p.mu.Unlock()
		return
	}
	p.set(Status{State: StateDown, URL: p.st.URL, Message: Explain(context.DeadlineExceeded, p.o.Explain).Message})
	p.mu.Unlock()

	p.diagWG.Add(1)
	go func() {
		defer p.diagWG.Done()
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		err := p.o.Backend.Diagnose(dctx)
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.gen != gen || p.open || p.st.State != StateDown || ctx.Err() != nil {
			return
		}
		if err == nil {
			p.set(Status{State: StateDown, URL: p.st.URL, Message: "ngrok's servers answer but the tunnel is not up yet (slow network or an ngrok outage: https://status.ngrok.com); still trying"})
			return
		}
		p.set(Status{State: StateDown, URL: p.st.URL, Message: Explain(err, p.o.Explain).Message})
	}()
}

// onEvent follows the agent's session for attempt gen.
func (p *Public) onEvent(gen int) func(Event) {
	return func(e Event) {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.gen != gen || p.closed {
			return
		}
		switch e.Kind {
		case EventConnected:
			if p.open && p.st.State != StateUp {
				p.set(Status{State: StateUp, URL: p.lastURL, Since: e.At, Message: "reconnected to ngrok"})
			}
		case EventDisconnected:
			if e.Err == nil || errors.Is(e.Err, context.Canceled) {
				return
			}
			prob := Explain(e.Err, p.o.Explain)
			if p.open {
				wasUp := p.st.State == StateUp
				p.set(Status{State: StateReconnecting, URL: p.lastURL, Since: e.At, Message: prob.Message})
				if wasUp {
					p.watchReconnect(gen, p.st.Since)
				}
			} else {
				// Still connecting: say why at once (a bad token, no DNS);
				// after a lost endpoint it stays "reconnecting" until the
				// start-up deadline.
				state := StateDown
				if p.st.State == StateReconnecting {
					state = StateReconnecting
				}
				p.explained = true
				p.set(Status{State: state, URL: p.st.URL, Since: e.At, Message: prob.Message})
			}
		}
	}
}

// watchReconnect turns a reconnect that has not succeeded within
// StartupTimeout into "down", so a long outage (a laptop asleep, a train)
// reads as one. ngrok keeps retrying; "up" follows when it succeeds. The
// goroutine ends with the attempt. p.mu is held.
func (p *Public) watchReconnect(gen int, since time.Time) {
	ctx, timer := p.actx, p.o.After(p.o.StartupTimeout)
	go func() {
		select {
		case <-ctx.Done():
			return
		case <-timer:
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.gen == gen && p.st.State == StateReconnecting && p.st.Since.Equal(since) {
			p.set(Status{State: StateDown, URL: p.lastURL, Message: p.st.Message})
		}
	}()
}

func (p *Public) failed(prob Problem) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.set(Status{State: StateDown, URL: p.st.URL, Message: prob.Message})
}

func (p *Public) up(url string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.open = true
	s := Status{State: StateUp, URL: url}
	if p.lastURL != "" && p.lastURL != url {
		s.URLChanged, s.PrevURL = true, p.lastURL
		s.Message = "the public URL changed: update the webhook URL in the SignalWire dashboard"
	} else if p.lastURL != "" {
		s.Message = "reconnected to ngrok"
	}
	p.lastURL = url
	p.set(s)
}

func (p *Public) lost(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.open = false
	msg := "lost the ngrok endpoint; reconnecting"
	if err != nil && !errors.Is(err, net.ErrClosed) {
		msg = Explain(err, p.o.Explain).Message
	}
	p.set(Status{State: StateReconnecting, URL: p.lastURL, Message: msg})
}

// pump hands the endpoint's connections to the listener the server
// accepts on, until the endpoint fails or the tunnel stops.
func (p *Public) pump(ctx context.Context, ep Endpoint) error {
	stop := context.AfterFunc(ctx, func() { ep.Close() })
	defer stop()
	for {
		c, err := ep.Accept()
		if err != nil {
			return err
		}
		select {
		case p.listener.conns <- c:
		case <-ctx.Done():
			c.Close()
			return ctx.Err()
		}
	}
}

// publicListener is what the server accepts on: it outlives every
// endpoint, so reconnects are invisible to the server.
type publicListener struct {
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
	stop   context.CancelFunc
	p      *Public
}

func (l *publicListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

// Close stops the tunnel: with nobody accepting, the public endpoint has
// no reason to stay open.
func (l *publicListener) Close() error {
	l.once.Do(func() {
		close(l.closed)
		l.stop()
	})
	return nil
}

func (l *publicListener) Addr() net.Addr { return publicAddr{l.p} }

type publicAddr struct{ p *Public }

func (publicAddr) Network() string  { return "ngrok" }
func (a publicAddr) String() string { return a.p.Status().URL }
