package cmdutil

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// Factory is everything a command may need from the outside world. Commands
// receive it instead of touching os.Getenv, time.Now or http.DefaultClient, so
// a test can run any command in-process with its own environment.
type Factory struct {
	IOStreams  *IOStreams
	Getenv     func(string) string
	Now        func() time.Time
	HTTPClient *http.Client
	// Version is stamped at build time (ldflags) and shown by --version.
	Version string
}

// New returns the factory for a real run.
func New(version string) *Factory {
	return &Factory{
		IOStreams:  System(),
		Getenv:     os.Getenv,
		Now:        time.Now,
		HTTPClient: &http.Client{Timeout: 30 * time.Second},
		Version:    version,
	}
}

// Environment variable names, as the README documents them.
const (
	EnvSigningKey = "SIGNALWIRE_SIGNING_KEY"
	EnvNgrokToken = "NGROK_AUTHTOKEN"
	EnvStore      = "SWHOOK_STORE"
)

// DefaultStorePath is where the store lives when neither --store nor
// $SWHOOK_STORE says otherwise: the user's state directory, so history
// survives restarts and every terminal finds the same store.
func DefaultStorePath(getenv func(string) string) (string, error) {
	if p := getenv(EnvStore); p != "" {
		return p, nil
	}
	var base string
	switch runtime.GOOS {
	case "windows":
		base = getenv("LocalAppData")
	case "darwin":
		if home := getenv("HOME"); home != "" {
			base = filepath.Join(home, "Library", "Application Support")
		}
	default:
		base = getenv("XDG_STATE_HOME")
		if base == "" {
			if home := getenv("HOME"); home != "" {
				base = filepath.Join(home, ".local", "state")
			}
		}
	}
	if base == "" {
		return "", errors.New("cannot find a home directory for the store; pass --store PATH or set $" + EnvStore)
	}
	return filepath.Join(base, "swhook", "swhook.db"), nil
}

// FlagError is a usage error: exit status 2, and the message names the fix.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// UsageErrorf builds a FlagError.
func UsageErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// ErrSilent ends a command with exit status 1 when it has already said why
// (a signature that does not verify is an answer, not a crash).
var ErrSilent = errors.New("silent")

// ExitCode maps a command's error to the process exit status:
// 0 success, 1 a negative answer or failure, 2 usage error.
func ExitCode(err error) int {
	var fe *FlagError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &fe):
		return 2
	default:
		return 1
	}
}
