//go:build unix

package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/exchange"
)

// holdWriteLock takes the store's write lock from a connection of its own,
// as another process's long transaction would, until the returned func is
// called.
func holdWriteLock(t *testing.T, path string) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	done := false
	release = func() {
		if done {
			return
		}
		done = true
		conn.ExecContext(context.Background(), "ROLLBACK")
		conn.Close()
		db.Close()
	}
	t.Cleanup(release)
	return release
}

// A webhook is durable once journaled: no SQLite lock another process
// holds stands between Save and its return (it used to wait for an ID
// reservation, and past the listener's 2 s save wait the answer went back
// before the webhook was durable).
func TestJournalSavesUnderAForeignWriteLock(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "swhook.db")
	st, err := Open(ctx, path, Options{Journal: true})
	if err != nil {
		t.Fatal(err)
	}
	// A first webhook before the lock: the listener is running.
	if err := st.Save(ctx, &exchange.Exchange{Request: exchange.Request{Path: "/before"}}); err != nil {
		t.Fatal(err)
	}
	release := holdWriteLock(t, path)
	told := map[int64]string{}
	for i := range 100 {
		p := fmt.Sprintf("/locked/%d", i)
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second) // the listener's save wait
		x := &exchange.Exchange{Time: time.Unix(int64(i), 0), Request: exchange.Request{Path: p}}
		err := st.Save(sctx, x)
		cancel()
		if err != nil {
			t.Fatalf("Save %d under a foreign write lock: %v", i, err)
		}
		if prev, dup := told[x.ID]; dup {
			t.Fatalf("ID %d given to %s and %s", x.ID, prev, p)
		}
		told[x.ID] = p
	}
	release()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for id, p := range told {
		x, err := st.Get(ctx, id)
		if err != nil || x.Request.Path != p {
			t.Errorf("#%d: %v, %+v; want %s", id, err, x, p)
		}
	}
}

// A reader in another process sees what a listener has answered at once,
// even before the listener's indexer has put it into SQLite (here it
// cannot: another connection holds the write lock).
func TestReadersSeeJournaledRowsAtOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "swhook.db")
	listener, err := Open(ctx, path, Options{Journal: true})
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	indexed := &exchange.Exchange{Time: time.Unix(1, 0).UTC(), Request: exchange.Request{Path: "/indexed"}, Response: exchange.Response{Status: 200}}
	if err := listener.Save(ctx, indexed); err != nil {
		t.Fatal(err)
	}
	if _, err := listener.LatestID(ctx); err != nil { // indexed
		t.Fatal(err)
	}
	release := holdWriteLock(t, path)
	defer release()
	var told []*exchange.Exchange
	for i, status := range []int{200, 500, 200} {
		x := full()
		x.Time = time.Unix(int64(10+i), 0).UTC()
		x.Request.Path = fmt.Sprintf("/journaled/%d", i)
		x.Response.Status, x.Response.Error = status, ""
		if err := listener.Save(ctx, x); err != nil {
			t.Fatal(err)
		}
		told = append(told, x)
	}

	reader, err := Open(ctx, path, Options{MustExist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	last, err := reader.Last(ctx)
	if err != nil || last.Request.Path != "/journaled/2" {
		t.Fatalf("Last = %+v, %v; want /journaled/2", last, err)
	}
	for _, x := range told {
		got, err := reader.Get(ctx, x.ID)
		if err != nil {
			t.Fatalf("Get(%d): %v", x.ID, err)
		}
		if !reflect.DeepEqual(got, x) {
			t.Errorf("#%d read from the journal differs:\n got %+v\nwant %+v", x.ID, got, x)
		}
	}
	if n, err := reader.Count(ctx, Query{}); err != nil || n != 4 {
		t.Errorf("Count = %d, %v; want 4", n, err)
	}
	if n, err := reader.Count(ctx, Query{Status: "5xx"}); err != nil || n != 1 {
		t.Errorf("Count(5xx) = %d, %v; want 1", n, err)
	}
	if id, err := reader.LatestID(ctx); err != nil || id != told[2].ID {
		t.Errorf("LatestID = %d, %v; want %d", id, err, told[2].ID)
	}
	xs, err := reader.List(ctx, Query{Limit: 2, Summary: true})
	if err != nil || len(xs) != 2 || xs[0].ID != told[2].ID || xs[1].ID != told[1].ID {
		t.Errorf("List(limit 2) = %d rows, %v", len(xs), err)
	}
	xs, err = reader.List(ctx, Query{Limit: 2, Oldest: true, Summary: true})
	if err != nil || len(xs) != 2 || xs[0].Request.Path != "/indexed" || xs[1].ID != told[0].ID {
		t.Errorf("List(oldest, limit 2) = %d rows, %v", len(xs), err)
	}
	xs, err = reader.List(ctx, Query{Failed: true})
	if err != nil || len(xs) != 1 || xs[0].Request.Path != "/journaled/1" {
		t.Errorf("List(failed) = %d rows, %v", len(xs), err)
	}
	// Once indexed, each row is there once.
	release()
	if _, err := listener.LatestID(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := reader.Count(ctx, Query{}); err != nil || n != 4 {
		t.Errorf("after indexing: Count = %d, %v; want 4", n, err)
	}
}
