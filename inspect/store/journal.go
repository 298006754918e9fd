package store

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
)

// The capture journal is how `swhook listen` makes a webhook durable before
// answering it without paying for a SQLite transaction per batch of
// webhooks: each batch is appended to a plain file with one write (handed to
// the kernel, it survives kill -9 of swhook, as a commit with
// synchronous=NORMAL does), and a second goroutine, the indexer, inserts the
// records into SQLite in large transactions a few times a second. A
// transaction's cost is mostly per commit (WAL frame headers, locks, the
// index pages it touches), so committing hundreds of rows at once costs a
// fraction of committing them five at a time, and the commit no longer
// stands between a webhook and its answer.
//
// Files, next to the store: <store>-capture-<owner>.lock, locked (flock) by
// the listener for as long as it runs, and its segments
// <store>-capture-<owner>.<seq>.log (0600). A segment is deleted once every
// record in it is in SQLite; on a clean Close nothing is left. A process
// that opens the store and finds segments whose lock nobody holds (their
// listener was killed) inserts their records before anything else reads
// the store: nothing that was answered is lost.

// segmentLimit is the size at which the journal moves on to a new segment,
// letting the indexed one be deleted. Small, so a crashed listener leaves
// little to recover.
const segmentLimit = 1 << 20

// journal is one process's capture journal. append is called by the
// capture goroutine only; indexedThrough by the indexer; close once both
// have stopped.
type journal struct {
	prefix string // <store>-capture-<owner>
	lock   *os.File
	fsync  bool

	seg    *os.File
	m      []byte // seg mapped into memory (mmap.go), or nil: written with pwrite
	seq    int
	size   int64
	segMax int64 // highest ID in seg

	mu      sync.Mutex
	retired []retiredSegment // full segments waiting for their records to be indexed
}

type retiredSegment struct {
	name  string
	maxID int64
}

// openJournal creates this process's lock file (locked before it appears
// under its name, so no recovering process can take it for a dead
// listener's) and its first segment.
func openJournal(dbPath string, fsync bool) (*journal, error) {
	owner := fmt.Sprintf("%d.%08x", os.Getpid(), rand.Uint32())
	j := &journal{prefix: dbPath + "-capture-" + owner, fsync: fsync}
	tmp := j.prefix + ".tmp"
	lock, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("capture journal: %w", err)
	}
	if ok, err := tryLock(lock); !ok {
		lock.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("capture journal: lock %s: %w", tmp, errors.Join(err, errors.New("locked")))
	}
	if err := os.Rename(tmp, j.prefix+".lock"); err != nil {
		lock.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("capture journal: %w", err)
	}
	j.lock = lock
	if err := j.openSegment(0); err != nil {
		j.remove()
		return nil, err
	}
	return j, nil
}

func (j *journal) segmentName(seq int) string {
	return fmt.Sprintf("%s.%06d.log", j.prefix, seq)
}

func (j *journal) openSegment(need int) error {
	j.seq++
	f, err := os.OpenFile(j.segmentName(j.seq), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		j.seg, j.m = nil, nil
		return fmt.Errorf("capture journal: %w", err)
	}
	if j.fsync {
		// The new name must survive a power cut too.
		if d, err := os.Open(filepath.Dir(f.Name())); err == nil {
			d.Sync()
			d.Close()
		}
	}
	j.seg, j.m, j.size, j.segMax = f, nil, 0, 0
	if !j.fsync {
		// Appending is then a copy into the page cache: no system call
		// per batch, and what is copied survives the death of swhook as a
		// write would (the kernel owns the pages).
		j.m = mapSegment(f, max(segmentLimit, need))
	}
	return nil
}

// append adds a batch of framed records (maxID the highest among them) to
// the journal. When it returns nil the batch is durable.
func (j *journal) append(b []byte, maxID int64) error {
	if j.seg == nil {
		// The last segment could not be opened: try again rather than
		// leave the indexer to answer every webhook from now on.
		if err := j.openSegment(len(b)); err != nil {
			return err
		}
	}
	if j.m != nil && int(j.size)+len(b) > len(j.m) {
		if err := j.retire(len(b)); err != nil {
			return err
		}
	}
	if j.m != nil {
		copy(j.m[j.size:], b)
	} else {
		if _, err := j.seg.WriteAt(b, j.size); err != nil {
			return fmt.Errorf("capture journal: %w", err)
		}
		if j.fsync {
			if err := j.seg.Sync(); err != nil {
				return fmt.Errorf("capture journal: %w", err)
			}
		}
	}
	j.size += int64(len(b))
	j.segMax = max(j.segMax, maxID)
	if j.size < segmentLimit {
		return nil
	}
	// Move on. A failure to open the next segment is reported with this
	// batch's successor; this one is already safe.
	return j.retire(0)
}

// retire closes the current segment, to be deleted once indexed, and opens
// the next with room for need bytes at least.
func (j *journal) retire(need int) error {
	name := j.seg.Name()
	if err := j.closeSegment(); err != nil {
		return err
	}
	j.mu.Lock()
	j.retired = append(j.retired, retiredSegment{name: name, maxID: j.segMax})
	j.mu.Unlock()
	return j.openSegment(need)
}

// closeSegment unmaps the current segment, cuts it to what it holds and
// closes it.
func (j *journal) closeSegment() error {
	if j.m != nil {
		unmapSegment(j.m)
		j.m = nil
		if err := j.seg.Truncate(j.size); err != nil {
			j.seg.Close()
			return fmt.Errorf("capture journal: %w", err)
		}
	}
	if err := j.seg.Close(); err != nil {
		return fmt.Errorf("capture journal: %w", err)
	}
	return nil
}

// indexedThrough deletes the retired segments whose records are all in
// SQLite (IDs are handed out in increasing order, so "every ID up to id"
// covers them).
func (j *journal) indexedThrough(id int64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	keep := j.retired[:0]
	for _, r := range j.retired {
		if r.maxID <= id {
			os.Remove(r.name)
			continue
		}
		keep = append(keep, r)
	}
	j.retired = keep
}

// close ends the journal after the indexer has stopped. With everything
// indexed its files go; otherwise they stay, unlocked, for the next Open to
// recover.
func (j *journal) close(allIndexed bool) {
	if j.seg != nil {
		j.closeSegment()
	}
	if allIndexed {
		j.remove()
		return
	}
	j.lock.Close()
}

func (j *journal) remove() {
	if j.seg != nil {
		if j.m != nil {
			unmapSegment(j.m)
			j.m = nil
		}
		os.Remove(j.seg.Name())
	}
	j.mu.Lock()
	for _, r := range j.retired {
		os.Remove(r.name)
	}
	j.retired = nil
	j.mu.Unlock()
	os.Remove(j.prefix + ".lock")
	j.lock.Close()
}
