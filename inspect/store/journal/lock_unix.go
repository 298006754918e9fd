//go:build unix

package journal

import (
	"errors"
	"os"
	"syscall"
)

// Supported says whether journals can be used here: the capture journal needs a lock that dies with its
// process (flock), so a recovering process can tell a crashed listener's
// journal from a running one's.
const Supported = true

// tryLock takes an exclusive lock on f without waiting. It reports false
// when another process holds it.
func tryLock(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}
