package cmdutil

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// AddStoreFlag adds the common --store flag.
func AddStoreFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "store", "", "path of the exchange store (default: $"+EnvStore+" or the user's state dir)")
}

// AddSigningKeyFlag adds the common --signing-key flag. The key is a secret:
// it is read from here or from the environment and never printed.
func AddSigningKeyFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "signing-key", "", "SignalWire signing key (default: $"+EnvSigningKey+")")
}

// StorePath resolves --store, then $SWHOOK_STORE, then the default location.
func StorePath(flag string, getenv func(string) string) (string, error) {
	if flag != "" {
		return flag, nil
	}
	return DefaultStorePath(getenv)
}

// SigningKey resolves --signing-key, then $SIGNALWIRE_SIGNING_KEY. It returns
// "" when neither is set; callers decide whether that is a usage error.
func SigningKey(flag string, getenv func(string) string) string {
	// No signing key contains white space; a newline from
	// KEY=$(cat keyfile) or a space pasted along would make every
	// signature read invalid and the key look wrong.
	if k := strings.TrimSpace(flag); k != "" {
		return k
	}
	return strings.TrimSpace(getenv(EnvSigningKey))
}

// RequireSigningKey is SigningKey for commands that cannot work without one.
func RequireSigningKey(flag string, getenv func(string) string) (string, error) {
	if k := SigningKey(flag, getenv); k != "" {
		return k, nil
	}
	return "", UsageErrorf("no signing key: pass --signing-key or set $%s (find it in the SignalWire dashboard under API)", EnvSigningKey)
}

// ExactArgs is cobra.ExactArgs with a usage error (exit 2) and a message
// that names the command's usage line.
func ExactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return UsageErrorf("%s takes %d argument(s), got %d; usage: %s", cmd.CommandPath(), n, len(args), cmd.UseLine())
		}
		return nil
	}
}

// MaximumNArgs is cobra.MaximumNArgs with a usage error.
func MaximumNArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) > n {
			return UsageErrorf("%s takes at most %d argument(s), got %d; usage: %s", cmd.CommandPath(), n, len(args), cmd.UseLine())
		}
		return nil
	}
}

// NoArgs rejects positional arguments with a usage error.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return UsageErrorf("%s takes no arguments, got %q; usage: %s", cmd.CommandPath(), args[0], cmd.UseLine())
	}
	return nil
}

// MutuallyExclusive returns a usage error when more than one of the named
// flags was set.
func MutuallyExclusive(cmd *cobra.Command, names ...string) error {
	var set []string
	for _, n := range names {
		if cmd.Flags().Changed(n) {
			set = append(set, "--"+n)
		}
	}
	if len(set) > 1 {
		return UsageErrorf("%s cannot be used together", joinAnd(set))
	}
	return nil
}

func joinAnd(s []string) string {
	switch len(s) {
	case 0:
		return ""
	case 1:
		return s[0]
	}
	out := s[0]
	for _, x := range s[1 : len(s)-1] {
		out += ", " + x
	}
	return fmt.Sprintf("%s and %s", out, s[len(s)-1])
}

// IsUsage reports whether err is a usage error.
func IsUsage(err error) bool {
	var fe *FlagError
	return errors.As(err, &fe)
}
