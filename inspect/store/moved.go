package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/swhook/swhook/inspect/store/journal"
)

// The store file deleted or replaced under a running listener (rm, a
// restore from a backup): SQLite would go on writing into the unlinked
// file, and every webhook from then on would be lost with it. The indexer
// checks the file at the path before and after each transaction, and at
// least every fileCheckEvery when idle; when it is not the file it opened,
// it says so (Options.OnTrouble), opens a store at the path — a new one if
// there is none — and puts into it the rows of a transaction that may have
// gone into the old file.

// fileCheckEvery bounds how long a deleted store goes unnoticed by an idle
// listener.
const fileCheckEvery = 500 * time.Millisecond

// ErrMoved says the store file was deleted or replaced under a listener.
var ErrMoved = errors.New("the store file was deleted or replaced")

// moved reports whether the file at the path is no longer the one the
// store has open.
func (s *Store) moved() bool {
	if s.file == nil {
		return false
	}
	fi, err := os.Stat(s.path)
	return err != nil || !os.SameFile(fi, s.file)
}

// reopen replaces the pool and the indexer's connection with ones on the
// file now at the path. On failure it keeps the old ones and reports
// false; the next check tries again.
func (s *Store) reopen(ctx context.Context, conn *sql.Conn, ins *inserts) (*sql.Conn, *inserts, bool) {
	if !s.lost { // already said, with why no store could be opened
		s.setTrouble(fmt.Errorf("%w while listening: saving to a new store at %s", ErrMoved, s.path))
	}
	old := s.db()
	// The old pool closes first: its last connection deletes its WAL,
	// which SQLite would otherwise take for the new file's.
	ins.Close()
	conn.Close()
	old.Close()
	if _, err := os.Stat(s.path); errors.Is(err, fs.ErrNotExist) {
		// A WAL or shared-memory file left by the deleted store (another
		// process had it open) is not the new store's.
		os.Remove(s.path + "-wal")
		os.Remove(s.path + "-shm")
	}
	fail := func(err error) (*sql.Conn, *inserts, bool) {
		s.lost = true
		s.setTrouble(fmt.Errorf("%w while listening, and no store could be opened at %s: %w", ErrMoved, s.path, err))
		return nil, nil, false
	}
	if err := prepareFile(s.path, false); err != nil {
		return fail(err)
	}
	db, err := openMigrated(ctx, s.path, s.opts)
	if err != nil {
		return fail(err)
	}
	nconn, nins, err := writeConn(ctx, db)
	if err != nil {
		db.Close()
		return fail(err)
	}
	nins.onCommit, nins.number, nins.settle = ins.onCommit, ins.number, ins.settle
	// The ID counter may have gone with the file: a new one, past the old.
	// (The old one stays mapped: capture may be taking from it.)
	last := s.ids.counter().Last()
	c := journal.OpenCounter(s.path)
	c.Raise(last)
	s.ids.c.Store(c)
	s.ids.limit.Store(0)
	fi, err := os.Stat(s.path)
	if err != nil {
		nins.Close()
		nconn.Close()
		db.Close()
		return fail(err)
	}
	s.file = fi
	s.dbp.Store(db)
	// What the journal holds so far was indexed into the deleted file:
	// its segment goes once the next rows are in, so that no reader
	// (view.go) or recovery brings the deleted rows back.
	s.jr.Rotate()
	s.dirty.Store(true)
	s.lost = false
	if len(s.retry) == 0 {
		// Nothing waits: saving goes on. Refused rows waiting (a full
		// disk) are not saved yet: the indexer says so once they are.
		s.setTrouble(nil)
	}
	return nconn, nins, true
}
