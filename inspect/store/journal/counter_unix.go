//go:build unix

package journal

import (
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// OpenCounter maps the ID counter of the store at dbPath, creating it
// (zero) when missing. It never fails: without the file, the counter is
// this process's alone.
func OpenCounter(dbPath string) *Counter {
	f, err := os.OpenFile(dbPath+"-ids", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return localCounter()
	}
	defer f.Close() // the mapping outlives the descriptor
	if fi, err := f.Stat(); err != nil || fi.Size() < 8 {
		// A new file (or one a crash left short): 8 zero bytes. Another
		// process doing the same at once writes the same zeros, and the
		// counter only ever grows from there.
		if err != nil || f.Truncate(8) != nil {
			return localCounter()
		}
	}
	m, err := syscall.Mmap(int(f.Fd()), 0, 8, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return localCounter()
	}
	// The mapping is page-aligned, so the 8 bytes are aligned for atomics.
	return &Counter{v: (*atomic.Int64)(unsafe.Pointer(&m[0])), unmap: func() { _ = syscall.Munmap(m) }}
}
