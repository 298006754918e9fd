package tunnel

import (
	"context"
	"net"
	"sync"
)

// Observe returns t with fn run on every status before it reaches
// Updates: something that must act on a new public URL (re-pointing a
// phone number) does so before any view hears of it, and may rewrite the
// message ("update the dashboard" becomes "done"). fn runs on one
// goroutine, in order; it ends when t's Updates closes.
func Observe(t Tunnel, fn func(Status) Status) Tunnel {
	return &observed{inner: t, fn: fn}
}

type observed struct {
	inner Tunnel
	fn    func(Status) Status

	once sync.Once
	out  chan Status

	mu   sync.Mutex
	last Status
	has  bool
}

func (o *observed) Start(ctx context.Context) (net.Listener, error) {
	ln, err := o.inner.Start(ctx)
	if err != nil {
		return nil, err
	}
	o.updates()
	return ln, nil
}

func (o *observed) updates() <-chan Status {
	o.once.Do(func() {
		in := o.inner.Updates()
		if in == nil {
			return // a tunnel that never changes: nothing to observe
		}
		o.out = make(chan Status, 32)
		go func() {
			defer close(o.out)
			for s := range in {
				s = o.fn(s)
				o.mu.Lock()
				o.last, o.has = s, true
				o.mu.Unlock()
				for {
					select {
					case o.out <- s:
					default:
						// A slow reader loses the oldest, never the newest.
						select {
						case <-o.out:
						default:
						}
						continue
					}
					break
				}
			}
		}()
	})
	return o.out
}

// Status is the inner tunnel's, with the observer's message while it
// describes the same state and URL.
func (o *observed) Status() Status {
	s := o.inner.Status()
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.has && o.last.State == s.State && o.last.URL == s.URL {
		s.Message, s.URLChanged, s.PrevURL = o.last.Message, o.last.URLChanged, o.last.PrevURL
	}
	return s
}

func (o *observed) Updates() <-chan Status { return o.updates() }

var _ Tunnel = (*observed)(nil)
