package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
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

// recoverJournals inserts the records of every journal whose listener is
// gone (its lock is free, or missing) and deletes those journals. Records
// already indexed are recognised by their ID and time and skipped; one
// whose ID another process took meanwhile gets a new ID rather than be
// lost. Records older than the oldest exchange kept were pruned after they
// were indexed, and are not brought back.
func recoverJournals(ctx context.Context, db *sql.DB, dbPath string) error {
	if !journalSupported {
		return nil
	}
	// Listed, not globbed: the names are matched as written, whatever
	// characters the store's path holds.
	dir, base := filepath.Split(filepath.Clean(dbPath))
	entries, err := os.ReadDir(cmp.Or(dir, "."))
	if err != nil {
		return nil // nothing to recover from a directory we cannot list
	}
	head := base + "-capture-"
	owners := map[string][]string{} // prefix → its segments
	for _, e := range entries {
		name := e.Name()
		rest, ok := strings.CutPrefix(name, head)
		if !ok {
			continue
		}
		full := filepath.Join(dir, name)
		switch {
		case strings.HasSuffix(rest, ".log"):
			owner := strings.TrimSuffix(rest, ".log")
			if i := strings.LastIndexByte(owner, '.'); i > 0 {
				owner = owner[:i]
			}
			p := filepath.Join(dir, head+owner)
			owners[p] = append(owners[p], full)
		case strings.HasSuffix(rest, ".lock"):
			p := strings.TrimSuffix(full, ".lock")
			if _, ok := owners[p]; !ok {
				owners[p] = nil
			}
		case strings.HasSuffix(rest, ".tmp"):
			removeDeadTemp(full)
		}
	}
	for prefix, segs := range owners {
		if err := recoverOwner(ctx, db, prefix, segs); err != nil {
			return err
		}
	}
	return nil
}

// removeDeadTemp removes a lock file a listener died creating (before it
// renamed it into place): one nobody holds.
func removeDeadTemp(name string) {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return
	}
	defer f.Close()
	if ok, _ := tryLock(f); ok {
		os.Remove(name)
	}
}

func recoverOwner(ctx context.Context, db *sql.DB, prefix string, segs []string) error {
	lock, err := os.OpenFile(prefix+".lock", os.O_RDWR, 0)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// No lock file: its listener is gone (or never got that far).
	case err != nil:
		return fmt.Errorf("recover capture journal: %w", err)
	default:
		defer lock.Close()
		if ok, _ := tryLock(lock); !ok {
			return nil // its listener is running
		}
	}
	slices.Sort(segs) // zero-padded sequence numbers sort in order
	var recs [][]any
	for _, name := range segs {
		b, err := os.ReadFile(name)
		if errors.Is(err, fs.ErrNotExist) {
			// Another process recovered it first (it removes the
			// segments before the lock file, and holds the lock until
			// then): nothing left to do here.
			continue
		}
		if err != nil {
			return fmt.Errorf("recover capture journal: %w", err)
		}
		for len(b) > 0 {
			id, row, n, err := nextRecord(b)
			if err != nil || !isRow(row) {
				break // a torn tail (what follows was never acknowledged), or not ours
			}
			row[0] = id
			recs = append(recs, row)
			b = b[n:]
		}
	}
	if len(recs) > 0 {
		if err := retryLocked(ctx, maxLocked, func() error { return insertRecovered(ctx, db, recs) }); err != nil {
			return fmt.Errorf("recover capture journal %s: %w", prefix, err)
		}
	}
	for _, name := range segs {
		os.Remove(name)
	}
	os.Remove(prefix + ".lock")
	return nil
}

func insertRecovered(ctx context.Context, db *sql.DB, recs [][]any) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var oldest sql.NullInt64
	var cleared int64
	err = tx.QueryRowContext(ctx, `SELECT (SELECT MIN(id) FROM exchanges), COALESCE((SELECT cleared FROM id_reserve), 0)`).Scan(&oldest, &cleared)
	if err != nil {
		return err
	}
	// Rows keep the ID their webhook was acknowledged with wherever it is
	// free; the others are numbered after them.
	var renumber [][]any
	for _, row := range recs {
		id := row[0].(int64)
		if oldest.Valid && id < oldest.Int64 || id <= cleared {
			continue // indexed, then pruned or cleared
		}
		var ts, tns int64
		err := tx.QueryRowContext(ctx, `SELECT time_s, time_ns FROM exchanges WHERE id = ?`, id).Scan(&ts, &tns)
		switch {
		case err == nil && ts == asInt(row[1]) && tns == asInt(row[2]):
			continue // indexed before the crash
		case err == nil:
			row[0] = nil // the ID went to another exchange: take a new one
			renumber = append(renumber, row)
			continue
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if _, err := tx.ExecContext(ctx, insertSQL, row...); err != nil {
			return err
		}
	}
	for _, row := range renumber {
		if _, err := tx.ExecContext(ctx, insertSQL, row...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// isRow reports whether a journal record holds what encode returns (the
// parts recovery reads, typed as it reads them): a record with the right
// checksum may still not be one this code wrote.
func isRow(row []any) bool {
	if len(row) != rowArgs {
		return false
	}
	_, s := row[1].(int64)
	_, ns := row[2].(int64)
	return s && ns
}

func asInt(v any) int64 {
	switch v := v.(type) {
	case int64:
		return v
	case int:
		return int64(v)
	}
	return -1
}
