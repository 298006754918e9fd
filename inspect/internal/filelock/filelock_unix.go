//go:build unix

// Package filelock is the one non-blocking owner lock that both the capture
// journal and the listener registry rely on: flock dies with its process,
// so a lock file held by nobody tells a crashed owner from a running one.
package filelock

import (
	"errors"
	"os"
	"syscall"
)

// Supported says whether TryLock can tell a live owner from a dead one here.
const Supported = true

// TryLock takes an exclusive lock on f without waiting. It reports false,
// with no error, when another process holds it.
func TryLock(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}
