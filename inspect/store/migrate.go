package store

import (
	"context"
	"database/sql"
	"fmt"
)

// failedCond is the "handler failed" test, shared verbatim by the partial
// index and the queries: SQLite uses a partial index only when the query
// repeats its WHERE term.
const failedCond = `(resp_error <> '' OR resp_status NOT BETWEEN 200 AND 299)`

// migrations bring a store from schema version i to i+1 (PRAGMA
// user_version). Append only: never edit a migration that has shipped, since
// stores in the wild have already run it.
var migrations = []string{
	// 1: the exchanges table (one dense row per exchange: what lists show
	// and filter on) and the payloads table (headers and bodies, read only
	// for a whole exchange), and the indexes the list filters use. Every
	// index costs each commit dirty pages (they nearly doubled Save's cost
	// in BenchmarkSaveParallel), so the signature and failure indexes are
	// partial: they hold only the rows worth finding (not valid; not 2xx),
	// and there is no time index (--since scans, and only export uses it).
	`CREATE TABLE exchanges (
		id           INTEGER PRIMARY KEY AUTOINCREMENT,
		time_s       INTEGER NOT NULL,
		time_ns      INTEGER NOT NULL DEFAULT 0,
		source       TEXT    NOT NULL DEFAULT '',
		replay_of    INTEGER NOT NULL DEFAULT 0,
		method       TEXT    NOT NULL DEFAULT '',
		path         TEXT    NOT NULL DEFAULT '',
		kind         TEXT    NOT NULL DEFAULT '',
		detail       TEXT    NOT NULL DEFAULT '',
		sig_status   TEXT    NOT NULL DEFAULT '',
		resp_status  INTEGER NOT NULL DEFAULT 0,
		resp_error   TEXT    NOT NULL DEFAULT '',
		duration_ms  REAL    NOT NULL DEFAULT 0,
		check_status TEXT    NOT NULL DEFAULT '',
		summary      TEXT    NOT NULL
	);
	CREATE TABLE payloads (
		id        INTEGER PRIMARY KEY,
		headers   TEXT,
		req_body  BLOB,
		resp_body BLOB
	);
	CREATE INDEX exchanges_kind ON exchanges(kind);
	CREATE INDEX exchanges_unverified ON exchanges(sig_status) WHERE sig_status <> 'valid';
	CREATE INDEX exchanges_failed ON exchanges(resp_status) WHERE ` + failedCond + `;`,

	// 2: the request's URL, query and host as columns. JSON turns invalid
	// UTF-8 into U+FFFD, and these come off the wire; SQLite keeps text
	// bytes as given, so the columns are what is read back. (Headers moved
	// to a byte-exact BLOB encoding at the same time; rows written before
	// keep their JSON TEXT, told apart by type.)
	`ALTER TABLE exchanges ADD COLUMN url TEXT NOT NULL DEFAULT '';
	ALTER TABLE exchanges ADD COLUMN query TEXT NOT NULL DEFAULT '';
	ALTER TABLE exchanges ADD COLUMN host TEXT NOT NULL DEFAULT '';`,

	// 3: one table, and no AUTOINCREMENT, for the writer's sake: each
	// commit wrote a page of exchanges, a page of payloads and the
	// sqlite_sequence page (plus index pages) to the WAL, and those writes
	// were the largest part of a commit. Headers and bodies are now the
	// last columns of the exchanges row, so a summary read stops before
	// them (a large body lives in overflow pages a summary never visits).
	// IDs are still never handed out twice: without AUTOINCREMENT a new
	// row takes the highest ID + 1, and pruning only ever deletes the
	// oldest, so the highest ID survives every prune (Clear, which empties
	// the store and starts at 1 on purpose, is the only exception).
	`CREATE TABLE exchanges_v3 (
		id           INTEGER PRIMARY KEY,
		time_s       INTEGER NOT NULL,
		time_ns      INTEGER NOT NULL DEFAULT 0,
		source       TEXT    NOT NULL DEFAULT '',
		replay_of    INTEGER NOT NULL DEFAULT 0,
		method       TEXT    NOT NULL DEFAULT '',
		path         TEXT    NOT NULL DEFAULT '',
		kind         TEXT    NOT NULL DEFAULT '',
		detail       TEXT    NOT NULL DEFAULT '',
		sig_status   TEXT    NOT NULL DEFAULT '',
		resp_status  INTEGER NOT NULL DEFAULT 0,
		resp_error   TEXT    NOT NULL DEFAULT '',
		duration_ms  REAL    NOT NULL DEFAULT 0,
		check_status TEXT    NOT NULL DEFAULT '',
		url          TEXT    NOT NULL DEFAULT '',
		query        TEXT    NOT NULL DEFAULT '',
		host         TEXT    NOT NULL DEFAULT '',
		summary      TEXT    NOT NULL,
		headers      BLOB,
		req_body     BLOB,
		resp_body    BLOB
	);
	INSERT INTO exchanges_v3 SELECT e.id, e.time_s, e.time_ns, e.source, e.replay_of, e.method, e.path,
		e.kind, e.detail, e.sig_status, e.resp_status, e.resp_error, e.duration_ms, e.check_status,
		e.url, e.query, e.host, e.summary, p.headers, p.req_body, p.resp_body
		FROM exchanges e LEFT JOIN payloads p USING (id);
	DROP TABLE exchanges;
	DROP TABLE payloads;
	DELETE FROM sqlite_sequence WHERE name = 'exchanges';
	ALTER TABLE exchanges_v3 RENAME TO exchanges;
	CREATE INDEX exchanges_kind ON exchanges(kind);
	CREATE INDEX exchanges_unverified ON exchanges(sig_status) WHERE sig_status <> 'valid';
	CREATE INDEX exchanges_failed ON exchanges(resp_status) WHERE ` + failedCond + `;`,

	// 4: ID reservations, for the capture journal (package journal). A listener
	// journaling webhooks hands out their IDs before the rows exist, from a
	// block it reserved here; every other insert takes an ID above both the
	// highest row and the reservation, so the two never collide. 0 means no
	// reservation.
	`CREATE TABLE id_reserve (id INTEGER NOT NULL);
	INSERT INTO id_reserve VALUES (0);`,

	// 5: new rows keep the exchange in two BLOBs, head and payload (see
	// row.go), and leave the per-field columns from method to resp_body at
	// their defaults; the columns queries filter on stay.
	`ALTER TABLE exchanges ADD COLUMN head BLOB;
	ALTER TABLE exchanges ADD COLUMN payload BLOB;`,

	// 6: the highest ID Clear deleted, so recovering a killed listener's
	// capture journal does not bring back exchanges cleared after they
	// were indexed.
	`ALTER TABLE id_reserve ADD COLUMN cleared INTEGER NOT NULL DEFAULT 0;`,

	// 7: who took each row and which call it belongs to, as columns with
	// indexes, so a listener's own rows and one call's timeline are a
	// query, not a scan. listener is the local URL of the listen that
	// received the webhook ('' when sent straight to a handler); call_id
	// is the call or message the webhook names (its parent call for a
	// child leg; '' when it names none), filled in for the rows already
	// there by backfillCalls. Both indexes take their entries at the
	// right edge (ID order within a value), a page each commit at most.
	`ALTER TABLE exchanges ADD COLUMN listener TEXT NOT NULL DEFAULT '';
	ALTER TABLE exchanges ADD COLUMN call_id TEXT NOT NULL DEFAULT '';
	CREATE INDEX exchanges_listener ON exchanges(listener);
	CREATE INDEX exchanges_call ON exchanges(call_id) WHERE call_id <> '';`,
}

// backfills run in the same transaction as the migration to the version
// they are keyed by, for what SQL alone cannot compute.
var backfills = map[int]func(ctx context.Context, tx *sql.Tx) error{
	7: backfillCalls,
}

// migrate brings the schema up to date. Each step runs in its own immediate
// transaction and re-reads the version inside it, so two processes opening a
// new store at once do not both run a step.
func migrate(ctx context.Context, db *sql.DB, path string) error {
	v, err := userVersion(ctx, db)
	if err != nil {
		return fmt.Errorf("read store %s: %w", path, err)
	}
	if v > len(migrations) {
		return newerError(path, v)
	}
	for v < len(migrations) {
		if err := step(ctx, db, path); err != nil {
			return err
		}
		if v, err = userVersion(ctx, db); err != nil {
			return fmt.Errorf("read store %s: %w", path, err)
		}
	}
	return nil
}

func newerError(path string, v int) error {
	return fmt.Errorf("store %s was written by a newer swhook (schema version %d; this swhook knows up to %d): upgrade swhook, or use another --store", path, v, len(migrations))
}

func step(ctx context.Context, db *sql.DB, path string) error {
	tx, err := db.BeginTx(ctx, nil) // immediate: see _txlock in Open
	if err != nil {
		return fmt.Errorf("migrate store %s: %w", path, err)
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("migrate store %s: %w", path, err)
	}
	if v > len(migrations) {
		return newerError(path, v)
	}
	if v == len(migrations) {
		return nil // someone else got there first
	}
	if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
		return fmt.Errorf("migrate store %s to version %d: %w", path, v+1, err)
	}
	if fill := backfills[v+1]; fill != nil {
		if err := fill(ctx, tx); err != nil {
			return fmt.Errorf("migrate store %s to version %d: %w", path, v+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
		return fmt.Errorf("migrate store %s to version %d: %w", path, v+1, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate store %s to version %d: %w", path, v+1, err)
	}
	return nil
}

func userVersion(ctx context.Context, db *sql.DB) (int, error) {
	var v int
	err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}
