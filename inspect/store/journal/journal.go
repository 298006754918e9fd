// Package journal is the capture journal: how `swhook listen` makes a webhook durable before
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
//
// The journal knows files, locks and record framing, not SQL: the store
// decides what a record holds (the arguments of its row insert) and inserts
// what Recover hands back.
package journal

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/swhook/swhook/inspect/internal/filelock"
)

// Supported says whether journals can be used here: the capture journal
// needs a lock that dies with its process (flock), so a recovering process
// can tell a crashed listener's journal from a running one's. Without it
// stores commit every Save to SQLite directly (Options.Journal is ignored).
const Supported = filelock.Supported

func tryLock(f *os.File) (bool, error) { return filelock.TryLock(f) }

// SegmentLimit is the size at which the journal moves on to a new segment,
// letting the indexed one be deleted. Small, so a crashed listener leaves
// little to recover.
const SegmentLimit = 1 << 20

// Journal is one process's capture journal. Append is called by one
// goroutine only (the store's capture); IndexedThrough by another (its
// indexer); Close once both have stopped.
type Journal struct {
	prefix string // <store>-capture-<owner>
	lock   *os.File
	fsync  bool

	seg    *os.File
	m      []byte // seg mapped into memory (mmap_linux.go), or nil: written with pwrite
	seq    int
	size   int64
	segMax int64 // highest ID in seg

	// rotate asks the next Append to start a new segment first (Rotate).
	rotate atomic.Bool

	mu      sync.Mutex
	retired []retiredSegment // full segments waiting for their records to be indexed
}

type retiredSegment struct {
	name  string
	maxID int64
}

// Open creates this process's journal beside the store at dbPath: its lock
// file (locked before it appears under its name, so no recovering process
// can take it for a dead listener's) and its first segment. With fsync every
// Append is synced to disk (durable across a power cut, not only a crash).
func Open(dbPath string, fsync bool) (*Journal, error) {
	owner := fmt.Sprintf("%d.%08x", os.Getpid(), rand.Uint32())
	j := &Journal{prefix: dbPath + "-capture-" + owner, fsync: fsync}
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
		j.Remove()
		return nil, err
	}
	return j, nil
}

func (j *Journal) segmentName(seq int) string {
	return fmt.Sprintf("%s.%06d.log", j.prefix, seq)
}

func (j *Journal) openSegment(need int) error {
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
		j.m = mapSegment(f, max(SegmentLimit, need))
	}
	return nil
}

// Append adds a batch of framed records (AppendRecord; maxID the highest ID
// among them) to the journal. When it returns nil the batch is durable.
func (j *Journal) Append(b []byte, maxID int64) error {
	if j.seg == nil {
		// The last segment could not be opened: try again rather than
		// leave the indexer to answer every webhook from now on.
		if err := j.openSegment(len(b)); err != nil {
			return err
		}
	}
	if j.rotate.Swap(false) && j.size > 0 {
		if err := j.retire(len(b)); err != nil {
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
	if j.size < SegmentLimit {
		return nil
	}
	// Move on. A failure to open the next segment is reported with this
	// batch's successor; this one is already safe.
	return j.retire(0)
}

// retire closes the current segment, to be deleted once indexed, and opens
// the next with room for need bytes at least.
func (j *Journal) retire(need int) error {
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
func (j *Journal) closeSegment() error {
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

// IndexedThrough deletes the retired segments whose records are all in
// SQLite (IDs are handed out in increasing order, so "every ID up to id"
// covers them).
func (j *Journal) IndexedThrough(id int64) {
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

// Close ends the journal once nothing appends or indexes any more. With
// everything indexed (allIndexed) its files go; otherwise they stay,
// unlocked, for the next Recover to bring in.
func (j *Journal) Close(allIndexed bool) {
	if j.seg != nil {
		j.closeSegment()
	}
	if allIndexed {
		j.Remove()
		return
	}
	j.lock.Close()
}

// Remove deletes the journal's files, whatever they hold.
func (j *Journal) Remove() {
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

// Rotate makes the next Append start a new segment, so the records so far
// go with their segment once indexed (IndexedThrough) rather than stay in
// the current one: after the store file was deleted, no reader should find
// its rows here. Safe to call from any goroutine.
func (j *Journal) Rotate() { j.rotate.Store(true) }

// Mapped reports whether the current segment is mapped into memory, so an
// append is a copy rather than a system call (what Linux gets).
func (j *Journal) Mapped() bool { return j.m != nil }

// Segment is the sequence number of the current segment: 1 until the
// journal first moves on.
func (j *Journal) Segment() int { return j.seq }

// Prefix names this journal's files: <store>-capture-<owner>, followed by
// ".lock" or ".<seq>.log".
func (j *Journal) Prefix() string { return j.prefix }
