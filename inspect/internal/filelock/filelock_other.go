//go:build !unix

// Package filelock is the one non-blocking owner lock that both the capture
// journal and the listener registry rely on: flock dies with its process,
// so a lock file held by nobody tells a crashed owner from a running one.
package filelock

import (
	"errors"
	"os"
)

// Supported says whether TryLock can tell a live owner from a dead one here.
const Supported = false

// TryLock always fails here: there is no lock that dies with its process.
func TryLock(*os.File) (bool, error) {
	return false, errors.New("file locks are not supported here")
}
