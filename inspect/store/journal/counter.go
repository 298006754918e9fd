package journal

import "sync/atomic"

// Counter hands out exchange IDs shared by every process on one store
// without a lock or a system call: a 64-bit counter in a small file beside
// the store (<store>-ids, 0600) that each process maps into memory and
// changes with atomic instructions, which are atomic across processes
// too. It holds the highest ID handed out. A listener numbers webhooks
// from it before journaling them, so no SQLite lock stands between a
// webhook and its answer; other processes number their rows from it too,
// so an ID is never handed out twice. Where the file cannot be mapped the
// counter is this process's alone (the store then renumbers a row whose
// ID another process took).
type Counter struct {
	v     *atomic.Int64
	unmap func()
}

// Take hands out n consecutive IDs and returns the first.
func (c *Counter) Take(n int) int64 { return c.v.Add(int64(n)) - int64(n) + 1 }

// Raise makes sure no ID at or below floor is handed out from now on: the
// highest ID in the store, or one another process reserved.
func (c *Counter) Raise(floor int64) {
	for {
		v := c.v.Load()
		if v >= floor || c.v.CompareAndSwap(v, floor) {
			return
		}
	}
}

// Last is the highest ID handed out so far.
func (c *Counter) Last() int64 { return c.v.Load() }

// Close unmaps the counter.
func (c *Counter) Close() {
	if c.unmap != nil {
		c.unmap()
		c.unmap = nil
	}
}

func localCounter() *Counter { return &Counter{v: new(atomic.Int64)} }
