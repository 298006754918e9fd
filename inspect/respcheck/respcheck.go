// Package respcheck says whether a handler's answer is one SignalWire will
// accept — the cause of the "document parse error" that ends calls — before
// a developer has to find out from a dead phone call.
package respcheck

import "github.com/swhook/swhook/inspect/exchange"

// Response is what is checked.
type Response struct {
	Status      int
	ContentType string
	Body        []byte
	// Err is set when the handler could not be reached.
	Err string
}

// Check grades resp as the answer to a webhook of event ev: voice and
// messaging webhooks must answer well-formed cXML with a <Response> root or
// valid SWML; status callbacks want a 2xx.
func Check(ev exchange.Event, resp Response) exchange.Check {
	panic("respcheck.Check: not built yet")
}
