package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"time"

	"modernc.org/sqlite" // the "sqlite" driver, and its error codes

	"github.com/swhook/swhook/inspect/exchange"
)

// Save stores x and sets x.ID. When it returns nil, x is durable: a kill -9
// right after loses nothing. Concurrent Saves are committed together (group
// commit), so durability costs one commit per batch, not per exchange.
//
// When the store cannot save x (see Trouble), Save returns the reason and
// still sets x.ID: the exchange keeps its own number, and is saved under it
// once the store can. If ctx ends before the commit, Save returns ctx.Err()
// and leaves x.ID alone, but the exchange is still written when the writer reaches it: a
// webhook is never dropped because its caller stopped waiting.
func (s *Store) Save(ctx context.Context, x *exchange.Exchange) error {
	row, err := encode(x)
	if err != nil {
		return fmt.Errorf("save exchange: %w", err)
	}
	res, err := s.do(ctx, &writeReq{row: row, done: make(chan writeResult, 1)})
	if res.id != 0 {
		x.ID = res.id
	}
	return err
}

// setTrouble records whether rows are reaching SQLite (nil) or why not,
// and tells Options.OnTrouble when that, or the reason, changes.
func (s *Store) setTrouble(err error) {
	s.troubleMu.Lock()
	changed := (err == nil) != (s.trouble == nil) ||
		err != nil && err.Error() != s.trouble.Error()
	s.trouble = err
	s.troubleMu.Unlock()
	if changed && s.opts.OnTrouble != nil {
		s.opts.OnTrouble(err)
	}
}

// Trouble says why exchanges are not being saved right now — SQLite
// refused the last rows (a full disk, say), so other terminals do not see
// them, even when the capture journal took them — or nil once rows go in
// again and none wait to be retried. Rows it refused are tried again
// until they go in.
func (s *Store) Trouble() error {
	s.troubleMu.Lock()
	defer s.troubleMu.Unlock()
	return s.trouble
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
	if len(s.retry) > 0 && time.Since(s.retried) >= retryEvery {
		// Refused rows first: they are older.
		s.retried = time.Now()
		batch = append(s.retry[:len(s.retry):len(s.retry)], batch...)
		s.retry = nil
	}
	if s.walFrames >= s.opts.restartFrames || s.restartDue.Load() {
		s.restartWAL(ctx, conn)
	}
	// Pruning rides in the batch's own transaction, so once Save
	// returns the store never holds more than it should for long.
	due := p.due(len(batch))
	s.failed = nil
	n := s.commit(ctx, conn, ins, batch, due)
	p.done(n, due)
	// Saving again only once rows reach SQLite and none wait: a row the
	// journal takes while SQLite's commits fail is not saved for a reader
	// in another terminal, and one row squeezed in among refused ones is
	// no recovery either.
	switch {
	case s.failed != nil && s.lost:
		// Its connection is closed: reopen's reason stands.
	case s.failed != nil:
		s.setTrouble(s.failed)
	case n > 0 && len(s.retry) == 0:
		s.setTrouble(nil)
	}
	s.walFrames += framesWritten(conn)
}

// restartWAL finishes a checkpoint between two batches so that the next
// transaction starts the WAL over (see checkpointer). The writer decides
// when, from the frames it has itself appended: it is the one goroutine
// that knows at once. (Left to the checkpointer, whose own passive
// checkpoint and its fsyncs take tens of milliseconds on a busy machine,
// the decision came late and the WAL outgrew its bound.)
//
// SQLite runs one checkpoint at a time, and a passive checkpoint that finds
// another running gives up at once: that is how the writer's used to fail
// while the checkpointer copied, for as long as the WAL kept growing. So
// the two take turns (ckptMu: the writer waits for the rest of the
// checkpointer's pass, then copies what is left), and the checkpointer
// starts no pass while restartDue is set. Busy now means another process's
// checkpoint: the writer tries again before its next batch. A reader
// holding an old snapshot only means the WAL starts over a little later.
func (s *Store) restartWAL(ctx context.Context, conn *sql.Conn) {
	s.restartDue.Store(true)
	var busy, logFrames, done int
	s.ckptMu.Lock()
	err := conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logFrames, &done)
	s.ckptMu.Unlock()
	switch {
	case err == nil && busy != 0:
		return // try again before the next batch
	case err == nil && done < logFrames:
		// A reader: try again after half as many frames more.
		s.walFrames = s.opts.restartFrames / 2
	default:
		s.walFrames = 0
	}
	s.restartDue.Store(false)
}

// framesWritten returns how many pages conn has written to the WAL since
// it was last asked: SQLite's own count (SQLITE_DBSTATUS_CACHE_WRITE), no
// system call.
func framesWritten(conn *sql.Conn) int {
	var n int
	_ = conn.Raw(func(dc any) error {
		st, ok := dc.(sqlite.DBStatus)
		if ok {
			n, _, _ = st.Status(sqlite.DBStatusCacheWrite, true)
		}
		return nil
	})
	return n
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
				var id int64
				if err == nil {
					id = ids[0]
				}
				inserted += s.outcome(r, id, err)
			}
			continue
		}
		for i, r := range rows {
			var id int64
			if err == nil {
				id = ids[i]
			}
			inserted += s.outcome(r, id, err)
		}
	}
	return inserted
}

// maxRetry bounds the rows kept in memory to be tried again while SQLite
// refuses them (a full disk): beyond it a row that was journaled waits in
// the journal for the next Open, and one that was not is lost, loudly.
const maxRetry = 100_000

// retryEvery spaces the attempts to insert refused rows again.
const retryEvery = 250 * time.Millisecond

// outcome records what became of a row SQLite was given: inserted under
// id (it returns 1), or refused. A refused row keeps its ID and is tried
// again before the next batches (retry) — with a full disk, saving resumes
// as soon as there is room — and its saver, unless the journal already
// answered, hears of the failure once, with the row's ID, so the view
// keeps it apart from the others.
func (s *Store) outcome(r *writeReq, id int64, err error) int {
	if err == nil {
		r.id = id
		r.finish(nil)
		return 1
	}
	if r.id == 0 {
		// Direct mode: the number its rolled-back transaction gave it
		// stays its own, to be known by.
		if v, ok := r.row[0].(int64); ok {
			r.id = v
		} else {
			r.id = s.ids.counter().Take(1)
			r.row[0] = r.id
		}
	}
	r.finish(err)
	s.failed = err // write reports it (setTrouble)
	if isFull(err) {
		// Let the WAL start over before the next try: it then reuses the
		// space it has rather than ask for more.
		s.restartDue.Store(true)
	}
	if len(s.retry) < maxRetry && !isConstraint(err) {
		s.retry = append(s.retry, r)
		return 0
	}
	s.keepJournal = s.keepJournal || r.journaled
	return 0
}

// finish records a row's outcome and answers its saver, unless the
// capture journal (or an earlier failure) already did.
func (r *writeReq) finish(err error) {
	if r.answered {
		return
	}
	r.answered = true
	if err != nil {
		r.done <- writeResult{id: r.id, err: err}
		return
	}
	r.done <- writeResult{id: r.id}
}

// isFull reports SQLITE_FULL (a full disk).
func isFull(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == 13
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
				id = MAX(id, COALESCE((SELECT MAX(id) FROM exchanges), 0), ?)`, max(s.ids.limit.Load(), s.ids.counter().Last())); err != nil {
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
