package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/exchange"
)

func TestExistingDirectoryLeftAlone(t *testing.T) {
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	st, err := Open(context.Background(), filepath.Join(dir, "s.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o755 {
		t.Errorf("an existing directory was changed to %v", fi.Mode().Perm())
	}
}

func TestMustExist(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nope")
	_, err := Open(context.Background(), filepath.Join(dir, "s.db"), Options{MustExist: true})
	if !errors.Is(err, ErrNoStore) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("MustExist created the directory")
	}
}

func TestTwoStoresOnOneFile(t *testing.T) {
	ctx := context.Background()
	a, path := openTemp(t, Options{})
	b, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	const N = 100
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i, st := range []*Store{a, b} {
		wg.Add(2)
		go func() { // a writer per store, as listen and a replay in another terminal
			defer wg.Done()
			for j := 0; j < N; j++ {
				x := &exchange.Exchange{Request: exchange.Request{Path: fmt.Sprintf("/%d/%d", i, j)}}
				if err := st.Save(ctx, x); err != nil {
					errs <- err
					return
				}
			}
		}()
		go func() { // and a reader listing while they write
			defer wg.Done()
			for j := 0; j < 50; j++ {
				if _, err := st.List(ctx, Query{Limit: 20, Summary: true}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, st := range []*Store{a, b} {
		if n, _ := st.Count(ctx, Query{}); n != 2*N {
			t.Errorf("count %d, want %d", n, 2*N)
		}
		if id, _ := st.LatestID(ctx); id != 2*N {
			t.Errorf("LatestID %d, want %d", id, 2*N)
		}
	}
}

// lockFile holds the database's write lock from a separate connection, as
// a stuck writer in another process would.
func lockFile(t *testing.T, path string) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	return func() { tx.Rollback(); db.Close() }
}

func TestSaveHonoursContextButStillWrites(t *testing.T) {
	ctx := context.Background()
	st, path := openTemp(t, Options{BusyTimeout: 20 * time.Second})
	release := lockFile(t, path)
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	x := &exchange.Exchange{Request: exchange.Request{Path: "/late"}}
	err := st.Save(short, x)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Save with a stuck store: %v, want the context's error", err)
	}
	if x.ID != 0 {
		t.Errorf("ID set although Save gave up: %d", x.ID)
	}
	release()
	st.Close() // flushes
	st2, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	last, err := st2.Last(ctx)
	if err != nil || last.Request.Path != "/late" {
		t.Errorf("the exchange whose caller gave up was not written: %v %v", last, err)
	}
}

func TestCloseFlushesAndIsIdempotent(t *testing.T) {
	ctx := context.Background()
	st, path := openTemp(t, Options{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var saved []int64
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				x := &exchange.Exchange{}
				err := st.Save(ctx, x)
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				saved = append(saved, x.ID)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(5 * time.Millisecond) // let some Saves be in flight
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	wg.Wait()
	if err := st.Save(ctx, &exchange.Exchange{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Save after Close: %v", err)
	}
	st2, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	for _, id := range saved {
		if _, err := st2.Get(ctx, id); err != nil {
			t.Fatalf("#%d acknowledged but missing after Close: %v", id, err)
		}
	}
}

func TestMigrationsFromAnOldFile(t *testing.T) {
	ctx := context.Background()
	// A version-1 store with data in it.
	st, path := openTemp(t, Options{})
	x := full()
	if err := st.Save(ctx, x); err != nil {
		t.Fatal(err)
	}
	st.Close()

	// A later swhook adds a migration.
	orig := migrations
	migrations = append(slices.Clone(orig), `ALTER TABLE exchanges ADD COLUMN note TEXT NOT NULL DEFAULT ''; CREATE INDEX exchanges_note ON exchanges(note);`)
	defer func() { migrations = orig }()
	st2, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("migrating: %v", err)
	}
	var v int
	if err := st2.db().QueryRow("PRAGMA user_version").Scan(&v); err != nil || v != len(orig)+1 {
		t.Errorf("user_version %d, %v; want %d", v, err, len(orig)+1)
	}
	got, err := st2.Get(ctx, x.ID)
	if err != nil || string(got.Request.Body) != string(x.Request.Body) {
		t.Errorf("data lost in migration: %v", err)
	}
	st2.Close()
	migrations = orig

	// And the older swhook refuses the newer file with a clear error.
	_, err = Open(ctx, path, Options{})
	if err == nil || !strings.Contains(err.Error(), "newer swhook") || !strings.Contains(err.Error(), fmt.Sprintf("schema version %d", len(orig)+1)) {
		t.Errorf("opening a newer store: %v", err)
	}
}

func TestMigratesAnEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Save(context.Background(), &exchange.Exchange{}); err != nil {
		t.Fatal(err)
	}
}

func TestNotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	os.WriteFile(path, []byte(strings.Repeat("this is not sqlite\n", 100)), 0o600)
	_, err := Open(context.Background(), path, Options{})
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("err = %v", err)
	}
}

func TestConcurrentOpensOfANewFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new", "s.db")
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := Open(context.Background(), path, Options{})
			if err != nil {
				errs <- err
				return
			}
			defer st.Close()
			errs <- st.Save(context.Background(), &exchange.Exchange{})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	st, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if n, _ := st.Count(context.Background(), Query{}); n != 6 {
		t.Errorf("%d exchanges, want 6", n)
	}
}

// A writer in another process holding the lock longer than the busy timeout
// delays a Save; it does not lose it.
func TestSaveOutlastsALongLock(t *testing.T) {
	ctx := context.Background()
	st, path := openTemp(t, Options{BusyTimeout: 50 * time.Millisecond})
	release := lockFile(t, path)
	done := make(chan error, 1)
	x := &exchange.Exchange{Request: exchange.Request{Path: "/patient"}}
	go func() { done <- st.Save(ctx, x) }()
	select {
	case err := <-done:
		t.Fatalf("Save returned while the file was locked: %v", err)
	case <-time.After(400 * time.Millisecond): // several busy timeouts
	}
	release()
	if err := <-done; err != nil {
		t.Fatalf("Save after the lock went away: %v", err)
	}
	if got, err := st.Get(ctx, x.ID); err != nil || got.Request.Path != "/patient" {
		t.Errorf("Get: %v %v", got, err)
	}
}

// Even when the queue is full because the file is stuck, a Save whose
// caller gives up is still written once the file frees up.
func TestSavesBeyondAFullQueueAreNotDropped(t *testing.T) {
	ctx := context.Background()
	st, path := openTemp(t, Options{BusyTimeout: 20 * time.Second})
	release := lockFile(t, path)
	const n = queueDepth + 200
	for i := 0; i < n; i++ {
		short, cancel := context.WithTimeout(ctx, time.Millisecond)
		err := st.Save(short, &exchange.Exchange{Request: exchange.Request{Path: fmt.Sprint("/", i)}})
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("save %d: %v, want the context's error while the file is locked", i, err)
		}
	}
	release()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st2, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	if got, _ := st2.Count(ctx, Query{}); got != n {
		t.Errorf("%d exchanges written, want all %d", got, n)
	}
}

// openAtVersion creates a database migrated only up to schema version n, as
// an older swhook left it, and returns it with its path.
func openAtVersion(t *testing.T, n int) (*sql.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), fmt.Sprintf("v%d.db", n))
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	orig := migrations
	migrations = orig[:n]
	err = migrate(context.Background(), db, path)
	migrations = orig
	if err != nil {
		t.Fatal(err)
	}
	return db, path
}

// A store written by the first schema (headers as JSON text, no url/query/
// host columns) migrates and reads back whole.
func TestReadsRowsFromVersion1(t *testing.T) {
	ctx := context.Background()
	db, path := openAtVersion(t, 1)
	// Write a row the way version 1 did.
	x := full()
	c := *x
	c.Request.Headers, c.Request.Body, c.Response.Headers, c.Response.Body = nil, nil, nil, nil
	c.Time = time.Time{}
	sum, _ := json.Marshal(&c)
	hdr, _ := json.Marshal(headersDoc{Request: x.Request.Headers, Response: x.Response.Headers})
	res, err := db.Exec(`INSERT INTO exchanges (time_s, time_ns, source, method, path, kind, detail, sig_status, resp_status, resp_error, summary)
		VALUES (?,?,?,?,?,?,?,?,?,?,?)`, x.Time.Unix(), x.Time.Nanosecond(), x.Source, x.Request.Method, x.Request.Path,
		x.Event.Kind, x.Event.Detail, x.Signature.Status, x.Response.Status, x.Response.Error, string(sum))
	if err != nil {
		t.Fatal(err)
	}
	id, _ := res.LastInsertId()
	if _, err := db.Exec(`INSERT INTO payloads (id, headers, req_body, resp_body) VALUES (?,?,?,?)`,
		id, string(hdr), []byte(x.Request.Body), []byte(x.Response.Body)); err != nil {
		t.Fatal(err)
	}
	db.Close()

	st2, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("migrating a version-1 store: %v", err)
	}
	defer st2.Close()
	got, err := st2.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	x.ID = id
	got.Time, x.Time = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, x) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(x)
		t.Errorf("version-1 row reads back differently:\n got %s\nwant %s", g, w)
	}
	// New rows in the migrated store work too.
	if err := st2.Save(ctx, full()); err != nil {
		t.Fatal(err)
	}
}

// A store written by schema version 2 (payloads in a table of their own,
// AUTOINCREMENT IDs) migrates to one table, reads back whole, and goes on
// numbering after its highest ID even when older IDs were pruned.
func TestReadsRowsFromVersion2(t *testing.T) {
	ctx := context.Background()
	db, path := openAtVersion(t, 2)
	x := full()
	c := *x
	c.Request.Headers, c.Request.Body, c.Response.Headers, c.Response.Body = nil, nil, nil, nil
	c.Time = time.Time{}
	sum, _ := json.Marshal(&c)
	var id int64
	for range 3 { // the first two are pruned below: only #3 stays
		res, err := db.Exec(`INSERT INTO exchanges (time_s, time_ns, source, method, path, kind, detail, sig_status, resp_status, resp_error, url, query, host, summary)
			VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, x.Time.Unix(), x.Time.Nanosecond(), x.Source, x.Request.Method, x.Request.Path,
			x.Event.Kind, x.Event.Detail, x.Signature.Status, x.Response.Status, x.Response.Error,
			x.Request.URL, x.Request.Query, x.Request.Host, string(sum))
		if err != nil {
			t.Fatal(err)
		}
		id, _ = res.LastInsertId()
		if _, err := db.Exec(`INSERT INTO payloads (id, headers, req_body, resp_body) VALUES (?,?,?,?)`,
			id, encodeHeaders(x.Request.Headers, x.Response.Headers), []byte(x.Request.Body), []byte(x.Response.Body)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`DELETE FROM exchanges WHERE id < ?`, id); err != nil {
		t.Fatal(err)
	}
	db.Close()

	st, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatalf("migrating a version-2 store: %v", err)
	}
	defer st.Close()
	var tables int
	if err := st.db().QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name IN ('payloads', 'exchanges_v3')`).Scan(&tables); err != nil || tables != 0 {
		t.Errorf("old tables left behind: %d, %v", tables, err)
	}
	got, err := st.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	x.ID = id
	got.Time, x.Time = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, x) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(x)
		t.Errorf("version-2 row reads back differently:\n got %s\nwant %s", g, w)
	}
	y := full()
	if err := st.Save(ctx, y); err != nil {
		t.Fatal(err)
	}
	if y.ID != id+1 {
		t.Errorf("first ID after migration %d, want %d", y.ID, id+1)
	}
}

// The writer never checkpoints; the checkpointer does, and once writes stop
// it truncates the WAL, so the file does not keep its high-water size.
func TestCheckpointerTruncatesTheWALWhenIdle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "swhook.db")
	st, err := Open(context.Background(), path, Options{checkpointEvery: 10 * time.Millisecond, truncateAfter: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	for range 200 {
		if err := st.Save(ctx, full()); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the WAL still holds %d bytes after the writes stopped", fi.Size())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Everything is in the database file proper, and still readable.
	if n, err := st.Count(ctx, Query{}); err != nil || n != 200 {
		t.Errorf("Count = %d, %v; want 200", n, err)
	}
}

// Under writes that never pause, a checkpoint beside the writer never
// reaches the last frame; the writer finishes it now and then so the WAL
// starts over instead of growing with everything ever written.
func TestWALStaysBoundedUnderSustainedWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "swhook.db")
	st, err := Open(context.Background(), path, Options{checkpointEvery: 5 * time.Millisecond, restartFrames: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	// ~15 MiB of frames if never restarted; a starved checkpointer (a busy
	// machine) lets it reach ~6 MiB before the writer restarts it.
	const rows, bound = 5000, 8 << 20
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= rows {
				if err := st.Save(ctx, benchExchange()); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > bound {
		t.Errorf("WAL is %d bytes after %d saves without a pause; want under %d", fi.Size(), rows, bound)
	}
}
