package journal

import (
	"os"
	"syscall"
)

// mapSegment reserves size bytes of disk for f (so a full disk fails here,
// not as a SIGBUS on a later copy) and maps them; nil when either fails, and
// the journal then writes with pwrite.
func mapSegment(f *os.File, size int) []byte {
	if err := syscall.Fallocate(int(f.Fd()), 0, 0, int64(size)); err != nil {
		return nil
	}
	m, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		return nil
	}
	return m
}

func unmapSegment(m []byte) { _ = syscall.Munmap(m) }
