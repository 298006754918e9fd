// Package store keeps every exchange in a local SQLite file (WAL mode), so
// history survives restarts and another terminal can list or replay while
// `swhook listen` writes. One process writes in bulk (listen, with group
// commit); others read, and write the odd replay, at the same time.
//
// Layout: one row per exchange. The columns lists filter and sort on are
// real columns (indexed where a query uses them); the rest of the exchange
// is kept as JSON in summary (without headers and bodies), and the two
// header maps (a byte-exact binary encoding) and the bodies (BLOBs, byte
// for byte) are the row's last columns, so a summary read stops before
// them and a large body sits in overflow pages a list never touches. One
// table means each commit writes few pages to the WAL (see migration 3).
// Keeping the remainder as JSON means a field added to exchange.Exchange
// round-trips without a migration.
//
// IDs: the highest ID + 1 (INTEGER PRIMARY KEY), above any block a
// journaling listener has reserved (id_reserve). Pruning deletes only the
// oldest and Clear records the highest before it empties the store, so an
// ID is never handed out twice (a person who noted "#812" will never find
// another webhook under that number).
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite" // the "sqlite" driver, and its error codes

	"github.com/swhook/swhook/inspect/exchange"
)

// ErrNotFound is returned by Get and Last when there is no such exchange.
var ErrNotFound = errors.New("no such exchange")

// ErrClosed is returned by Save after Close.
var ErrClosed = errors.New("store is closed")

// ErrNoStore is returned by Open with Options.MustExist when the file does
// not exist yet, so read-only commands can say "nothing yet" instead of
// creating a directory tree just to list nothing.
var ErrNoStore = errors.New("no store yet")

// Options tune a store.
type Options struct {
	// Keep is how many exchanges to keep; older ones are pruned. 0 keeps all.
	// Pruning runs in the writer every so often, not on every Save, so the
	// store may briefly hold up to ~10% (at most 1000) more than Keep; Close
	// prunes exactly.
	Keep int
	// Now is the clock for anything the store stamps itself. Nothing does
	// yet (an exchange carries its own time); it is here so callers need not
	// change when something does.
	Now func() time.Time
	// MustExist makes Open fail with ErrNoStore (wrapping fs.ErrNotExist)
	// instead of creating the file.
	MustExist bool
	// BusyTimeout bounds how long a statement waits for another process's
	// lock (default 5 s).
	BusyTimeout time.Duration
	// FullSync makes every commit fsync (synchronous=FULL): durable across a
	// power cut, at the price of one fsync per batch. The default
	// (synchronous=NORMAL) is durable across a crash or kill -9 of swhook;
	// see the comment in Open.
	FullSync bool
	// Journal makes Save durable by appending to a capture journal (see
	// journal.go) instead of committing to SQLite, which an indexer then
	// does in bulk: what `swhook listen` uses, for throughput. Reads in
	// this process still see every Save that returned; other processes see
	// it within indexEvery. Ignored where file locks are not available.
	Journal bool

	// checkpointEvery, truncateAfter and restartFrames override the
	// checkpointer's settings (tests); zero means the defaults below.
	checkpointEvery, truncateAfter time.Duration
	restartFrames                  int
}

// Query selects exchanges for List and Count. Zero values mean "any".
type Query struct {
	Limit    int   // 0 = all
	BeforeID int64 // only IDs < BeforeID (paging back)
	AfterID  int64 // only IDs > AfterID (catching up)
	IDs      []int64
	Kind     string // event kind, or a prefix such as "call" for call.*
	// Status filters the response status: "5xx", "4xx", "2xx", or an exact
	// code such as "404"; "error" means the handler could not be reached.
	// CheckStatusFilter validates it up front.
	Status    string
	Signature string // exchange.SignatureStatus value
	Since     time.Time
	// Failed selects exchanges whose handler answered an error (non-2xx or
	// unreachable): what `replay --failed` resends.
	Failed bool
	// Summary leaves out request and response bodies and headers, for lists
	// that only need a row per exchange.
	Summary bool
}

// Store is an open exchange store. It is safe for concurrent use.
type Store struct {
	path string
	opts Options
	db   *sql.DB

	// mu guards closed and sends on reqs: Save holds it shared while it
	// enqueues, Close exclusively while it closes reqs, so no send ever
	// races a close.
	mu     sync.RWMutex
	closed bool
	reqs   chan *writeReq

	writerDone chan struct{}
	closing    chan struct{} // closed when Close starts: stop retrying a locked file
	// ckptDone is closed when the checkpointer stops; it runs until closing.
	ckptDone chan struct{}
	// dirty is set by each commit and cleared by the checkpointer, which
	// checkpoints only when something was written since it last looked.
	dirty atomic.Bool
	// restartDue asks the writer to finish a checkpoint itself: see
	// checkpointer.
	restartDue atomic.Bool
	// commits and rows count the writer's transactions and the exchanges
	// they carried, so benchmarks can report the group-commit batch size.
	commits, rows atomic.Int64
	// jr is the capture journal (nil unless Options.Journal) and ids the
	// IDs it hands out.
	jr  *journal
	ids ids
	// keepJournal is set (by the indexer) when a journaled row could not
	// be inserted: from then on the journal is kept for recovery.
	keepJournal bool
	closeOnce   sync.Once
	closeErr    error
}

// writeReq is one unit of work for the writer goroutine: a row to insert,
// or an operation (Clear) that must be ordered with the inserts.
type writeReq struct {
	row  []any
	fn   func(ctx context.Context, conn *sql.Conn) error
	done chan writeResult // buffered: the writer never waits for a Save that gave up

	// In journal mode: the ID capture gave the row, whether its saver has
	// been answered (it was journaled), and the indexer's failure, if any.
	id       int64
	answered bool
	err      error
}

type writeResult struct {
	id  int64
	err error
}

const (
	maxBatch   = 512
	maxYields  = 4 // see writer
	queueDepth = 1024
)

// Open opens (creating if needed, with directory 0700 and file 0600) the
// store at path and brings its schema up to date.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("store path is empty")
	}
	// One spelling of the path: the capture journal's files are named
	// after it, and every process must find them under the same name.
	path = filepath.Clean(path)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	if opts.checkpointEvery <= 0 {
		opts.checkpointEvery = checkpointEvery
	}
	if opts.truncateAfter <= 0 {
		opts.truncateAfter = truncateAfter
	}
	if opts.restartFrames <= 0 {
		opts.restartFrames = restartFrames
	}
	if err := prepareFile(path, opts.MustExist); err != nil {
		return nil, err
	}

	// synchronous: in WAL mode, NORMAL means a commit is written to the WAL
	// file (handed to the kernel) before COMMIT returns, and fsynced only at
	// checkpoints. Data the kernel holds survives the death of the process —
	// kill -9, a panic, an OOM kill — which is the durability swhook promises
	// ("a kill -9 right after Save returns loses nothing") and what the crash
	// test checks. Only a power cut or kernel crash can lose the last
	// commits, and even then the file is never corrupted. FULL would add an
	// fsync per batch to every webhook's latency for that rarer case; it is
	// available as Options.FullSync.
	syncMode := "NORMAL"
	if opts.FullSync {
		syncMode = "FULL"
	}
	q := url.Values{}
	q.Set("_busy_timeout", strconv.FormatInt(opts.BusyTimeout.Milliseconds(), 10))
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", syncMode)
	// Writes take the write lock at BEGIN, so two processes never deadlock
	// upgrading read locks; the busy timeout then queues them.
	q.Set("_txlock", "immediate")
	// 16 KiB pages for a new store (an existing one keeps its own: WAL mode
	// fixes the page size): the indexer's commits write a fourth as many
	// WAL frames — one pwrite each for header and page — and a bulk insert
	// costs ~30% less than with 4 KiB pages (BenchmarkSaveParallel).
	q.Add("_pragma", "page_size(16384)")
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(4)

	if err := retryLocked(ctx, opts.BusyTimeout, func() error { return migrate(ctx, db, path) }); err != nil {
		db.Close()
		return nil, err
	}
	// A listener killed with webhooks still in its capture journal: they
	// were answered, so they go in before anyone reads.
	if err := recoverJournals(ctx, db, path); err != nil {
		db.Close()
		return nil, err
	}
	conn, err := noCheckpointConn(ctx, db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	ins, err := prepareInserts(ctx, conn)
	if err != nil {
		conn.Close()
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s := &Store{
		path:       path,
		opts:       opts,
		db:         db,
		reqs:       make(chan *writeReq, queueDepth),
		writerDone: make(chan struct{}),
		closing:    make(chan struct{}),
		ckptDone:   make(chan struct{}),
	}
	if opts.Keep > 0 {
		// A smaller Keep than last time applies at once, before anyone reads.
		s.prune(ctx, conn)
	}
	ins.onCommit = func(rows []*writeReq) {
		s.commits.Add(1)
		s.rows.Add(int64(len(rows)))
		s.dirty.Store(true)
		if s.jr != nil && !s.keepJournal {
			// Before the batch's operations run: once a sync returns,
			// the journal holds nothing already indexed in a full segment.
			var top int64
			for _, r := range rows {
				top = max(top, r.id) // 0 for a row never journaled
			}
			s.jr.indexedThrough(top)
		}
	}
	if opts.Journal && journalSupported {
		if s.jr, err = openJournal(path, opts.FullSync); err != nil {
			ins.Close()
			conn.Close()
			db.Close()
			return nil, err
		}
		// Reservations get a connection of their own, which, like the
		// writer's, leaves checkpoints to the checkpointer.
		rconn, err := noCheckpointConn(ctx, db)
		if err != nil {
			s.jr.remove()
			ins.Close()
			conn.Close()
			db.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		q := newIndexQueue()
		go s.capture(rconn, q)
		go s.indexer(conn, ins, q)
	} else {
		go s.writer(conn, ins)
	}
	go s.checkpointer()
	return s, nil
}

// noCheckpointConn returns a connection that never checkpoints on commit:
// a checkpoint fsyncs, and inside the commit path it would stall every
// webhook waiting on the batch. The checkpointer goroutine does it from its
// own connection instead.
func noCheckpointConn(ctx context.Context, db *sql.DB) (*sql.Conn, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA wal_autocheckpoint = 0"); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

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
// file would grow without bound. So when the WAL is past restartFrames the
// checkpointer asks the writer to finish the job between two batches; most
// pages are already copied by then, so that costs the writer little, and
// its next transaction starts the WAL over.
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
			var busy, logFrames, done int
			err := s.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logFrames, &done)
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
			if _, err := s.db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err == nil {
				truncated = true
			}
		}
	}
}

// prepareFile creates the parent directory (0700) and the file (0600) when
// they are missing, so SQLite — which would create them with the umask's
// permissions — finds a private file. The -wal and -shm files SQLite adds
// take the database file's permissions.
func prepareFile(path string, mustExist bool) error {
	_, err := os.Stat(path)
	if err == nil {
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store %s: %w", path, err)
	}
	if mustExist {
		return fmt.Errorf("%w at %s: %w", ErrNoStore, path, fs.ErrNotExist)
	}
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("create store directory: %w", err)
		}
		// MkdirAll is subject to the umask, which can only remove bits;
		// chmod anyway so the directory we made is exactly 0700.
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("create store directory: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil // another process created it first
	}
	if err != nil {
		return fmt.Errorf("create store: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("create store: %w", err)
	}
	return f.Close()
}

// Path is the file the store lives in.
func (s *Store) Path() string { return s.path }

// Save stores x and sets x.ID. When it returns nil, x is durable: a kill -9
// right after loses nothing. Concurrent Saves are committed together (group
// commit), so durability costs one commit per batch, not per exchange.
//
// If ctx ends before the commit, Save returns ctx.Err() and leaves x.ID
// alone, but the exchange is still written when the writer reaches it: a
// webhook is never dropped because its caller stopped waiting.
func (s *Store) Save(ctx context.Context, x *exchange.Exchange) error {
	row, err := encode(x)
	if err != nil {
		return fmt.Errorf("save exchange: %w", err)
	}
	res, err := s.do(ctx, &writeReq{row: row, done: make(chan writeResult, 1)})
	if err != nil {
		return err
	}
	x.ID = res.id
	return nil
}

// do hands r to the writer and waits for its result.
func (s *Store) do(ctx context.Context, r *writeReq) (writeResult, error) {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return writeResult{}, ErrClosed
	}
	select {
	case s.reqs <- r:
		s.mu.RUnlock()
	case <-ctx.Done():
		if r.row == nil {
			s.mu.RUnlock()
			return writeResult{}, ctx.Err()
		}
		// The queue is full (the file is stuck) and the caller stops
		// waiting, but a webhook is never dropped: a goroutine finishes the
		// enqueue. It inherits this read lock, so Close, which takes the
		// lock exclusively before closing the queue, waits for it.
		go func() {
			defer s.mu.RUnlock()
			s.reqs <- r
		}()
		return writeResult{}, ctx.Err()
	}
	select {
	case res := <-r.done:
		return res, res.err
	case <-ctx.Done():
		return writeResult{}, ctx.Err()
	}
}

// writer owns the write connection: it takes everything waiting, commits it
// in one transaction and answers every waiter. It runs until Close closes
// reqs, and drains what is queued before it stops.
func (s *Store) writer(conn *sql.Conn, ins *inserts) {
	defer close(s.writerDone)
	ctx := context.Background()
	p := s.newPruner()
	batch := make([]*writeReq, 0, maxBatch)
	for r := range s.reqs {
		batch = s.gather(batch[:0], r)
		s.write(ctx, conn, ins, batch, p)
	}
	p.final(ctx, conn)
	ins.Close()
	conn.Close()
}

// gather appends r and whatever else is waiting to batch.
func (s *Store) gather(batch []*writeReq, r *writeReq) []*writeReq {
	batch = append(batch, r)
	// Let savers woken by the last commit enqueue before this batch is
	// cut: on a busy machine that turns batches of 2 into batches of 8.
	// Yield again while each yield brings more: every commit writes
	// its pages to the WAL, so fewer, larger batches cost less CPU,
	// and this stops as soon as nobody else is ready to save.
	for pass := 0; pass < maxYields && len(batch) < maxBatch; pass++ {
		before := len(batch)
		runtime.Gosched()
	fill:
		for len(batch) < maxBatch {
			select {
			case r2, ok := <-s.reqs:
				if !ok {
					break fill
				}
				batch = append(batch, r2)
			default:
				break fill
			}
		}
		if len(batch) == before {
			break
		}
	}
	return batch
}

// write commits a batch on the write connection: a checkpoint first when the
// checkpointer asked for one, and a prune with it when one is due.
func (s *Store) write(ctx context.Context, conn *sql.Conn, ins *inserts, batch []*writeReq, p *pruner) {
	if s.restartDue.Swap(false) {
		// See checkpointer. A failure (a reader holding an old
		// snapshot) only means the WAL starts over a little later.
		_, _ = conn.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
	}
	// Pruning rides in the batch's own transaction, so once Save
	// returns the store never holds more than it should for long.
	due := p.due(len(batch))
	n := s.commit(ctx, conn, ins, batch, due)
	p.done(n, due)
}

// pruner spaces prunes out: every tenth of Keep (at most 1000) rows.
type pruner struct {
	s            *Store
	since, every int
}

func (s *Store) newPruner() *pruner {
	p := &pruner{s: s, every: 1}
	if s.opts.Keep > 0 {
		p.every = min(max(s.opts.Keep/10, 1), 1000)
	}
	return p
}

func (p *pruner) due(n int) bool { return p.s.opts.Keep > 0 && p.since+n >= p.every }

func (p *pruner) done(inserted int, pruned bool) {
	if pruned {
		p.since = 0
	} else {
		p.since += inserted
	}
}

// final prunes what the last batches left beyond Keep.
func (p *pruner) final(ctx context.Context, conn *sql.Conn) {
	if p.s.opts.Keep > 0 && p.since > 0 {
		p.s.prune(ctx, conn)
	}
}

// commit writes a batch: inserts up to the first operation in one
// transaction, then each operation on its own, in queue order. It returns
// how many rows were inserted.
func (s *Store) commit(ctx context.Context, conn *sql.Conn, ins *inserts, batch []*writeReq, prune bool) int {
	keep := 0
	if prune {
		keep = s.opts.Keep
	}
	inserted := 0
	for len(batch) > 0 {
		if batch[0].fn != nil {
			batch[0].done <- writeResult{err: batch[0].fn(ctx, conn)}
			batch = batch[1:]
			continue
		}
		j := 0
		for j < len(batch) && batch[j].fn == nil {
			j++
		}
		rows := batch[:j]
		batch = batch[j:]
		ids, err := s.insertPatiently(ctx, conn, ins, rows, keep)
		keep = 0
		if err != nil && (len(rows) > 1 || isConstraint(err)) {
			// One bad row must not fail its neighbours: retry one by one.
			for _, r := range rows {
				ids, err := s.insertPatiently(ctx, conn, ins, []*writeReq{r}, 0)
				if err != nil && isConstraint(err) && r.row[0] != nil {
					// Its journaled ID went to another process's row
					// (see Clear): a new ID rather than a lost exchange.
					r.row[0] = nil
					ids, err = s.insertPatiently(ctx, conn, ins, []*writeReq{r}, 0)
				}
				if err == nil {
					inserted++
					r.id = ids[0]
				}
				r.finish(err)
				s.keepJournal = s.keepJournal || err != nil && r.answered
			}
			continue
		}
		for i, r := range rows {
			if err == nil {
				inserted++
				r.id = ids[i]
			}
			r.finish(err)
			s.keepJournal = s.keepJournal || err != nil && r.answered
		}
	}
	return inserted
}

// finish records a row's outcome and answers its saver, unless the
// capture journal already did.
func (r *writeReq) finish(err error) {
	r.err = err
	if r.answered {
		return
	}
	if err != nil {
		r.done <- writeResult{err: err}
		return
	}
	r.done <- writeResult{id: r.id}
}

// isConstraint reports SQLITE_CONSTRAINT (a row whose ID is taken).
func isConstraint(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == 19
}

// maxLocked bounds how long the writer keeps retrying while another
// process holds the write lock. Each attempt already waits BusyTimeout.
const maxLocked = 2 * time.Minute

// insertPatiently is insertRows that outlasts another process holding the
// write lock longer than the busy timeout: a webhook is never dropped
// because a replay in another terminal was slow. The savers may have
// stopped waiting (their ctx ended); their exchanges are still written.
// It gives up after maxLocked, or at once when Close has started and an
// attempt has failed.
func (s *Store) insertPatiently(ctx context.Context, conn *sql.Conn, ins *inserts, rows []*writeReq, keep int) ([]int64, error) {
	start := time.Now()
	for {
		ids, err := insertRows(ctx, conn, ins, rows, keep)
		if err == nil || !isLocked(err) || time.Since(start) > maxLocked {
			return ids, err
		}
		select {
		case <-s.closing:
			return ids, err
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// retryLocked runs f until it does not fail with a lock error, for up to
// limit. SQLite returns SQLITE_BUSY without calling the busy handler in a
// few cases — notably while another connection is switching a new file to
// WAL or recovering the WAL — which several swhook processes starting at
// once can hit.
func retryLocked(ctx context.Context, limit time.Duration, f func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := f()
		if err == nil || !isLocked(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// isLocked reports SQLITE_BUSY and SQLITE_LOCKED (and their extended codes).
func isLocked(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == 5 || c == 6
	}
	return false
}

// inserts are the writer's prepared statements, transaction control
// included. They run on the writer's connection directly rather than
// through a sql.Tx: database/sql prepares a connection's statement again
// for every transaction it is used in, and that parse was a tenth of the
// writer's time.
//
// The row insert itself goes further, to the driver's statement through
// (*sql.Conn).Raw: per row, database/sql's locking and argument conversion
// cost about as much as SQLite's own bind, and encode already produces
// driver values. The statement belongs to the writer's connection, which
// only the writer (or indexer) goroutine uses, and is only used inside Raw.
type inserts struct {
	exchange                driver.StmtExecContext
	begin, commit, rollback *sql.Stmt
	onCommit                func(rows []*writeReq)
	conn                    *sql.Conn
	args                    []driver.NamedValue
}

func prepareInserts(ctx context.Context, conn *sql.Conn) (*inserts, error) {
	ins := &inserts{conn: conn}
	err := conn.Raw(func(dc any) error {
		st, err := dc.(driver.ConnPrepareContext).PrepareContext(ctx, insertSQL)
		if err != nil {
			return err
		}
		ec, ok := st.(driver.StmtExecContext)
		if !ok {
			st.Close()
			return errors.New("the sqlite driver's statements cannot ExecContext")
		}
		ins.exchange = ec
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, p := range []struct {
		st  **sql.Stmt
		sql string
	}{
		// IMMEDIATE: take the write lock at BEGIN, as _txlock does for
		// BeginTx (see Open).
		{&ins.begin, "BEGIN IMMEDIATE"},
		{&ins.commit, "COMMIT"},
		{&ins.rollback, "ROLLBACK"},
	} {
		st, err := conn.PrepareContext(ctx, p.sql)
		if err != nil {
			ins.Close()
			return nil, err
		}
		*p.st = st
	}
	return ins, nil
}

func (i *inserts) Close() {
	for _, st := range []*sql.Stmt{i.begin, i.commit, i.rollback} {
		if st != nil {
			st.Close()
		}
	}
	if i.exchange != nil {
		_ = i.conn.Raw(func(any) error { return i.exchange.(driver.Stmt).Close() })
	}
}

// exec inserts rows with the driver's statement, filling ids.
func (i *inserts) exec(ctx context.Context, rows []*writeReq, ids []int64) error {
	return i.conn.Raw(func(any) error {
		for n, r := range rows {
			i.args = i.args[:0]
			for k, v := range r.row {
				i.args = append(i.args, driver.NamedValue{Ordinal: k + 1, Value: v})
			}
			res, err := i.exchange.ExecContext(ctx, i.args)
			if err != nil {
				return err
			}
			if ids[n], err = res.LastInsertId(); err != nil {
				return err
			}
		}
		clear(i.args) // let the rows' values go
		return nil
	})
}

// insertRows inserts rows in one transaction and, when keep > 0, prunes
// beyond keep in the same transaction.
func insertRows(ctx context.Context, conn *sql.Conn, ins *inserts, rows []*writeReq, keep int) ([]int64, error) {
	if _, err := ins.begin.ExecContext(ctx); err != nil {
		return nil, fmt.Errorf("save exchange: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			// Harmless when SQLite already rolled back (it does on some
			// errors): ROLLBACK without a transaction only errors.
			_, _ = ins.rollback.ExecContext(ctx)
		}
	}()
	ids := make([]int64, len(rows))
	if err := ins.exec(ctx, rows, ids); err != nil {
		return nil, fmt.Errorf("save exchange: %w", err)
	}
	if keep > 0 {
		if err := pruneIn(ctx, conn, keep); err != nil {
			return nil, err
		}
	}
	if _, err := ins.commit.ExecContext(ctx); err != nil {
		return nil, fmt.Errorf("save exchange: commit: %w", err)
	}
	committed = true
	if ins.onCommit != nil {
		ins.onCommit(rows)
	}
	return ids, nil
}

// prune deletes the oldest exchanges beyond Keep in a transaction of its
// own (at Open and Close). A failure only delays pruning: not reported.
func (s *Store) prune(ctx context.Context, conn *sql.Conn) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return
	}
	defer tx.Rollback()
	if pruneIn(ctx, tx, s.opts.Keep) == nil {
		_ = tx.Commit()
	}
}

// pruneIn deletes all but the newest keep exchanges: two range deletes on
// the primary keys, after one index seek to find the cut.
func pruneIn(ctx context.Context, tx execQuerier, keep int) error {
	var cut int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM exchanges ORDER BY id DESC LIMIT 1 OFFSET ?`, keep).Scan(&cut)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // not more than keep
	}
	if err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM exchanges WHERE id <= ?`, cut); err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	return nil
}

// execQuerier is a *sql.Tx, or a *sql.Conn inside a transaction begun
// with a statement.
type execQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Get returns one exchange whole.
func (s *Store) Get(ctx context.Context, id int64) (*exchange.Exchange, error) {
	xs, err := s.List(ctx, Query{IDs: []int64{id}})
	if err != nil {
		return nil, err
	}
	if len(xs) == 0 {
		return nil, fmt.Errorf("exchange #%d: %w", id, ErrNotFound)
	}
	return xs[0], nil
}

// Last returns the newest exchange.
func (s *Store) Last(ctx context.Context) (*exchange.Exchange, error) {
	xs, err := s.List(ctx, Query{Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(xs) == 0 {
		return nil, fmt.Errorf("last exchange: %w", ErrNotFound)
	}
	return xs[0], nil
}

// List returns the exchanges q selects, newest first.
func (s *Store) List(ctx context.Context, q Query) ([]*exchange.Exchange, error) {
	where, args, err := q.where()
	if err != nil {
		return nil, err
	}
	if err := s.sync(ctx); err != nil {
		return nil, err
	}
	query := summaryFrom
	if !q.Summary {
		query = fullFrom
	}
	switch {
	case where != "":
		// Pick the page's IDs first, then read their rows: sorting a filtered
		// range then sorts bare IDs (often straight off an index) instead of
		// every matching row with its JSON.
		sub := "SELECT id FROM exchanges" + where
		if q.Limit > 0 {
			sub += " ORDER BY id DESC LIMIT " + strconv.Itoa(q.Limit)
		}
		query += " WHERE id IN (" + sub + ") ORDER BY id DESC"
	case q.Limit > 0:
		query += " ORDER BY id DESC LIMIT " + strconv.Itoa(q.Limit)
	default:
		query += " ORDER BY id DESC"
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list exchanges: %w", err)
	}
	defer rows.Close()
	var out []*exchange.Exchange
	for rows.Next() {
		x, err := scan(rows, q.Summary)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list exchanges: %w", err)
	}
	return out, nil
}

// Count returns how many exchanges q selects (Limit ignored).
func (s *Store) Count(ctx context.Context, q Query) (int, error) {
	where, args, err := q.where()
	if err != nil {
		return 0, err
	}
	if err := s.sync(ctx); err != nil {
		return 0, err
	}
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM exchanges"+where, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count exchanges: %w", err)
	}
	return n, nil
}

// LatestID returns the highest ID in the store (0 when empty), so a running
// listen can notice exchanges another process added (replays).
func (s *Store) LatestID(ctx context.Context) (int64, error) {
	if err := s.sync(ctx); err != nil {
		return 0, err
	}
	var id int64
	if err := s.db.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM exchanges").Scan(&id); err != nil {
		return 0, fmt.Errorf("latest exchange: %w", err)
	}
	return id, nil
}

// Clear removes every exchange. IDs carry on from the highest: a number
// noted before never names another webhook, and a listener running
// meanwhile (which watches for IDs above the last it showed) sees the
// next ones. It is ordered with
// this process's pending Saves: those queued before it are cleared too.
func (s *Store) Clear(ctx context.Context) error {
	_, err := s.do(ctx, &writeReq{
		done: make(chan writeResult, 1),
		fn: func(ctx context.Context, conn *sql.Conn) error {
			tx, err := conn.BeginTx(ctx, nil)
			if err != nil {
				return fmt.Errorf("clear: %w", err)
			}
			defer tx.Rollback()
			// IDs carry on from the highest: the reservation covers every
			// ID handed out so far.
			if _, err := tx.ExecContext(ctx, `UPDATE id_reserve SET
				cleared = MAX(cleared, COALESCE((SELECT MAX(id) FROM exchanges), 0)),
				id = MAX(id, COALESCE((SELECT MAX(id) FROM exchanges), 0), ?)`, s.ids.limit.Load()); err != nil {
				return fmt.Errorf("clear: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM exchanges`); err != nil {
				return fmt.Errorf("clear: %w", err)
			}
			if err := tx.Commit(); err != nil {
				return fmt.Errorf("clear: %w", err)
			}
			// Give the space back: a cleared store should be small again.
			_, _ = conn.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
			return nil
		},
	})
	return err
}

// Close flushes pending writes and closes the file. Closing twice is safe.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.closing)
		<-s.ckptDone
		s.mu.Lock()
		s.closed = true
		close(s.reqs)
		s.mu.Unlock()
		<-s.writerDone
		s.closeErr = s.db.Close()
	})
	return s.closeErr
}

// CheckStatusFilter reports whether s is a Query.Status filter the store
// understands, so commands can reject a typo as a usage error up front.
func CheckStatusFilter(s string) error {
	_, _, err := statusClause(s)
	return err
}

func statusClause(s string) (string, []any, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == "":
		return "", nil, nil
	case s == "error":
		return "resp_error <> '' AND " + failedCond, nil, nil
	case s == "2xx":
		return "resp_status BETWEEN 200 AND 299", nil, nil
	case len(s) == 3 && s[0] >= '1' && s[0] <= '5' && s[1:] == "xx":
		lo := int(s[0]-'0') * 100
		// Repeating failedCond lets the partial index serve it.
		return "resp_status BETWEEN ? AND ? AND " + failedCond, []any{lo, lo + 99}, nil
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 100 && n <= 599 {
		if n >= 200 && n <= 299 {
			return "resp_status = ?", []any{n}, nil
		}
		return "resp_status = ? AND " + failedCond, []any{n}, nil
	}
	return "", nil, fmt.Errorf("status filter %q: want a code such as 404, a class such as 5xx, or error", s)
}

func (q Query) where() (string, []any, error) {
	var conds []string
	var args []any
	if q.BeforeID > 0 {
		conds = append(conds, "id < ?")
		args = append(args, q.BeforeID)
	}
	if q.AfterID > 0 {
		conds = append(conds, "id > ?")
		args = append(args, q.AfterID)
	}
	if q.IDs != nil {
		if len(q.IDs) == 0 {
			conds = append(conds, "0")
		} else {
			ph := strings.TrimSuffix(strings.Repeat("?,", len(q.IDs)), ",")
			conds = append(conds, "id IN ("+ph+")")
			for _, id := range q.IDs {
				args = append(args, id)
			}
		}
	}
	if k := strings.TrimSuffix(strings.TrimSpace(q.Kind), "."); k != "" && isLeafKind(k) {
		// A whole kind: equality, so the index yields IDs newest first and
		// a page stops after its last row, with no sort.
		conds = append(conds, "kind = ?")
		args = append(args, k)
	} else if k != "" {
		// "call" matches call and call.*. One range on the kind index
		// (['call', 'call/'), '/' being the byte after '.'), then a residual
		// test kept off the index with '+': written as a top-level OR,
		// SQLite's multi-index OR plan is a hundred times slower.
		conds = append(conds, "kind >= ? AND kind < ? AND (+kind = ? OR +kind >= ?)")
		args = append(args, k, k+"/", k, k+".")
	}
	if q.Status != "" {
		c, a, err := statusClause(q.Status)
		if err != nil {
			return "", nil, err
		}
		conds = append(conds, c)
		args = append(args, a...)
	}
	if q.Signature != "" {
		conds = append(conds, "sig_status = ?")
		args = append(args, q.Signature)
		if q.Signature != string(exchange.SigValid) {
			conds = append(conds, "sig_status <> 'valid'") // the partial index's term
		}
	}
	if !q.Since.IsZero() {
		conds = append(conds, "(time_s, time_ns) >= (?, ?)")
		args = append(args, q.Since.Unix(), q.Since.Nanosecond())
	}
	if q.Failed {
		conds = append(conds, failedCond)
	}
	// When the failure index is the only one that applies, say so.
	failedOnly := (q.Failed || strings.EqualFold(strings.TrimSpace(q.Status), "error")) &&
		q.Kind == "" && (q.Signature == "" || q.Signature == string(exchange.SigValid))
	if len(conds) == 0 {
		return "", nil, nil
	}
	hint := ""
	if failedOnly {
		// Without statistics SQLite would rather scan every row newest
		// first than walk a partial index it cannot bound; failures are the
		// rare rows, so the index is the right call.
		hint = " INDEXED BY exchanges_failed"
	}
	return hint + " WHERE " + strings.Join(conds, " AND "), args, nil
}

// isLeafKind reports a known kind that no other kind extends ("call.status",
// not "call" or "relay.call").
func isLeafKind(k string) bool {
	known := false
	for _, kind := range exchange.Kinds {
		switch {
		case string(kind) == k:
			known = true
		case strings.HasPrefix(string(kind), k+"."):
			return false
		}
	}
	return known
}

// headersDoc is what the headers column held, as JSON, in rows written
// before schema version 2.
type headersDoc struct {
	Request  http.Header `json:"request"`
	Response http.Header `json:"response"`
}

// insertSQL inserts an encode result. Its first argument is the ID: given
// when the capture journal handed it out, or NULL for the highest ID + 1 —
// above any block a listener has reserved (migration 4).
const insertSQL = `INSERT INTO exchanges (
	id, time_s, time_ns, kind, sig_status, resp_status, resp_error, summary, head, payload
) VALUES (COALESCE(?, MAX(
	COALESCE((SELECT MAX(id) FROM exchanges), 0),
	COALESCE((SELECT id FROM id_reserve), 0)) + 1),
	?, ?, ?, ?, ?, ?, '', ?, ?)`

// The summary reads the text columns that came off the wire next to the
// JSON, because those columns keep their bytes exactly (see migration 2).
const (
	summaryFrom = `SELECT id, time_s, time_ns, summary, method, path, detail, resp_error, url, query, host, head FROM exchanges`
	fullFrom    = `SELECT id, time_s, time_ns, summary, method, path, detail, resp_error, url, query, host, head,
		headers, req_body, resp_body, payload FROM exchanges`
)

// summaryDoc is what the summary column holds: exchange.Exchange's JSON
// without ID and time (columns) and without headers and bodies (the last
// columns). It is written through method-free copies of Request and
// Response: their MarshalJSON encodes a second time and the outer encoder
// then re-validates the result, a third of Save's encoding cost. It reads
// back through exchange.Exchange's own decoding (the absent body fields
// decode as empty). TestSummaryDocCoversExchange fails when Exchange gains
// a field this does not carry.
type summaryDoc struct {
	Source        exchange.Source    `json:"source"`
	ReplayOf      int64              `json:"replay_of,omitempty"`
	Forward       string             `json:"forward,omitempty"`
	Request       summaryRequest     `json:"request"`
	Event         exchange.Event     `json:"event"`
	Signature     exchange.Signature `json:"signature"`
	Response      summaryResponse    `json:"response"`
	ResponseCheck exchange.Check     `json:"response_check"`
}

type (
	summaryRequest  exchange.Request
	summaryResponse exchange.Response
)

// rowArgs is how many arguments encode returns (insertSQL's parameters).
const rowArgs = 9

// encode turns x into insert arguments. It runs in the saving goroutine, so
// the encoding work is spread over the callers and the writer only writes.
func encode(x *exchange.Exchange) ([]any, error) {
	summary, err := encodeSummary(x)
	if err != nil {
		return nil, err
	}
	q := &x.Request
	head := appendHead(make([]byte, 0, 1+6*2+len(q.Method)+len(q.Path)+len(x.Event.Detail)+len(q.URL)+len(q.Query)+len(q.Host)+3+len(summary)),
		headFields{method: q.Method, path: q.Path, detail: x.Event.Detail, url: q.URL, query: q.Query, host: q.Host}, summary)
	return []any{ // rowArgs values
		nil, // the ID: see insertSQL
		x.Time.Unix(), int64(x.Time.Nanosecond()), string(x.Event.Kind),
		string(x.Signature.Status), int64(x.Response.Status), x.Response.Error,
		head, appendPayload(nil, x.Request.Headers, x.Response.Headers, x.Request.Body, x.Response.Body),
	}, nil
}

// encodeSummary is the summary column: x's JSON without headers and bodies
// (ID and time are columns; the zero values stand in). exchange.AppendJSON
// writes it without reflection; summaryDoc and json.Marshal write what it
// leaves to Marshal. Either reads back through exchange.Exchange's decoding.
func encodeSummary(x *exchange.Exchange) ([]byte, error) {
	c := *x
	c.ID, c.Time = 0, time.Time{}
	c.Request.Headers, c.Request.Body = nil, nil
	c.Response.Headers, c.Response.Body = nil, nil
	if b, ok := exchange.AppendJSON(make([]byte, 0, 640+len(c.Request.URL)+len(c.Signature.Hint)+len(c.ResponseCheck.Message)), &c); ok {
		return b, nil
	}
	doc := summaryDoc{
		Source: x.Source, ReplayOf: x.ReplayOf, Forward: x.Forward,
		Request: summaryRequest(c.Request), Event: x.Event, Signature: x.Signature,
		Response: summaryResponse(c.Response), ResponseCheck: x.ResponseCheck,
	}
	return json.Marshal(&doc)
}

func unblob(v any) exchange.Body {
	switch b := v.(type) {
	case nil:
		return nil
	case []byte:
		out := make(exchange.Body, len(b))
		copy(out, b)
		return out
	case string:
		return exchange.Body(b)
	}
	return nil
}

func scan(rows *sql.Rows, summary bool) (*exchange.Exchange, error) {
	var (
		id, sec, nsec                 int64
		sum                           string
		method, path, detail, respErr string
		rawURL, query, host           string
		headers, reqBody, rBody       any
		head, payload                 []byte
	)
	dest := []any{&id, &sec, &nsec, &sum, &method, &path, &detail, &respErr, &rawURL, &query, &host, &head}
	if !summary {
		dest = append(dest, &headers, &reqBody, &rBody, &payload)
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, fmt.Errorf("read exchange: %w", err)
	}
	if head != nil {
		h, err := decodeHead(head)
		if err != nil {
			return nil, fmt.Errorf("read exchange #%d: %w", id, err)
		}
		method, path, detail, rawURL, query, host, sum = h.method, h.path, h.detail, h.url, h.query, h.host, h.summary
	}
	x := new(exchange.Exchange)
	if err := json.Unmarshal([]byte(sum), x); err != nil {
		return nil, fmt.Errorf("read exchange #%d: %w", id, err)
	}
	x.ID = id
	x.Time = time.Unix(sec, nsec).UTC()
	// The columns hold the exact bytes; the JSON may have replaced invalid
	// UTF-8. (Rows from before migration 2 have empty url/query/host
	// columns: their JSON values stand.)
	x.Request.Method, x.Request.Path, x.Event.Detail, x.Response.Error = method, path, detail, respErr
	if rawURL != "" {
		x.Request.URL = rawURL
	}
	if query != "" {
		x.Request.Query = query
	}
	if host != "" {
		x.Request.Host = host
	}
	x.Request.Body, x.Response.Body = nil, nil
	if !summary {
		switch h := headers.(type) {
		case []byte:
			req, resp, err := decodeHeaders(h)
			if err != nil {
				return nil, fmt.Errorf("read exchange #%d headers: %w", id, err)
			}
			x.Request.Headers, x.Response.Headers = req, resp
		case string: // JSON, before schema version 2
			var d headersDoc
			if err := json.Unmarshal([]byte(h), &d); err != nil {
				return nil, fmt.Errorf("read exchange #%d headers: %w", id, err)
			}
			x.Request.Headers, x.Response.Headers = d.Request, d.Response
		}
		x.Request.Body, x.Response.Body = unblob(reqBody), unblob(rBody)
		if payload != nil {
			req, resp, reqB, respB, err := decodePayload(payload)
			if err != nil {
				return nil, fmt.Errorf("read exchange #%d: %w", id, err)
			}
			x.Request.Headers, x.Response.Headers = req, resp
			x.Request.Body, x.Response.Body = reqB, respB
		}
	}
	return x, nil
}
