// Package classify names what a webhook is about — an inbound call, the
// third status callback of that call, a delivered message — from its
// parameters, so the live view can say it in two words.
package classify

import "github.com/swhook/swhook/inspect/exchange"

// Request is what classification looks at.
type Request struct {
	Method      string
	Path        string
	Query       string // raw query string (GET webhooks carry their parameters here)
	ContentType string
	Body        []byte
}

// Classify returns the event kind and its detail (e.g. call.status
// "ringing"). It never fails: anything it cannot name is KindUnknown.
func Classify(r Request) exchange.Event {
	panic("classify.Classify: not built yet")
}
