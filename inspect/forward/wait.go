package forward

import (
	"context"
	"sync"
	"time"
)

// Wait is the context of a forwarded request whose deadline bounds the wait
// for the handler's answer and nothing after it: once the caller has what it
// waited for (the answer's head and as much of its body as it keeps), Stop
// lifts the deadline, and the rest of the body is read at the pace of
// whoever it is relayed to. It carries its parent's values but never its
// cancellation: the sender hanging up must not cancel the handler's copy.
//
// Why not context.WithCancelCause and a time.AfterFunc: H1Client then had
// to watch that context with a context.AfterFunc, and the three (a timer, a
// cancel context, a watcher registered in its children and removed again)
// cost some 3% of listen's CPU per webhook. H1Client knows a Wait and puts
// its deadline on the connection instead, where the runtime's poller
// enforces it for free, and Stop lifts it there; the timer a Done channel
// needs runs only if something asks for Done (a dial, the fallback
// transport).
type Wait struct {
	parent   context.Context // values only (context.WithoutCancel)
	deadline time.Time

	mu      sync.Mutex
	done    chan struct{} // made by Done
	timer   *time.Timer   // started with done
	err     error         // why the wait ended early: DeadlineExceeded or Canceled
	stopped bool          // Stop came first: the deadline no longer applies
	pc      *h1Conn       // the H1Client connection carrying the deadline
}

// NewWait returns the context for one forward: parent's values, a deadline
// timeout from now.
func NewWait(parent context.Context, timeout time.Duration) *Wait {
	return &Wait{parent: context.WithoutCancel(parent), deadline: time.Now().Add(timeout)}
}

// Deadline is the end of the wait, even after Stop (a context's deadline
// never changes): H1Client puts it on the connection only while the wait
// lasts.
func (w *Wait) Deadline() (time.Time, bool) { return w.deadline, true }

// Value is the parent's.
func (w *Wait) Value(key any) any { return w.parent.Value(key) }

// Done closes when the deadline passes before Stop, or at Cancel.
func (w *Wait) Done() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done == nil {
		w.done = make(chan struct{})
		switch {
		case w.err != nil:
			close(w.done)
		case !w.stopped:
			w.timer = time.AfterFunc(time.Until(w.deadline), w.expire)
		}
	}
	return w.done
}

// Err is context.DeadlineExceeded once the deadline passed before Stop,
// context.Canceled after Cancel, else nil.
func (w *Wait) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.check()
	return w.err
}

// Stop ends the wait: the caller has the answer, and its deadline no longer
// applies (to the connection it is read from either). It reports false
// when it came too late: the deadline had passed, or Cancel ran.
func (w *Wait) Stop() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.check()
	if w.err != nil {
		return false
	}
	w.stopped = true
	if w.timer != nil {
		w.timer.Stop()
	}
	if w.pc != nil {
		w.pc.nc.SetDeadline(time.Time{}) // release need not clear it again, but may
	}
	return true
}

// Cancel ends the context (context.Canceled) unless it already ended, and
// aborts the I/O of the request still using it.
func (w *Wait) Cancel() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.end(context.Canceled)
	}
}

// expire is the Done timer's.
func (w *Wait) expire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil && !w.stopped {
		w.end(context.DeadlineExceeded)
	}
}

// check ends the wait if its deadline passed; w.mu is held. The deadline
// is read from the clock, not from a timer, so none need run.
func (w *Wait) check() {
	if w.err == nil && !w.stopped && !time.Now().Before(w.deadline) {
		w.end(context.DeadlineExceeded)
	}
}

// end records why the context ended and tells whoever watches; w.mu is
// held.
func (w *Wait) end(err error) {
	w.err = err
	if w.timer != nil {
		w.timer.Stop()
	}
	if w.done != nil {
		close(w.done)
	}
	if w.pc != nil {
		w.pc.abort()
	}
}

// attach puts the wait's deadline on pc, which now carries the request
// (detach takes it off).
func (w *Wait) attach(pc *h1Conn) {
	w.mu.Lock()
	defer w.mu.Unlock()
	pc.wait = w
	pc.deadline = true // release clears the connection's deadline
	switch {
	case w.err != nil:
		pc.abort()
	case !w.stopped:
		pc.nc.SetDeadline(w.deadline)
		w.pc = pc
	}
}

// detach takes pc off the wait, once its request is done with it. It
// reports false when the wait ended early while pc carried it, after which
// pc's deadline is not to be trusted (as for a watcher's abort).
func (w *Wait) detach(pc *h1Conn) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	pc.wait = nil
	if w.pc == pc {
		w.pc = nil
	}
	return w.err == nil
}
