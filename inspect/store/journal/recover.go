package journal

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Record is one record a dead listener's journal held.
type Record struct {
	ID  int64
	Row []any
}

// Recover hands the records of every journal beside the store at dbPath
// whose listener is gone (its lock is free, or missing) to insert, one
// journal at a time and in the order they were appended, and deletes each
// journal once insert has returned nil. A journal's records are read up to
// its first torn record, or the first whose row valid rejects (a record
// with the right checksum may still not be one the store wrote). The
// journal's lock is held meanwhile, so two processes never insert the same
// journal.
func Recover(dbPath string, valid func(row []any) bool, insert func([]Record) error) error {
	if !Supported {
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
		if err := recoverOwner(prefix, segs, valid, insert); err != nil {
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

func recoverOwner(prefix string, segs []string, valid func([]any) bool, insert func([]Record) error) error {
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
	var recs []Record
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
			id, row, n, err := NextRecord(b)
			if err != nil || !valid(row) {
				break // a torn tail (what follows was never acknowledged), or not ours
			}
			recs = append(recs, Record{ID: id, Row: row})
			b = b[n:]
		}
	}
	if len(recs) > 0 {
		if err := insert(recs); err != nil {
			return fmt.Errorf("recover capture journal %s: %w", prefix, err)
		}
	}
	for _, name := range segs {
		os.Remove(name)
	}
	os.Remove(prefix + ".lock")
	return nil
}

// Pending returns the records in the journals beside the store at dbPath
// of every listener but the one whose journal is self (a Journal's Prefix;
// "" for none), in the order each appended them: webhooks a listener has
// answered that its indexer may not have put into SQLite yet, so that a
// reader started after the answer sees them. Records may be in SQLite
// already; a journal being written is read up to its last whole record.
func Pending(dbPath, self string, valid func(row []any) bool) []Record {
	if !Supported {
		return nil
	}
	dir, base := filepath.Split(filepath.Clean(dbPath))
	entries, err := os.ReadDir(cmp.Or(dir, "."))
	if err != nil {
		return nil
	}
	head := base + "-capture-"
	var recs []Record
	for _, e := range entries { // sorted by name: each owner's segments in order
		name := e.Name()
		if !strings.HasPrefix(name, head) || !strings.HasSuffix(name, ".log") {
			continue
		}
		full := filepath.Join(dir, name)
		if self != "" && strings.HasPrefix(full, self+".") {
			continue
		}
		b, err := os.ReadFile(full)
		if err != nil {
			continue // indexed and deleted since the listing: in SQLite now
		}
		for len(b) > 0 {
			id, row, n, err := NextRecord(b)
			if err != nil || !valid(row) {
				break
			}
			recs = append(recs, Record{ID: id, Row: row})
			b = b[n:]
		}
	}
	return recs
}
