package inspect

import (
	"io"
	"sync"
)

// BatchWriter lets a live view write a burst of lines with one system call
// instead of one per line: under load, a write per webhook to the terminal
// (or the file stdout is redirected to) cost about as much as storing it.
// Writes go straight through unless a burst is open (Hold); Release ends
// the burst and writes what it gathered. FollowBatched holds while more
// than one line is coming (exchanges waiting, the held ones a closed gap
// releases, a fill) and releases when it has caught up, so a line is never
// held back longer than it takes to format the ones queued with it. Safe for
// concurrent use (a tunnel event may be written while a burst is open).
type BatchWriter struct {
	mu   sync.Mutex
	w    io.Writer
	held bool
	buf  []byte
}

// maxBatchBytes bounds what a burst gathers before it is written anyway.
const maxBatchBytes = 16 << 10

// NewBatchWriter returns a BatchWriter over w.
func NewBatchWriter(w io.Writer) *BatchWriter { return &BatchWriter{w: w} }

// Write writes p, or adds it to the open burst.
func (b *BatchWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.held {
		return b.w.Write(p)
	}
	b.buf = append(b.buf, p...)
	if len(b.buf) >= maxBatchBytes {
		if err := b.flushLocked(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Hold opens a burst: writes are gathered until Release.
func (b *BatchWriter) Hold() {
	b.mu.Lock()
	b.held = true
	b.mu.Unlock()
}

// Release writes what the burst gathered and ends it.
func (b *BatchWriter) Release() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.held = false
	return b.flushLocked()
}

func (b *BatchWriter) flushLocked() error {
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.w.Write(b.buf)
	b.buf = b.buf[:0]
	return err
}
