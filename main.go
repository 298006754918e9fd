// Command swhook sees, verifies and replays SignalWire webhooks on a
// developer's machine.
package main

import (
	"os"

	"github.com/swhook/swhook/cmd"
)

func main() {
	os.Exit(cmd.Execute())
}
