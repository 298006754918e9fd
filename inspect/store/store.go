// Package store keeps every exchange in a local SQLite file (WAL mode), so
// history survives restarts and another terminal can list or replay while
// `swhook listen` writes. One process writes in bulk (listen, with group
// commit); others read, and write the odd replay, at the same time.
//
// Write path (writer.go, capture.go, insert.go):
//
//	Save ─ encode (codec.go, in the caller) ─▶ reqs ─┬─ writer: one transaction per batch ─▶ SQLite
//	                                                 └─ capture (Options.Journal): IDs from the shared
//	                                                    counter, one append to the journal (package
//	                                                    journal), answer — no SQLite on the way ─▶
//	                                                    indexer: a transaction every indexEvery ─▶ SQLite
//	checkpointer (checkpoint.go): WAL pages into the file, off the writers' path
//	Open: recover.go inserts what a killed listener's journal still held
//	refused rows (a full disk) are tried again; a deleted store file is
//	noticed and replaced (moved.go); Trouble says when nothing is saving
//
// Read path (query.go, view.go): List/Get/Count ─ sync (this process's
// pending rows indexed first) ─ other listeners' journals read (rows not
// in SQLite yet go to temp.pending) ─ the SELECT, on both ─ scan (codec.go).
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
// IDs: from a counter every process on the store shares (journal.Counter,
// <store>-ids), raised past the highest ID and id_reserve in each
// transaction that numbers rows. Pruning deletes only the oldest and Clear
// records the highest before it empties the store, so an ID is never
// handed out twice (a person who noted "#812" will never find
// another webhook under that number).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/swhook/swhook/inspect/store/journal"
)

// ErrNotFound is returned by Get and Last when there is no such exchange.
var ErrNotFound = errors.New("no such exchange")

// ErrClosed is returned by Save after Close.
var ErrClosed = errors.New("store is closed")

// ErrNoStore is returned by Open with Options.MustExist when the file does
// not exist yet, so read-only commands can say "nothing yet" instead of
// creating a directory tree just to list nothing.
var ErrNoStore = errors.New("no store yet")

// ErrReadOnly is returned by Open with Options.Journal (a listener) when
// the store cannot be written: better to refuse to start than to answer
// webhooks and keep none.
var ErrReadOnly = errors.New("store is read-only")

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
	// OnTrouble, when set, is told each time the store stops saving
	// exchanges or the reason changes (err says why: a full disk, say)
	// and, once, when rows reach SQLite again (nil), so a listener can say so loudly: see Store.Trouble. It is
	// called from the store's own goroutines and must not block.
	OnTrouble func(err error)
	// Journal makes Save durable by appending to a capture journal (see
	// package journal) instead of committing to SQLite, which an indexer
	// then does in bulk: what `swhook listen` uses, for throughput. Reads
	// in this process still see every Save that returned, and so do other
	// processes' (they read the journal too: view.go). Ignored where file
	// locks are not available.
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
	// Detail is an event detail word ("ringing", "delivered"), matched
	// case-insensitively: what the live view's event:ringing selects.
	Detail string
	// Status filters the response status: "5xx", "4xx", "2xx", or an exact
	// code such as "404"; "error" is human.HandlerFailed: unreachable, cut
	// off, or a 5xx answer.
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
	// Oldest lists oldest first: the first page of the store (the live
	// view's g), and paging forward from there with AfterID.
	Oldest bool
	// Listener selects the rows one listen took (its local URL, as
	// exchange.Exchange.Listener holds it).
	Listener string
	// Call selects one call's webhooks: its identity, as
	// exchange.CallRef.Group gives it (child legs included).
	Call string
	// Calls selects the webhooks of any of these calls.
	Calls []string
}

// Store is an open exchange store. It is safe for concurrent use.
type Store struct {
	path string
	opts Options
	// dbp is the pool (db): replaced when the file at path is deleted or
	// replaced under a listener (moved).
	dbp atomic.Pointer[sql.DB]
	// file is the store file as opened, to notice that.
	file os.FileInfo

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
	// restartDue asks the writer to finish a checkpoint itself, and tells
	// the checkpointer to leave it to the writer: see restartWAL.
	restartDue atomic.Bool
	// ckptMu makes the checkpointer and the writer take turns: see
	// restartWAL.
	ckptMu sync.Mutex
	// walFrames counts the pages the writer (or indexer) appended to the
	// WAL since it last started over; only that goroutine uses it.
	walFrames int
	// commits and rows count the writer's transactions and the exchanges
	// they carried, so benchmarks can report the group-commit batch size.
	commits, rows atomic.Int64
	// jr is the capture journal (nil unless Options.Journal) and ids the
	// IDs it hands out.
	jr  captureJournal
	ids ids
	// keepJournal is set (by the indexer) when a journaled row could not
	// be inserted, nor kept to try again: from then on the journal is kept
	// for recovery.
	keepJournal bool
	// retry holds the rows SQLite refused, tried again every retryEvery
	// (retried: when last); writer or indexer goroutine only.
	retry   []*writeReq
	retried time.Time
	// failed is why SQLite refused a row of the batch being written, or
	// nil; writer or indexer goroutine only.
	failed error
	// lost is set while no store could be opened at the path after the
	// file was replaced (moved.go): failures then are that one; writer or
	// indexer goroutine only.
	lost bool
	// trouble is why the last exchange is not durable, or nil: Trouble.
	troubleMu sync.Mutex
	trouble   error
	// jrPrefix names the journal's files (empty without one): reads skip
	// this process's own journal, which sync brings in.
	jrPrefix  string
	ddlCache  // see pendingDDL
	closeOnce sync.Once
	closeErr  error
}

// captureJournal is what the store needs of its capture journal
// (*journal.Journal); a test gives it one whose appends fail.
type captureJournal interface {
	Append(b []byte, maxID int64) error
	IndexedThrough(id int64)
	Rotate()
	Close(allIndexed bool)
	Remove()
}

// writeReq is one unit of work for the writer goroutine: a row to insert,
// or an operation (Clear) that must be ordered with the inserts.
type writeReq struct {
	row  []any
	fn   func(ctx context.Context, conn *sql.Conn) error
	done chan writeResult // buffered: the writer never waits for a Save that gave up

	// The ID capture gave the row (id, until the indexer renumbers it;
	// jid, as journaled), whether it is in the journal, and whether its
	// saver has been answered (journaled, inserted or refused).
	id, jid   int64
	journaled bool
	answered  bool
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
	if opts.Journal {
		if err := checkWritable(path); err != nil {
			return nil, err
		}
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
	db, err := openMigrated(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	counter := journal.OpenCounter(path)
	// undo closes what Open has opened so far, newest first, when a later
	// step fails.
	undo := []func(){func() { db.Close() }, func() { counter.Close() }}
	fail := func(err error) (*Store, error) {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
		return nil, err
	}
	// A listener killed with webhooks still in its capture journal: they
	// were answered, so they go in before anyone reads.
	if err := recoverJournals(ctx, db, path, counter); err != nil {
		return fail(err)
	}
	conn, ins, err := writeConn(ctx, db)
	if err != nil {
		return fail(fmt.Errorf("open %s: %w", path, err))
	}
	undo = append(undo, func() { conn.Close() }, func() { ins.Close() })
	s := &Store{
		path:       path,
		opts:       opts,
		reqs:       make(chan *writeReq, queueDepth),
		writerDone: make(chan struct{}),
		closing:    make(chan struct{}),
		ckptDone:   make(chan struct{}),
	}
	s.dbp.Store(db)
	s.ids.c.Store(counter)
	ins.number = s.number
	if opts.Keep > 0 {
		// A smaller Keep than last time applies at once, before anyone reads.
		s.prune(ctx, conn)
	}
	ins.onCommit = s.committed
	if opts.Journal && journal.Supported {
		if s.jr, err = journal.Open(path, opts.FullSync); err != nil {
			return fail(err)
		}
		undo = append(undo, func() { s.jr.Remove() })
		if err := s.startIDs(ctx, conn); err != nil {
			return fail(fmt.Errorf("open %s: %w", path, err))
		}
		ins.settle = s.settle
		if s.file, err = os.Stat(path); err != nil {
			return fail(fmt.Errorf("open %s: %w", path, err))
		}
		s.jrPrefix = s.jr.(*journal.Journal).Prefix()
		q := newIndexQueue()
		go s.capture(q)
		go s.indexer(conn, ins, q)
	} else {
		go s.writer(conn, ins)
	}
	go s.checkpointer()
	return s, nil
}

// openMigrated opens the pool on the file at path and brings its schema up
// to date: what Open and a reopen after the file moved (moved.go) both do.
func openMigrated(ctx context.Context, path string, opts Options) (*sql.DB, error) {
	db, err := openDB(path, opts)
	if err != nil {
		return nil, err
	}
	if err := retryLocked(ctx, opts.BusyTimeout, func() error { return migrate(ctx, db, path) }); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// writeConn is the write connection (noCheckpointConn) with its prepared
// inserts.
func writeConn(ctx context.Context, db *sql.DB) (*sql.Conn, *inserts, error) {
	conn, err := noCheckpointConn(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	ins, err := prepareInserts(ctx, conn)
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	return conn, ins, nil
}

// noCheckpointConn returns the write connection. It never checkpoints on
// commit: a checkpoint fsyncs, and inside the commit path it would stall
// every webhook waiting on the batch (the checkpointer goroutine does it
// from its own connection instead). Its temporary files are in memory:
// a many-row insert keeps a statement journal (the pages it changes, so a
// failure can undo it alone), which SQLite otherwise spills to a file
// past 64 KiB, two writes per page: most of the indexer's system time.
func noCheckpointConn(ctx context.Context, db *sql.DB) (*sql.Conn, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	for _, pragma := range []string{"PRAGMA wal_autocheckpoint = 0", "PRAGMA temp_store = MEMORY"} {
		if _, err := conn.ExecContext(ctx, pragma); err != nil {
			conn.Close()
			return nil, err
		}
	}
	return conn, nil
}

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

// db is the pool.
func (s *Store) db() *sql.DB { return s.dbp.Load() }

// Path is the file the store lives in.
func (s *Store) Path() string { return s.path }

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
		s.closeErr = s.db().Close()
		s.ids.counter().Close()
	})
	return s.closeErr
}

// committed runs after each insert transaction commits.
func (s *Store) committed(rows []*writeReq) {
	s.commits.Add(1)
	s.rows.Add(int64(len(rows)))
	s.dirty.Store(true)
	if s.ids.pending > 0 {
		s.ids.limit.Store(s.ids.pending) // settle's reservation is in
	}
	if s.jr != nil && !s.keepJournal {
		// Before the batch's operations run: once a sync returns,
		// the journal holds nothing already indexed in a full segment.
		var top int64
		for _, r := range rows {
			top = max(top, r.jid) // 0 for a row never journaled
		}
		for _, r := range s.retry {
			if r.jid > 0 {
				top = min(top, r.jid-1) // its segment stays
			}
		}
		s.jr.IndexedThrough(top)
	}
}

// openDB opens the pool on the file at path (see Open for the settings).
func openDB(path string, opts Options) (*sql.DB, error) {
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
	return db, nil
}
