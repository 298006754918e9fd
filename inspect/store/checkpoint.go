package store

import (
	"context"
	"time"
)

// Checkpoint timing: a passive checkpoint runs every checkpointEvery while
// exchanges are being written, which keeps the WAL to a few megabytes at
// thousands of webhooks a second; once writes have stopped for
// truncateAfter, a truncating checkpoint gives the WAL's space back.
const (
	checkpointEvery = 250 * time.Millisecond
	truncateAfter   = 2 * time.Second
	restartFrames   = 1024 // WAL frames (16 MiB at 16 KiB pages)
)

// checkpointer copies committed pages from the WAL into the database file,
// off the writer's path: a passive checkpoint never blocks the writer
// (SQLite lets commits append to the WAL while it runs), so its fsyncs cost
// no webhook any latency. It stops when Close starts; Close's final
// checkpoint happens when the last connection closes.
//
// Under sustained writes, though, a checkpoint running beside the writer
// never catches up with the last frame, and SQLite only starts the WAL
// over from its beginning once a checkpoint has copied every frame: the
// file would grow without bound. So once restartFrames have been appended
// the writer finishes the job between two batches (restartWAL; the
// checkpointer also asks it to when it finds the WAL that long, for frames
// other processes wrote); most pages are already copied by then, so that
// costs the writer little, and its next transaction starts the WAL over.
func (s *Store) checkpointer() {
	defer close(s.ckptDone)
	ctx := context.Background()
	every := s.opts.checkpointEvery
	tick := time.NewTicker(every)
	defer tick.Stop()
	idle := time.Duration(0)
	truncated := true
	for {
		select {
		case <-s.closing:
			return
		case <-tick.C:
		}
		if s.dirty.Swap(false) {
			idle, truncated = 0, false
			if s.restartDue.Load() {
				// The writer is about to finish a checkpoint: running
				// one beside it would make it give up (SQLITE_BUSY).
				continue
			}
			var busy, logFrames, done int
			s.ckptMu.Lock()
			err := s.db().QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logFrames, &done)
			s.ckptMu.Unlock()
			if err == nil && logFrames >= s.opts.restartFrames {
				s.restartDue.Store(true)
			}
			continue
		}
		idle += every
		if !truncated && idle >= s.opts.truncateAfter {
			// TRUNCATE waits for the writer (busy timeout), so it runs
			// only when nothing is being written. A failure (a reader in
			// another process) is retried after the next writes.
			s.ckptMu.Lock()
			_, err := s.db().ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
			s.ckptMu.Unlock()
			if err == nil {
				truncated = true
			}
		}
	}
}

// prepareFile creates the parent directory (0700) and the file (0600) when
// they are missing, so SQLite — which would create them with the umask's
// permissions — finds a private file. The -wal and -shm files SQLite adds
// take the database file's permissions.
