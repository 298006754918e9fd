//go:build unix

package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
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
