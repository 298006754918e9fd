package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"

	"github.com/swhook/swhook/inspect/store/journal"
)

// Reading what was just answered. A listener answers a webhook once it is
// journaled and indexes it into SQLite up to indexEvery later, so a reader
// in another terminal — `swhook show last` right after the answer — would
// miss it. A read therefore looks at the other listeners' journals first
// (journal.Pending: a file read, nothing a listener waits on) and, when
// they hold rows SQLite does not have yet, runs on one connection, in one
// read transaction, with those rows in a temporary table (temp.pending,
// the exchanges table's twin): each query runs on both and the results are
// combined. Journals first, then the snapshot: a row indexed in between is
// in SQLite, and dropped from pending, so no row is missed or counted
// twice. This process's own rows are brought in by sync instead.

// querier is the pool or one connection.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// view is where one read runs: the pool, or a connection whose temp.pending
// holds rows only journals have (pending).
type view struct {
	q       querier
	pending bool
	close   func()
}

func (s *Store) view(ctx context.Context) (view, error) {
	if err := s.sync(ctx); err != nil {
		return view{}, err
	}
	none := view{q: s.db(), close: func() {}}
	recs := journal.Pending(s.path, s.jrPrefix, isRow)
	if len(recs) == 0 {
		return none, nil
	}
	conn, err := s.db().Conn(ctx)
	if err != nil {
		return view{}, fmt.Errorf("store: %w", err)
	}
	fail := func(err error) (view, error) {
		_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		conn.Close()
		return view{}, fmt.Errorf("store: read journaled rows: %w", err)
	}
	ddl, err := s.pendingDDL(ctx, conn)
	if err != nil {
		return fail(err)
	}
	if _, err := conn.ExecContext(ctx, ddl); err != nil {
		return fail(err)
	}
	// Deferred: reads take no lock a writer waits for, and the temporary
	// table's writes none on the store. ROLLBACK at the end empties it.
	if _, err := conn.ExecContext(ctx, "BEGIN DEFERRED"); err != nil {
		return fail(err)
	}
	for _, r := range recs {
		if _, err := conn.ExecContext(ctx, pendingInsertSQL, recordArgs(r)...); err != nil {
			return fail(err)
		}
	}
	if _, err := conn.ExecContext(ctx, `DELETE FROM temp.pending WHERE id IN (SELECT id FROM main.exchanges)`); err != nil {
		return fail(err)
	}
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM temp.pending`).Scan(&n); err != nil {
		return fail(err)
	}
	return view{q: conn, pending: n > 0, close: func() {
		_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		conn.Close()
	}}, nil
}

// pendingDDL is the exchanges table's definition, for temp.pending: the
// same columns, defaults and constraints, whatever migration made them.
func (s *Store) pendingDDL(ctx context.Context, conn *sql.Conn) (string, error) {
	s.ddlOnce.Do(func() {
		var ddl string
		s.ddlErr = conn.QueryRowContext(ctx, `SELECT sql FROM main.sqlite_master WHERE type = 'table' AND name = 'exchanges'`).Scan(&ddl)
		i := strings.IndexByte(ddl, '(')
		if s.ddlErr == nil && i < 0 {
			s.ddlErr = fmt.Errorf("unexpected definition of exchanges: %.40q", ddl)
		}
		if s.ddlErr == nil {
			s.ddl = "CREATE TEMP TABLE IF NOT EXISTS pending " + ddl[i:]
		}
	})
	return s.ddl, s.ddlErr
}

// pendingInsertSQL puts a journal record (an encode result with its ID)
// into temp.pending: insertSQL, whatever columns it names, into the twin;
// a record two journals hold (a renumbered row) counts once.
var pendingInsertSQL = strings.Replace(insertSQL, "INSERT INTO exchanges (", "INSERT OR IGNORE INTO temp.pending (", 1)

// onPending turns a query on the store into the same query on the pending
// rows (without an index hint: temp.pending has no indexes).
func onPending(query string) string {
	query = strings.ReplaceAll(query, " INDEXED BY exchanges_failed", "")
	return strings.ReplaceAll(query, "FROM exchanges", "FROM temp.pending")
}

// pendingDDL's cache.
type ddlCache struct {
	ddlOnce sync.Once
	ddl     string
	ddlErr  error
}
