// Package tui is swhook listen's live terminal view: a header saying where to
// send webhooks, a table of exchanges with signature badges, and a detail
// pane, driven by bubbletea. It depends only on the exchange model and leaf
// helpers; the store, the tunnel and replay reach it through the small
// interfaces below, which cmd adapts, so the screen can never slow or break
// the pipeline that feeds it.
package tui

import (
	"context"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/tui/header"
)

// Source is where the view reads history: pages of summaries (bodies and
// headers may be left out) and one exchange whole on demand.
type Source interface {
	// List returns up to limit exchanges with IDs below beforeID (0: from
	// the newest), newest first.
	List(ctx context.Context, beforeID int64, limit int) ([]*exchange.Exchange, error)
	// Get returns one exchange whole.
	Get(ctx context.Context, id int64) (*exchange.Exchange, error)
}

// Bounded is a Source that can say which of the view's rows still exist:
// Oldest is the lowest ID it holds now (0 when it holds none). Rows below it
// were pruned or cleared by another process, and leave the view.
type Bounded interface {
	Oldest(ctx context.Context) (int64, error)
}

// ReplayFunc sends exchange id again to the forward target (re-signed when
// resign is set), stores the result and returns it.
type ReplayFunc func(ctx context.Context, id int64, resign bool) (*exchange.Exchange, error)

// TunnelStatus is the tunnel's state as the header shows it.
type TunnelStatus = header.Tunnel

// TunnelState is the tunnel's health.
type TunnelState = header.TunnelState

// HeaderInfo is the session's fixed facts for the header.
type HeaderInfo = header.Info

// Tunnel states, re-exported so callers need not import header.
const (
	TunnelLocal        = header.TunnelLocal
	TunnelConnecting   = header.TunnelConnecting
	TunnelUp           = header.TunnelUp
	TunnelReconnecting = header.TunnelReconnecting
	TunnelDown         = header.TunnelDown
)
