package tunnel

import (
	"context"
	"net"
	"testing"
)

type chanTunnel struct {
	st      Status
	updates chan Status
}

func (c *chanTunnel) Start(ctx context.Context) (net.Listener, error) { return nil, nil }
func (c *chanTunnel) Status() Status                                  { return c.st }
func (c *chanTunnel) Updates() <-chan Status                          { return c.updates }

// Every status passes through fn, in order, before a reader sees it; the
// rewritten message shows in Status too; Updates closes with the inner's.
func TestObserve(t *testing.T) {
	in := &chanTunnel{updates: make(chan Status, 4)}
	var seen []string
	o := Observe(in, func(s Status) Status {
		seen = append(seen, s.URL)
		if s.URLChanged {
			s.URLChanged, s.Message = false, "re-pointed"
		}
		return s
	})
	if _, err := o.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	in.updates <- Status{State: StateUp, URL: "https://one"}
	in.updates <- Status{State: StateUp, URL: "https://two", URLChanged: true, PrevURL: "https://one", Message: "update the dashboard"}
	close(in.updates)
	var got []Status
	for s := range o.Updates() {
		got = append(got, s)
	}
	if len(got) != 2 || got[1].URLChanged || got[1].Message != "re-pointed" || len(seen) != 2 {
		t.Fatalf("got %+v, fn saw %v", got, seen)
	}
	in.st = Status{State: StateUp, URL: "https://two", URLChanged: true, Message: "update the dashboard"}
	if s := o.Status(); s.Message != "re-pointed" || s.URLChanged {
		t.Errorf("Status %+v", s)
	}
	in.st = Status{State: StateReconnecting, URL: "https://two", Message: "lost"}
	if s := o.Status(); s.Message != "lost" {
		t.Errorf("a newer inner state must win: %+v", s)
	}
}

// A tunnel that never changes (Local) has no updates to observe.
func TestObserveLocal(t *testing.T) {
	o := Observe(&Local{}, func(s Status) Status { t.Error("fn called"); return s })
	if o.Updates() != nil {
		t.Error("updates from a local listener")
	}
}
