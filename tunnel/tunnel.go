// Package tunnel is how traffic reaches swhook: the local listener always,
// and a public ngrok endpoint when a token is available (or the user's own
// tunnel named with --public-url).
package tunnel

import (
	"context"
	"net"
	"time"
)

// State is the tunnel's health as shown in every output mode.
type State string

const (
	StateLocal        State = "local"        // no public tunnel: local listener only
	StateConnecting   State = "connecting"   // first attempt under way
	StateUp           State = "up"           // public URL reachable
	StateReconnecting State = "reconnecting" // lost, trying again
	StateDown         State = "down"         // failed; Message says why
)

// Status is a snapshot of a tunnel's state.
type Status struct {
	State State
	// URL is the public base URL (https://x.ngrok-free.app), empty when none.
	URL   string
	Since time.Time
	// Message is one human sentence about the state ("bad authtoken: …").
	Message string
	// URLChanged is set when the tunnel came back up with a different URL:
	// the dashboard must be updated.
	URLChanged bool
	PrevURL    string
}

// Tunnel is a public way in. Start returns a net.Listener whose Accept
// yields connections from the public side; it keeps working across
// reconnects, so one server serves it for the whole session. Updates
// reports every state change until ctx ends, then is closed.
type Tunnel interface {
	// Start begins connecting; it returns at once. The listener's Accept
	// blocks until the tunnel is up.
	Start(ctx context.Context) (net.Listener, error)
	Status() Status
	Updates() <-chan Status
}
