package inspect

import (
	"cmp"
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/store"
)

// Feed hands each new exchange to whoever is watching (the TUI, the plain
// log, NDJSON) without ever waiting for them: a webhook's answer must not
// depend on how fast a terminal draws. A subscriber that falls behind
// misses exchanges and fills the gap from the store (see Follow).
type Feed struct {
	mu     sync.Mutex
	subs   []chan *exchange.Exchange // a slice: Publish ranges over it per webhook
	seen   idWindow
	closed bool
}

// NewFeed returns a feed with no subscribers.
func NewFeed() *Feed {
	return &Feed{}
}

// Subscribe returns a channel of new exchanges with room for buf of them,
// and a cancel func that closes it. The caller owns the subscription.
func (f *Feed) Subscribe(buf int) (<-chan *exchange.Exchange, func()) {
	ch := make(chan *exchange.Exchange, buf)
	f.mu.Lock()
	if f.closed {
		close(ch)
	} else {
		f.subs = append(f.subs, ch)
	}
	f.mu.Unlock()
	return ch, func() {
		f.mu.Lock()
		if i := slices.Index(f.subs, ch); i >= 0 {
			f.subs = slices.Delete(f.subs, i, i+1)
			close(ch)
		}
		f.mu.Unlock()
	}
}

// Close ends the feed: every subscription's channel is closed (each
// subscriber still receives what it buffered, then sees the end) and
// nothing is published any more. Serve calls it once the listeners have
// stopped.
func (f *Feed) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	for _, ch := range f.subs {
		close(ch)
	}
	f.subs = nil
}

// Publish offers x to every subscriber without blocking. An exchange
// already published (same non-zero ID: the store watcher and the handler
// can both see it) is skipped. It reports whether x was new.
func (f *Feed) Publish(x *exchange.Exchange) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if x.ID != 0 {
		if f.seen.has(x.ID) {
			return false
		}
		f.seen.add(x.ID)
	}
	for _, ch := range f.subs {
		select {
		case ch <- x:
		default: // too slow: it catches up from the store
		}
	}
	return true
}

func (f *Feed) published(id int64) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seen.has(id)
}

// idSet remembers the last n IDs, enough to tell "already handled" from
// "new" for any gap a live session can have. idWindow keeps one for the
// IDs that fall below its window.
type idSet struct {
	m    map[int64]struct{}
	ring []int64
	pos  int
}

func newIDSet(n int) idSet {
	return idSet{m: make(map[int64]struct{}, n), ring: make([]int64, n)}
}

func (s *idSet) has(id int64) bool { _, ok := s.m[id]; return ok }

func (s *idSet) add(id int64) {
	if old := s.ring[s.pos]; old != 0 {
		delete(s.m, old)
	}
	s.ring[s.pos] = id
	s.m[id] = struct{}{}
	s.pos = (s.pos + 1) % len(s.ring)
}

// idWindowWords is the window's size in 64-ID words: 65,536 IDs, far more
// than a live session's gaps and late arrivals span (a subscription holds
// 4,096; Follow holds 1,024 and reads at most 500 from the store).
const idWindowWords = 1024

// idWindow tells "already handled" from "new" for IDs that arrive nearly
// in order, as a session's do: one bit per ID in a window that follows the
// highest ID added, instead of a map insert, delete and lookup per
// webhook (about 1% of listen's CPU). It remembers every ID added within
// 65,472 of the highest one, and, as idSet does, the last 8,192 added
// below that; an ID further down than either is forgotten, as idSet
// forgets.
type idWindow struct {
	words [idWindowWords]uint64 // ID id is bit id&63 of words[(id>>6)%len]
	lo    int64                 // the lowest word number (id>>6) in the window
	begun bool
	below *idSet // IDs added below the window; nil until the first
}

func (s *idWindow) has(id int64) bool {
	w := id >> 6
	switch {
	case !s.begun || w >= s.lo+idWindowWords:
		return false
	case w < s.lo:
		return s.below != nil && s.below.has(id)
	}
	return s.words[w&(idWindowWords-1)]&(1<<(id&63)) != 0
}

func (s *idWindow) add(id int64) {
	w := id >> 6
	if !s.begun {
		s.begun = true
		s.lo = w - idWindowWords + 1
	}
	if top := s.lo + idWindowWords; w >= top {
		// Slide up to w, forgetting the words that leave.
		lo := w - idWindowWords + 1
		if lo-s.lo >= idWindowWords {
			clear(s.words[:])
		} else {
			for k := s.lo; k < lo; k++ {
				s.words[k&(idWindowWords-1)] = 0
			}
		}
		s.lo = lo
	}
	if w < s.lo {
		if s.below == nil {
			b := newIDSet(8192)
			s.below = &b
		}
		if !s.below.has(id) {
			s.below.add(id)
		}
		return
	}
	s.words[w&(idWindowWords-1)] |= 1 << (id & 63)
}

// Lister is the part of the store the feed reads; *store.Store is one.
type Lister interface {
	LatestID(ctx context.Context) (int64, error)
	List(ctx context.Context, q store.Query) ([]*exchange.Exchange, error)
}

// maxCatchUp bounds one catch-up read: a view that fell further behind
// shows the newest ones (the rest stay in the store for `swhook list`).
const maxCatchUp = 500

// missing returns the IDs in (from, to) not in have, at most the newest
// maxCatchUp of them, ascending.
func missing(from, to int64, have func(int64) bool) []int64 {
	var ids []int64
	for id := to - 1; id > from && len(ids) < maxCatchUp; id-- {
		if !have(id) {
			ids = append(ids, id)
		}
	}
	slices.Reverse(ids)
	return ids
}

// Watch publishes exchanges that other processes add to the store (a
// replay from another terminal) — and any this one saved too late to
// publish — by polling the highest ID every interval. It returns when ctx
// ends; start is the highest ID already shown.
func Watch(ctx context.Context, st Lister, feed *Feed, start int64, every time.Duration, log *slog.Logger) {
	if every <= 0 {
		every = 300 * time.Millisecond
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	mark := start
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		latest, err := st.LatestID(ctx)
		if err != nil || latest <= mark {
			if err != nil && ctx.Err() == nil && log != nil {
				log.Debug("store watch", "error", err)
			}
			continue
		}
		ids := missing(mark, latest+1, feed.published)
		if len(ids) > 0 {
			xs, err := st.List(ctx, store.Query{IDs: ids})
			if err != nil {
				continue // try again next tick
			}
			slices.SortFunc(xs, func(a, b *exchange.Exchange) int { return cmp.Compare(a.ID, b.ID) })
			for _, x := range xs {
				feed.Publish(x)
			}
		}
		mark = latest
	}
}

// followGrace is how long Follow waits for an out-of-order exchange's
// missing predecessors to arrive live before reading them from the store.
// Saves committed in one batch finish in any order, so small gaps are the
// normal case under load and nearly always close within microseconds;
// reading the store for each of them cost a fifth of listen's CPU.
const followGrace = 50 * time.Millisecond

// maxHeld bounds how many out-of-order exchanges Follow holds back.
const maxHeld = 1024

// Follow delivers the exchanges arriving on ch to fn in ID order with no
// gaps: when an ID is skipped (the subscriber was too slow, or two saves
// finished out of order) it waits up to followGrace for the missing ones
// to arrive live, then reads what is still missing from the store. after is
// the highest ID already shown. It returns when ch is closed (after
// delivering what it held) or ctx ends.
func Follow(ctx context.Context, ch <-chan *exchange.Exchange, st Lister, after int64, fn func(*exchange.Exchange)) {
	FollowBatched(ctx, ch, st, after, fn, nil)
}

// FollowBatched is Follow for an fn that writes to out: it holds out from
// the moment an exchange arrives until nothing more is waiting, so the
// lines of a burst, of a gap that closes and of a fill cost one write
// together, and none waits longer than it takes to format those queued
// with it. out may be nil.
func FollowBatched(ctx context.Context, ch <-chan *exchange.Exchange, st Lister, after int64, fn func(*exchange.Exchange), out *BatchWriter) {
	last := after
	done := new(idWindow)
	held := map[int64]*exchange.Exchange{} // arrived ahead of a gap
	deliver := func(x *exchange.Exchange) {
		if x.ID != 0 {
			if done.has(x.ID) {
				return
			}
			done.add(x.ID)
		}
		fn(x)
		if x.ID > last {
			last = x.ID
		}
	}
	// release delivers the held exchanges that no longer wait on a gap.
	release := func() {
		for len(held) > 0 {
			x, ok := held[last+1]
			if !ok {
				if done.has(last + 1) {
					last++
					continue
				}
				return
			}
			delete(held, last+1)
			deliver(x)
		}
	}
	holding := false
	// hold gathers the lines of one turn (an exchange and the held ones it
	// releases, a fill, what is queued behind them) into one write.
	hold := func() {
		if out != nil && !holding {
			out.Hold()
			holding = true
		}
	}
	// fill reads every ID still missing below the highest held one from
	// the store, then delivers everything held, in order.
	fill := func() {
		if len(held) == 0 {
			return
		}
		top := int64(0)
		for id := range held {
			top = max(top, id)
		}
		if st != nil {
			have := func(id int64) bool { _, ok := held[id]; return ok || done.has(id) }
			if ids := missing(last, top, have); len(ids) > 0 {
				if xs, err := st.List(ctx, store.Query{IDs: ids}); err == nil {
					for _, y := range xs {
						held[y.ID] = y
					}
				}
			}
		}
		hold()
		ids := make([]int64, 0, len(held))
		for id := range held {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		for _, id := range ids {
			deliver(held[id])
		}
		clear(held)
	}
	var timer *time.Timer
	var grace <-chan time.Time
	defer func() {
		if timer != nil {
			timer.Stop()
		}
		if holding {
			_ = out.Release()
		}
	}()
	for {
		var x *exchange.Exchange
		var ok bool
		if holding && len(ch) == 0 {
			// Caught up: what this turn wrote goes out now, before
			// waiting for more.
			_ = out.Release()
			holding = false
		}
		select {
		case <-ctx.Done():
			return
		case <-grace:
			grace = nil
			fill()
			continue
		case x, ok = <-ch:
			if !ok {
				fill()
				return
			}
		}
		before := last
		switch {
		case x.ID == 0 || x.ID <= last+1:
			if len(ch) > 0 || len(held) > 0 {
				hold() // more lines follow this one: one write for all
			}
			deliver(x)
			release()
		default:
			held[x.ID] = x
			if len(held) >= maxHeld {
				fill()
			}
		}
		switch {
		case len(held) == 0:
			grace = nil
		case grace == nil || last > before: // a new gap, or progress: wait afresh
			if timer == nil {
				timer = time.NewTimer(followGrace)
			} else {
				timer.Reset(followGrace)
			}
			grace = timer.C
		}
	}
}
