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
	// arriving: other processes see a new exchange at most this much later.
	indexEvery = 50 * time.Millisecond
	// indexBatch starts a transaction without waiting once this many rows
	// are queued, bounding its size.
	indexBatch = 4096
)

// ids is the capture goroutine's block of reserved IDs: next up to limit
// are this process's to hand out (limit is also read by Clear).
type ids struct {
	next  int64
	limit atomic.Int64
	// window counts the rows journaled in the current tenth of a second,
	// and prev in the one before: reservations ask for about two tenths'
	// worth beyond what they need, so a burst reserves a few times a second
	// rather than every batch, and a quiet listener reserves only what it
	// uses (a replay from another terminal then gets the very next ID).
	windowStart time.Time
	window      int64
	prev        int64
}

func (r *ids) count(n int, now time.Time) {
	switch el := now.Sub(r.windowStart); {
	case el >= 200*time.Millisecond:
		r.windowStart, r.prev, r.window = now, 0, 0
	case el >= 100*time.Millisecond:
		r.windowStart, r.prev, r.window = now, r.window, 0
	}
	r.window += int64(n)
}

func (r *ids) cushion() int64 {
	if r.prev < 5 {
		return 0
	}
	return min(2*r.prev, 8192)
}

// reserve makes sure at least n IDs are ready to hand out.
func (s *Store) reserve(ctx context.Context, conn *sql.Conn, n int) error {
	r := &s.ids
	if r.next > 0 && r.next+int64(n)-1 <= r.limit.Load() {
		return nil
	}
	want := int64(n) + r.cushion()
	return retryLocked(ctx, maxLocked, func() error {
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		var top, reserved int64
		err = tx.QueryRowContext(ctx, `SELECT COALESCE((SELECT MAX(id) FROM exchanges), 0),
			COALESCE((SELECT id FROM id_reserve), 0)`).Scan(&top, &reserved)
		if err != nil {
			return err
		}
		limit := r.limit.Load()
		base := max(top, reserved, limit)
		next := r.next
		if next == 0 || base > limit {
			// A fresh block; what was left of the old one (when another
			// process took IDs above it) is skipped, so this process's IDs
			// keep increasing.
			next = base + 1
		}
		newLimit := max(base, next-1) + want
		if _, err := tx.ExecContext(ctx, `UPDATE id_reserve SET id = ?`, newLimit); err != nil {
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		r.next = next
		r.limit.Store(newLimit)
		return nil
	})
}

// capture is the writer in journal mode. It runs until Close closes reqs,
// then lets the indexer finish.
func (s *Store) capture(conn *sql.Conn, q *indexQueue) {
	defer conn.Close()
	defer q.close()
	ctx := context.Background()
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
			buf = s.journalRows(ctx, conn, batch, rows, buf[:0])
		}
		q.push(batch)
	}
}

// journalRows gives the batch's rows their IDs, journals them and answers
// their savers. If that fails the rows are still queued, and the indexer
// answers them once they are in SQLite: a webhook is never dropped.
func (s *Store) journalRows(ctx context.Context, conn *sql.Conn, batch []*writeReq, rows int, buf []byte) []byte {
	s.ids.count(rows, time.Now())
	if err := s.reserve(ctx, conn, rows); err != nil {
		return buf // the rows keep a NULL ID: SQLite picks one
	}
	var last int64
	for _, r := range batch {
		if r.row == nil {
			continue
		}
		r.id = s.ids.next
		s.ids.next++
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
	for _, r := range batch {
		if r.row != nil {
			r.answered = true
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
// and empty.
func (q *indexQueue) take(notBefore time.Time, into []*writeReq) (items []*writeReq, ok bool) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
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
			<-q.wake
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
// journaled rows, runs operations in order with them, prunes, and deletes
// journal segments whose rows are all in SQLite.
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
		items, ok = q.take(last.Add(indexEvery), items)
		if !ok {
			break
		}
		last = time.Now()
		s.write(ctx, conn, ins, items, p) // deletes indexed segments (onCommit)
	}
	p.final(ctx, conn)
	// Give back what is left of the reservation, unless another process
	// reserved beyond it meanwhile.
	if limit := s.ids.limit.Load(); limit > 0 {
		_, _ = conn.ExecContext(ctx, `UPDATE id_reserve SET id = ? WHERE id = ?`, s.ids.next-1, limit)
	}
	s.jr.Close(!s.keepJournal)
	ins.Close()
	conn.Close()
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
