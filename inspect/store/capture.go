package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/swhook/swhook/inspect/store/journal"
)

// Journal mode (Options.Journal; see package journal): two goroutines replace
// the writer. capture takes Saves in batches, gives each exchange its ID,
// appends the batch to the journal with one write and answers the savers;
// it then queues the batch for the indexer, which inserts what has queued
// up into SQLite in one transaction, at most every indexEvery while
// webhooks keep coming, at once after a quiet spell or when an operation or
// a read in this process needs the store up to date (sync).

const (
	// indexEvery spaces the indexer's transactions while webhooks keep
	// arriving (other processes read what is not indexed yet from the
	// journal: view.go).
	indexEvery = 50 * time.Millisecond
	// indexBatch starts a transaction without waiting once this many rows
	// are queued, bounding its size.
	indexBatch = 4096
)

// ids are the IDs this process hands out. They come from the store's
// shared counter (journal.Counter): capture never asks SQLite for one, since
// a webhook is durable once journaled and the journal must not wait for a
// write lock another process may hold for seconds (while it waited, the
// answer went back before the webhook was durable). limit is what this
// listener last wrote to id_reserve, for what numbers rows in SQLite alone
// (insertSQL without an ID): the indexer keeps it up with the counter in
// the transactions it commits anyway (settle). Should another process still
// take an ID this one handed out (a counter that could not be shared), the
// indexer gives the row the next free ID instead (commit).
type ids struct {
	c     atomic.Pointer[journal.Counter] // replaced with the store file (moved)
	limit atomic.Int64
	// pending is the limit the indexer's open transaction writes, made
	// limit when it commits (indexer goroutine only).
	pending int64
}

// take hands out n consecutive IDs and returns the first.
func (r *ids) take(n int) int64 { return r.counter().Take(n) }

func (r *ids) counter() *journal.Counter { return r.c.Load() }

// floor reads, inside a transaction, the highest ID SQLite holds and the
// reservation, and raises the counter past both.
func (r *ids) floor(ctx context.Context, tx execQuerier) (reserved int64, err error) {
	var top int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE((SELECT MAX(id) FROM exchanges), 0),
		COALESCE((SELECT id FROM id_reserve), 0)`).Scan(&top, &reserved); err != nil {
		return 0, err
	}
	r.counter().Raise(top)
	if reserved > r.limit.Load() {
		r.counter().Raise(reserved) // another listener's block, or Clear's mark
	}
	return reserved, nil
}

// startIDs raises the counter past what the store holds, at Open.
func (s *Store) startIDs(ctx context.Context, conn *sql.Conn) error {
	return retryLocked(ctx, s.opts.BusyTimeout, func() error {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if _, err := s.ids.floor(ctx, tx); err != nil {
			return err
		}
		limit := s.ids.counter().Last()
		if _, err := tx.ExecContext(ctx, `UPDATE id_reserve SET id = MAX(id, ?)`, limit); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		s.ids.limit.Store(limit)
		return nil
	})
}

// settle runs inside each of the indexer's transactions, after its
// inserts: it raises the counter past what other processes numbered and
// records in id_reserve what this one has handed out. The new limit takes
// effect when the transaction commits (onCommit).
func (s *Store) settle(ctx context.Context, tx execQuerier) error {
	r := &s.ids
	reserved, err := r.floor(ctx, tx)
	if err != nil {
		return err
	}
	want := r.counter().Last()
	if want > reserved {
		if _, err := tx.ExecContext(ctx, `UPDATE id_reserve SET id = ?`, want); err != nil {
			return err
		}
	}
	r.pending = max(want, reserved)
	return nil
}

// number gives the rows without an ID theirs, inside the writer's
// transaction, from the shared counter (direct mode: a replay saved while
// a listener journals never takes an ID the listener handed out).
func (s *Store) number(ctx context.Context, tx execQuerier, rows []*writeReq) error {
	n := 0
	for _, r := range rows {
		if r.row[0] == nil {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	if _, err := s.ids.floor(ctx, tx); err != nil {
		return err
	}
	id := s.ids.counter().Take(n)
	for _, r := range rows {
		if r.row[0] == nil {
			r.row[0] = id
			id++
		}
	}
	return nil
}

// capture is the writer in journal mode: it journals what is saved and
// answers, touching nothing but the journal. It runs until Close closes
// reqs, then lets the indexer finish.
func (s *Store) capture(q *indexQueue) {
	defer q.close()
	batch := make([]*writeReq, 0, maxBatch)
	var buf []byte
	for r := range s.reqs {
		batch = s.gather(batch[:0], r)
		rows := 0
		for _, r := range batch {
			if r.row != nil {
				rows++
			}
		}
		if rows > 0 {
			buf = s.journalRows(batch, rows, buf[:0])
		}
		q.push(batch)
	}
}

// journalRows gives the batch's rows their IDs, journals them and answers
// their savers. If that fails the rows are still queued, and the indexer
// answers them once they are in SQLite: a webhook is never dropped.
func (s *Store) journalRows(batch []*writeReq, rows int, buf []byte) []byte {
	id := s.ids.take(rows)
	var last int64
	for _, r := range batch {
		if r.row == nil {
			continue
		}
		r.id = id
		id++
		r.row[0] = r.id
		last = r.id
		var err error
		if buf, err = journal.AppendRecord(buf, r.id, r.row); err != nil {
			return buf // cannot happen for encode's types; the indexer answers
		}
	}
	if err := s.jr.Append(buf, last); err != nil {
		return buf
	}
	// No setTrouble(nil) here: journaled is not yet saved for other
	// terminals; the indexer says so once SQLite takes the rows.
	for _, r := range batch {
		if r.row != nil {
			r.jid, r.journaled, r.answered = r.id, true, true
			r.done <- writeResult{id: r.id}
		}
	}
	return buf
}

// indexQueue carries batches from capture to the indexer, in order.
type indexQueue struct {
	mu     sync.Mutex
	items  []*writeReq
	rows   int
	urgent bool // an operation is queued: no waiting
	closed bool
	wake   chan struct{}
}

func newIndexQueue() *indexQueue { return &indexQueue{wake: make(chan struct{}, 1)} }

func (q *indexQueue) push(batch []*writeReq) {
	q.mu.Lock()
	for _, r := range batch {
		q.items = append(q.items, r)
		if r.row != nil {
			q.rows++
		} else {
			q.urgent = true
		}
	}
	q.mu.Unlock()
	q.signal()
}

func (q *indexQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.signal()
}

func (q *indexQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// take waits for work and returns it, no sooner than notBefore unless the
// work is urgent, large or the last; ok is false once the queue is closed
// and empty. With idle > 0 it returns after idle with no work too (the
// indexer has refused rows to try again).
func (q *indexQueue) take(notBefore time.Time, into []*writeReq, idle time.Duration) (items []*writeReq, ok bool) {
	var timer, idleTimer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
		if idleTimer != nil {
			idleTimer.Stop()
		}
	}()
	var idleC <-chan time.Time
	if idle > 0 {
		idleTimer = time.NewTimer(idle)
		idleC = idleTimer.C
	}
	for {
		q.mu.Lock()
		n, ready := len(q.items), q.urgent || q.closed || q.rows >= indexBatch
		if n > 0 && (ready || !time.Now().Before(notBefore)) {
			items = append(into[:0], q.items...)
			clear(q.items)
			q.items, q.rows, q.urgent = q.items[:0], 0, false
			q.mu.Unlock()
			return items, true
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return nil, false
		}
		if n == 0 {
			select {
			case <-q.wake:
			case <-idleC:
				return into[:0], true
			}
			continue
		}
		if timer == nil {
			timer = time.NewTimer(time.Until(notBefore))
		}
		select {
		case <-q.wake:
		case <-timer.C:
		}
	}
}

// indexer owns the write connection in journal mode: it inserts the
// journaled rows, runs operations in order with them, settles IDs, prunes,
// and deletes journal segments whose rows are all in SQLite.
func (s *Store) indexer(conn *sql.Conn, ins *inserts, q *indexQueue) {
	defer close(s.writerDone)
	ctx := context.Background()
	p := s.newPruner()
	var (
		items []*writeReq
		ok    bool
		last  time.Time
	)
	for {
		idle := fileCheckEvery
		if len(s.retry) > 0 {
			idle = retryEvery
		}
		items, ok = q.take(last.Add(indexEvery), items, idle)
		if !ok {
			break
		}
		last = time.Now()
		if s.moved() {
			conn, ins = s.reopened(ctx, conn, ins)
		}
		s.write(ctx, conn, ins, items, p) // deletes indexed segments (onCommit)
		if len(items) > 0 && s.moved() {
			// The file went while this transaction ran: its rows may be
			// in the old one. Into the new one with them.
			conn, ins = s.reopened(ctx, conn, ins)
			waiting := make(map[*writeReq]bool, len(s.retry))
			for _, r := range s.retry {
				waiting[r] = true
			}
			for _, r := range items {
				if r.row != nil && r.id != 0 && !waiting[r] {
					r.row[0] = r.id
					s.retry = append(s.retry, r)
				}
			}
			s.retried = time.Time{}
			s.write(ctx, conn, ins, nil, p)
		}
	}
	if len(s.retry) > 0 {
		s.retried = time.Time{}
		s.write(ctx, conn, ins, nil, p) // a last try
		for _, r := range s.retry {
			s.keepJournal = s.keepJournal || r.journaled
		}
	}
	p.final(ctx, conn)
	// Give back what is left of the reservation, unless another process
	// reserved beyond it meanwhile.
	if limit := s.ids.limit.Load(); limit > 0 {
		_, _ = conn.ExecContext(ctx, `UPDATE id_reserve SET id = ? WHERE id = ?`, s.ids.counter().Last(), limit)
	}
	s.jr.Close(!s.keepJournal)
	ins.Close()
	conn.Close()
}

// reopened is reopen for the indexer. Until a store can be opened at the
// path again its transactions fail (the old connection is closed): the
// rows wait, journaled, to be tried again, and Trouble says why.
func (s *Store) reopened(ctx context.Context, conn *sql.Conn, ins *inserts) (*sql.Conn, *inserts) {
	if nconn, nins, ok := s.reopen(ctx, conn, ins); ok {
		return nconn, nins
	}
	return conn, ins
}

// sync waits until everything this process saved before the call is in
// SQLite, so this process reads its own writes.
func (s *Store) sync(ctx context.Context) error {
	if s.jr == nil {
		return nil
	}
	_, err := s.do(ctx, &writeReq{
		done: make(chan writeResult, 1),
		fn:   func(context.Context, *sql.Conn) error { return nil },
	})
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}
