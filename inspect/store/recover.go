package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

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
