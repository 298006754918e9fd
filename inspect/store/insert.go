package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
)

// The row insert itself goes further, to the driver's statement through
// (*sql.Conn).Raw: per row, database/sql's locking and argument conversion
// cost about as much as SQLite's own bind, and encode already produces
// driver values. The statement belongs to the writer's connection, which
// only the writer (or indexer) goroutine uses, and is only used inside Raw.
type inserts struct {
	exchange driver.StmtExecContext
	// many inserts insertMany rows at once, their IDs given (as the
	// journal and number give every row theirs): one statement per
	// insertMany rows, not per row, saves SQLite's per-statement work
	// (the AUTOINCREMENT sequence's update, the statement's start and
	// end) and the driver's per-call cost: about a third of the
	// indexer's time per row.
	many                    driver.StmtExecContext
	begin, commit, rollback *sql.Stmt
	onCommit                func(rows []*writeReq)
	// number gives rows without an ID theirs, first in every insert
	// transaction; settle, when set, runs last before it commits (the
	// indexer's ID reservation).
	number func(ctx context.Context, tx execQuerier, rows []*writeReq) error
	settle func(ctx context.Context, tx execQuerier) error
	conn   *sql.Conn
	args   []driver.NamedValue
	// stmts holds the transaction's other statements (the ID floor, the
	// reservation, pruning), prepared on conn the first time each runs:
	// parsing the ID floor's SELECT anew in every transaction cost the
	// writer more than the rows it inserts.
	stmts preparedConn
}

// preparedConn runs queries on one connection through statements prepared
// once and kept (an execQuerier for the insert transaction). Its queries
// are constants, so the cache stays small; writer or indexer goroutine only.
type preparedConn struct {
	conn  *sql.Conn
	cache map[string]*sql.Stmt
}

func (p *preparedConn) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := p.cache[query]; ok {
		return st, nil
	}
	st, err := p.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if p.cache == nil {
		p.cache = make(map[string]*sql.Stmt)
	}
	p.cache[query] = st
	return st, nil
}

func (p *preparedConn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := p.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (p *preparedConn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := p.stmt(ctx, query)
	if err != nil {
		// A Row carrying the error: the connection answers it again.
		return p.conn.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (p *preparedConn) close() {
	for _, st := range p.cache {
		st.Close()
	}
	p.cache = nil
}

func prepareInserts(ctx context.Context, conn *sql.Conn) (*inserts, error) {
	ins := &inserts{conn: conn, stmts: preparedConn{conn: conn}}
	err := conn.Raw(func(dc any) error {
		st, err := dc.(driver.ConnPrepareContext).PrepareContext(ctx, insertSQL)
		if err != nil {
			return err
		}
		ec, ok := st.(driver.StmtExecContext)
		if !ok {
			st.Close()
			return errors.New("the sqlite driver's statements cannot ExecContext")
		}
		ins.exchange = ec
		st, err = dc.(driver.ConnPrepareContext).PrepareContext(ctx, insertManySQL)
		if err != nil {
			return err
		}
		if ins.many, ok = st.(driver.StmtExecContext); !ok {
			st.Close()
			return errors.New("the sqlite driver's statements cannot ExecContext")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, p := range []struct {
		st  **sql.Stmt
		sql string
	}{
		// IMMEDIATE: take the write lock at BEGIN, as _txlock does for
		// BeginTx (see Open).
		{&ins.begin, "BEGIN IMMEDIATE"},
		{&ins.commit, "COMMIT"},
		{&ins.rollback, "ROLLBACK"},
	} {
		st, err := conn.PrepareContext(ctx, p.sql)
		if err != nil {
			ins.Close()
			return nil, err
		}
		*p.st = st
	}
	return ins, nil
}

func (i *inserts) Close() {
	for _, st := range []*sql.Stmt{i.begin, i.commit, i.rollback} {
		if st != nil {
			st.Close()
		}
	}
	i.stmts.close()
	for _, st := range []driver.StmtExecContext{i.exchange, i.many} {
		if st != nil {
			_ = i.conn.Raw(func(any) error { return st.(driver.Stmt).Close() })
		}
	}
}

// exec inserts rows with the driver's statements, filling ids: insertMany
// at a time while the rows have their IDs, one by one for the rest.
func (i *inserts) exec(ctx context.Context, rows []*writeReq, ids []int64) error {
	return i.conn.Raw(func(any) error {
		defer clear(i.args) // let the rows' values go
		for n := 0; n < len(rows); {
			if chunk := rows[n:min(n+insertMany, len(rows))]; len(chunk) == insertMany && haveIDs(chunk) {
				i.args = i.args[:0]
				for _, r := range chunk {
					for _, v := range r.row {
						i.args = append(i.args, driver.NamedValue{Ordinal: len(i.args) + 1, Value: v})
					}
				}
				if _, err := i.many.ExecContext(ctx, i.args); err != nil {
					return err
				}
				for _, r := range chunk {
					ids[n] = r.row[0].(int64)
					n++
				}
				continue
			}
			i.args = i.args[:0]
			for k, v := range rows[n].row {
				i.args = append(i.args, driver.NamedValue{Ordinal: k + 1, Value: v})
			}
			res, err := i.exchange.ExecContext(ctx, i.args)
			if err != nil {
				return err
			}
			if ids[n], err = res.LastInsertId(); err != nil {
				return err
			}
			n++
		}
		return nil
	})
}

// haveIDs reports whether every row has its ID.
func haveIDs(rows []*writeReq) bool {
	for _, r := range rows {
		if _, ok := r.row[0].(int64); !ok {
			return false
		}
	}
	return true
}

// insertRows inserts rows in one transaction and, when keep > 0, prunes
// beyond keep in the same transaction.
func insertRows(ctx context.Context, conn *sql.Conn, ins *inserts, rows []*writeReq, keep int) ([]int64, error) {
	if _, err := ins.begin.ExecContext(ctx); err != nil {
		return nil, fmt.Errorf("save exchange: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			// Harmless when SQLite already rolled back (it does on some
			// errors): ROLLBACK without a transaction only errors.
			_, _ = ins.rollback.ExecContext(ctx)
		}
	}()
	if ins.number != nil {
		if err := ins.number(ctx, &ins.stmts, rows); err != nil {
			return nil, fmt.Errorf("save exchange: %w", err)
		}
	}
	ids := make([]int64, len(rows))
	if err := ins.exec(ctx, rows, ids); err != nil {
		return nil, fmt.Errorf("save exchange: %w", err)
	}
	if ins.settle != nil {
		if err := ins.settle(ctx, &ins.stmts); err != nil {
			return nil, fmt.Errorf("save exchange: %w", err)
		}
	}
	if keep > 0 {
		if err := pruneIn(ctx, &ins.stmts, keep); err != nil {
			return nil, err
		}
	}
	if _, err := ins.commit.ExecContext(ctx); err != nil {
		return nil, fmt.Errorf("save exchange: commit: %w", err)
	}
	committed = true
	if ins.onCommit != nil {
		ins.onCommit(rows)
	}
	return ids, nil
}

// prune deletes the oldest exchanges beyond Keep in a transaction of its
// own (at Open and Close). A failure only delays pruning: not reported.
func (s *Store) prune(ctx context.Context, conn *sql.Conn) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return
	}
	defer tx.Rollback()
	if pruneIn(ctx, tx, s.opts.Keep) == nil {
		_ = tx.Commit()
	}
}

// pruneIn deletes all but the newest keep exchanges: two range deletes on
// the primary keys, after one index seek to find the cut.
func pruneIn(ctx context.Context, tx execQuerier, keep int) error {
	var cut int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM exchanges ORDER BY id DESC LIMIT 1 OFFSET ?`, keep).Scan(&cut)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // not more than keep
	}
	if err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM exchanges WHERE id <= ?`, cut); err != nil {
		return fmt.Errorf("prune: %w", err)
	}
	return nil
}

// execQuerier is a *sql.Tx, or a *sql.Conn inside a transaction begun
// with a statement.
type execQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// insertMany is how many rows insertManySQL inserts: enough to spread the
// statement's own cost thin, few enough that a batch's tail left to the
// one-row statement is short.
const insertMany = 32

// insertManySQL inserts insertMany rows whose IDs are given, with the same
// columns and arguments per row as insertSQL.
var insertManySQL = insertSQL[:strings.Index(insertSQL, "VALUES")] + "VALUES " +
	strings.Repeat("(?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?), ", insertMany-1) + "(?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?)"

const insertSQL = `INSERT INTO exchanges (
	id, time_s, time_ns, kind, sig_status, resp_status, resp_error, summary, head, payload, listener, call_id
) VALUES (COALESCE(?, MAX(
	COALESCE((SELECT MAX(id) FROM exchanges), 0),
	COALESCE((SELECT id FROM id_reserve), 0)) + 1),
	?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?)`
