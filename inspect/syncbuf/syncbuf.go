// Package syncbuf is a bytes.Buffer that one goroutine may write while
// another reads it: a process's stderr copier, a logger or a live view
// writing while a test polls what it has said so far. Tests of several
// packages need exactly this; one copy keeps them from drifting apart.
package syncbuf

import (
	"bytes"
	"sync"
)

// Buffer is safe for concurrent use; the zero value is ready.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
