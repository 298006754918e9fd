package cmd

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"regexp"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/tunnel"
)

// tunnelFlags are listen's flags about the public side.
type tunnelFlags struct {
	AuthToken     string
	Domain        string
	TrafficPolicy string

	// goos and backend replace the real OS and ngrok in tests.
	goos    string
	backend func(token tunnel.Authtoken, log *slog.Logger) tunnel.Backend
}

func addTunnelFlags(cmd *cobra.Command, t *tunnelFlags) {
	cmd.Flags().StringVar(&t.AuthToken, "ngrok-authtoken", "", "ngrok authtoken (default: $NGROK_AUTHTOKEN, then ngrok's own config file; both are safer than a flag, which other users can see in ps)")
	cmd.Flags().StringVar(&t.Domain, "domain", "", "reserved ngrok `domain`, so the URL in the SignalWire dashboard stays valid across restarts")
	cmd.Flags().StringVar(&t.TrafficPolicy, "traffic-policy", "", "ngrok traffic policy `file` applied to the public endpoint")
}

// noTokenHint is the one line a user without an ngrok token reads.
const noTokenHint = "no ngrok authtoken: serving locally only (set $NGROK_AUTHTOKEN or run `ngrok config add-authtoken`, or pass --public-url with your own tunnel)"

var hostname = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$`)

// startPublic opens the ngrok tunnel when a token is found. With no token it
// returns a nil Tunnel and a one-line hint saying how to get a public URL.
// It returns at once: the caller's Start begins connecting in the
// background and its progress arrives on the Tunnel's Updates. ngrok's own
// logging goes to log at debug level with the token removed.
func startPublic(ctx context.Context, f *cmdutil.Factory, t tunnelFlags, log *slog.Logger) (tun tunnel.Tunnel, hint string, err error) {
	domain := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(t.Domain), "https://"), "http://"), "/")
	if t.Domain != "" && !hostname.MatchString(domain) {
		return nil, "", cmdutil.UsageErrorf("--domain %q is not a host name (e.g. name.ngrok-free.app)", t.Domain)
	}
	var policy string
	if t.TrafficPolicy != "" {
		b, err := os.ReadFile(t.TrafficPolicy)
		if err != nil {
			reason := err
			var pe *fs.PathError
			if errors.As(err, &pe) {
				reason = pe.Err
			}
			return nil, "", cmdutil.UsageErrorf("--traffic-policy: cannot read %s: %v", t.TrafficPolicy, reason)
		}
		policy = string(b)
	}
	goos := t.goos
	if goos == "" {
		goos = runtime.GOOS
	}
	tok, err := tunnel.FindAuthtoken(t.AuthToken, f.Getenv, goos)
	if err != nil {
		return nil, err.Error() + "; serving locally only", nil
	}
	if tok.Token == "" {
		if domain != "" {
			return nil, strings.Replace(noTokenHint, "no ngrok authtoken:", "no ngrok authtoken, so --domain is unused:", 1), nil
		}
		return nil, noTokenHint, nil
	}
	newBackend := t.backend
	if newBackend == nil {
		newBackend = func(tok tunnel.Authtoken, log *slog.Logger) tunnel.Backend {
			return &tunnel.NgrokBackend{Authtoken: tok.Token, Log: log, Version: f.Version, ConnectURL: tok.ConnectURL}
		}
	}
	return tunnel.NewPublic(tunnel.PublicOptions{
		Backend:  newBackend(tok, tunnel.NgrokLog(log, tok.Token)),
		Endpoint: tunnel.EndpointOptions{Domain: domain, TrafficPolicy: policy},
		Explain:  tunnel.ExplainContext{TokenSource: tok.Source, Domain: domain, Secret: tok.Token},
		Now:      f.Now,
	}), "", nil
}

// localReason is the few words of a no-tunnel hint that say why there is
// no public URL ("no ngrok authtoken"), for the live view's header.
func localReason(hint string) string {
	for _, sep := range []string{": serving locally only", "; serving locally only", ", so --domain is unused"} {
		if i := strings.Index(hint, sep); i >= 0 {
			hint = hint[:i]
		}
	}
	return hint
}
