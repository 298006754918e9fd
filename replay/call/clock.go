package call

import (
	"context"
	"sync"
	"time"
)

// Clock is a call's time. Interpreters wait on it (Pause, a Gather's
// timeout, ringing) so that by default a call runs as fast as the handler
// answers while its timestamps and CallDuration still read as if the
// waits had happened; --realtime waits for real.
type Clock interface {
	Now() time.Time
	// Sleep waits d (or, on a fast clock, only moves time on).
	Sleep(ctx context.Context, d time.Duration) error
	// Realtime says whether Sleep really waits.
	Realtime() bool
}

// RealClock waits the real durations.
func RealClock(now func() time.Time) Clock {
	if now == nil {
		now = time.Now
	}
	return realClock{now}
}

type realClock struct{ now func() time.Time }

func (c realClock) Now() time.Time { return c.now() }
func (c realClock) Realtime() bool { return true }
func (c realClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// FastClock never waits: Sleep adds to a virtual offset, so Now is the
// real time plus everything slept.
func FastClock(now func() time.Time) Clock {
	if now == nil {
		now = time.Now
	}
	return &fastClock{now: now}
}

type fastClock struct {
	now     func() time.Time
	mu      sync.Mutex
	skipped time.Duration
}

func (c *fastClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now().Add(c.skipped)
}

func (c *fastClock) Realtime() bool { return false }

func (c *fastClock) Sleep(ctx context.Context, d time.Duration) error {
	if d > 0 {
		c.mu.Lock()
		c.skipped += d
		c.mu.Unlock()
	}
	return ctx.Err()
}
