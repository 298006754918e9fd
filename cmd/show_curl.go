package cmd

import (
	"fmt"
	"io"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/replay"
)

// writeCurl prints `swhook show ID --curl`: a curl command that sends the
// request again with its signature header. The command is built to be
// exact and terminal-safe (see replay.Curl), so it is printed as is.
func writeCurl(w io.Writer, x *exchange.Exchange) error {
	if x.Request.Truncated {
		return fmt.Errorf("exchange #%d: the captured body was truncated, so a curl command cannot reproduce it", x.ID)
	}
	_, err := fmt.Fprintln(w, replay.Curl(x))
	return err
}
