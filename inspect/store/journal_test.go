//go:build unix

package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/store/journal"
)

func captureFiles(t *testing.T, path string) []string {
	t.Helper()
	names, err := filepath.Glob(path + "-capture-*")
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func TestJournalRoundTripEveryField(t *testing.T) {
	ctx := context.Background()
	st, path := openTemp(t, Options{Journal: true})
	in := full()
	if err := st.Save(ctx, in); err != nil {
		t.Fatal(err)
	}
	if in.ID != 1 {
		t.Fatalf("first ID %d, want 1", in.ID)
	}
	if runtime.GOOS == "linux" && !st.jr.(*journal.Journal).Mapped() {
		t.Error("the journal segment is not mapped: every batch costs a write")
	}
	// This process reads its own write at once...
	got, err := st.Get(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, in) {
		t.Errorf("journaled exchange came back different:\n got %+v\nwant %+v", got, in)
	}
	for _, name := range captureFiles(t, path) {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", name, fi.Mode().Perm())
		}
	}
	// ...and a clean Close leaves everything in SQLite and no journal.
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if left := captureFiles(t, path); len(left) > 0 {
		t.Errorf("journal files left after Close: %v", left)
	}
	other, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	got, err = other.Get(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, in) {
		t.Errorf("another process reads it differently:\n got %+v\nwant %+v", got, in)
	}
}

// A journaling listener and a direct writer (a replay in another terminal)
// saving into one file at the same time never get the same ID, and every
// exchange ends up stored once.
func TestJournalAndDirectWriterShareIDs(t *testing.T) {
	ctx := context.Background()
	a, path := openTemp(t, Options{Journal: true})
	b, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const G, N = 8, 60
	var mu sync.Mutex
	seen := map[int64]string{}
	var wg sync.WaitGroup
	for g := 0; g < G; g++ {
		st := a
		if g%4 == 3 {
			st = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < N; i++ {
				p := fmt.Sprintf("/%d/%d", g, i)
				x := &exchange.Exchange{Time: time.Unix(int64(g*N+i), 0).UTC(), Request: exchange.Request{Path: p}}
				if err := st.Save(ctx, x); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if prev, dup := seen[x.ID]; dup {
					t.Errorf("ID %d given to %s and %s", x.ID, prev, p)
				}
				seen[x.ID] = p
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	xs, err := b.List(ctx, Query{Summary: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(xs) != G*N {
		t.Fatalf("%d exchanges stored, want %d", len(xs), G*N)
	}
	for _, x := range xs {
		if seen[x.ID] != x.Request.Path {
			t.Errorf("#%d holds %s, but its saver was told %q", x.ID, x.Request.Path, seen[x.ID])
		}
	}
}

// Another process opening the store must leave a running listener's
// journal alone: only a dead listener's is recovered — whichever way each
// spells the store's path.
func TestJournalOfARunningListenerIsLeftAlone(t *testing.T) {
	a, path := openTemp(t, Options{Journal: true})
	t.Run("same path", func(t *testing.T) { testRunningListenerLeftAlone(t, a, path, path, 1) })
	sep := string(filepath.Separator)
	spelled := filepath.Dir(path) + sep + "." + sep + sep + filepath.Base(path) // as --store may give it
	t.Run("spelled "+spelled, func(t *testing.T) { testRunningListenerLeftAlone(t, a, path, spelled, 5) })
}

func testRunningListenerLeftAlone(t *testing.T, a *Store, path, other string, firstID int64) {
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if err := a.Save(ctx, &exchange.Exchange{Request: exchange.Request{Path: "/a"}}); err != nil {
			t.Fatal(err)
		}
	}
	before := captureFiles(t, path)
	b, err := Open(ctx, other, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	if after := captureFiles(t, path); !reflect.DeepEqual(before, after) || len(after) == 0 {
		t.Fatalf("journal files changed under a running listener: %v → %v", before, after)
	}
	x := &exchange.Exchange{Request: exchange.Request{Path: "/a"}}
	if err := a.Save(ctx, x); err != nil {
		t.Fatal(err)
	}
	if x.ID != firstID+3 {
		t.Errorf("ID %d after another process opened the store, want %d", x.ID, firstID+3)
	}
	if n, _ := a.Count(ctx, Query{}); n != int(firstID+3) {
		t.Errorf("%d exchanges, want %d (each once)", n, firstID+3)
	}
}

// A listener killed after `swhook clear` emptied the store must not bring
// the cleared exchanges back from its journal.
func TestRecoveryDoesNotResurrectCleared(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "swhook.db")
	st, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	recs := map[int64]*exchange.Exchange{}
	for i := int64(1); i <= 3; i++ {
		x := &exchange.Exchange{Time: time.Unix(i, 0).UTC(), Request: exchange.Request{Path: "/cleared"}}
		if err := st.Save(ctx, x); err != nil {
			t.Fatal(err)
		}
		recs[x.ID] = x
	}
	if err := st.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	st.Close()
	writeDeadJournal(t, path, recs, nil) // indexed before the clear, still journaled
	st, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if n, _ := st.Count(ctx, Query{}); n != 0 {
		t.Errorf("%d cleared exchanges came back", n)
	}
}

// writeDeadJournal leaves a journal as a killed listener would: segments
// holding recs, and an unlocked lock file.
func writeDeadJournal(t *testing.T, path string, recs map[int64]*exchange.Exchange, tail []byte) {
	t.Helper()
	j, err := journal.Open(path, false)
	if err != nil {
		t.Fatal(err)
	}
	var buf []byte
	for id := int64(1); id <= int64(len(recs))+10; id++ {
		x, ok := recs[id]
		if !ok {
			continue
		}
		row, err := encode(x)
		if err != nil {
			t.Fatal(err)
		}
		row[0] = id
		if buf, err = journal.AppendRecord(buf, id, row); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Append(append(buf, tail...), 0); err != nil {
		t.Fatal(err)
	}
	j.Close(false)
}

func TestRecoveryInsertsSkipsAndRenumbers(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "swhook.db")
	st, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := func(s int64, p string) *exchange.Exchange {
		return &exchange.Exchange{Time: time.Unix(s, 0).UTC(), Request: exchange.Request{Path: p}}
	}
	indexed := at(100, "/indexed")
	other := at(200, "/other-process")
	for _, x := range []*exchange.Exchange{indexed, other} {
		if err := st.Save(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	// The dead listener had handed out 1 (indexed before it died), 2
	// (never indexed, and another process's row took 2 meanwhile) and 3
	// (never indexed); a torn record follows.
	torn, _ := journal.AppendRecord(nil, 4, []any{int64(4), "x"})
	writeDeadJournal(t, path, map[int64]*exchange.Exchange{
		1: indexed,
		2: at(300, "/journaled-2"),
		3: at(400, "/journaled-3"),
	}, torn[:len(torn)-3])

	st, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if left := captureFiles(t, path); len(left) > 0 {
		t.Errorf("recovered journal not removed: %v", left)
	}
	xs, err := st.List(ctx, Query{Summary: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, x := range xs {
		if _, dup := got[x.Request.Path]; dup {
			t.Errorf("%s stored twice", x.Request.Path)
		}
		got[x.Request.Path] = x.ID
	}
	want := map[string]int64{"/indexed": 1, "/other-process": 2, "/journaled-3": 3, "/journaled-2": 4}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after recovery: %v, want %v", got, want)
	}
}

// A journal write that fails must not lose the webhook: the indexer answers
// its saver once the row is in SQLite.
func TestJournalWriteFailureStillSaves(t *testing.T) {
	ctx := context.Background()
	st, _ := openTemp(t, Options{Journal: true})
	// Every append now fails. (The channel Save sends on orders this
	// write before capture reads it.)
	st.jr = failingJournal{st.jr}
	x := &exchange.Exchange{Request: exchange.Request{Path: "/still-saved"}}
	if err := st.Save(ctx, x); err != nil {
		t.Fatal(err)
	}
	got, err := st.Get(ctx, x.ID)
	if err != nil {
		t.Fatalf("saved #%d not found: %v", x.ID, err)
	}
	if got.Request.Path != "/still-saved" {
		t.Errorf("#%d is %s", x.ID, got.Request.Path)
	}
}

// failingJournal is a capture journal whose appends all fail, as on a
// disk that has gone bad.
type failingJournal struct{ captureJournal }

func (failingJournal) Append([]byte, int64) error { return errors.New("append: input/output error") }

func TestJournalRotatesAndDeletesIndexedSegments(t *testing.T) {
	ctx := context.Background()
	st, path := openTemp(t, Options{Journal: true})
	body := exchange.Body(make([]byte, 64<<10))
	for i := 0; i < 3*journal.SegmentLimit/len(body); i++ {
		if err := st.Save(ctx, &exchange.Exchange{Request: exchange.Request{Path: "/big", Body: body}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.LatestID(ctx); err != nil { // everything indexed
		t.Fatal(err)
	}
	if seq := st.jr.(*journal.Journal).Segment(); seq < 3 {
		t.Errorf("3 MiB of records went into %d segment(s): the journal never moved on", seq)
	}
	if files := captureFiles(t, path); len(files) > 3 { // the lock, the current segment, maybe one retired
		t.Errorf("indexed segments kept: %v", files)
	}
	if n, _ := st.Count(ctx, Query{}); n != 3*journal.SegmentLimit/len(body) {
		t.Errorf("count %d", n)
	}
}

func TestClearWhileJournaling(t *testing.T) {
	ctx := context.Background()
	st, _ := openTemp(t, Options{Journal: true})
	for i := 0; i < 5; i++ {
		if err := st.Save(ctx, &exchange.Exchange{Request: exchange.Request{Path: "/before"}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	x := &exchange.Exchange{Request: exchange.Request{Path: "/after"}}
	if err := st.Save(ctx, x); err != nil {
		t.Fatal(err)
	}
	xs, err := st.List(ctx, Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(xs) != 1 || xs[0].ID != x.ID || xs[0].Request.Path != "/after" {
		t.Fatalf("after Clear: %d exchanges, first %+v", len(xs), xs)
	}
	if x.ID != 6 {
		t.Errorf("first ID after Clear %d, want 6 (IDs carry on)", x.ID)
	}
}

// Clear from another process (swhook clear) while nothing journals: IDs
// carry on from the highest, so a listener watching for new IDs sees them.
func TestClearKeepsIDsIncreasing(t *testing.T) {
	ctx := context.Background()
	st, _ := openTemp(t, Options{})
	for i := 0; i < 3; i++ {
		if err := st.Save(ctx, &exchange.Exchange{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.Count(ctx, Query{}); n != 0 {
		t.Fatalf("%d exchanges after Clear", n)
	}
	x := &exchange.Exchange{}
	if err := st.Save(ctx, x); err != nil {
		t.Fatal(err)
	}
	if x.ID != 4 {
		t.Errorf("ID after Clear %d, want 4", x.ID)
	}
}
