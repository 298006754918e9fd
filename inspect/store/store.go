// Package store keeps every exchange in a local SQLite file (WAL mode), so
// history survives restarts and another terminal can list or replay while
// `swhook listen` writes. One process writes in bulk (listen, with group
// commit); others read, and write the odd replay, at the same time.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/swhook/swhook/inspect/exchange"
)

// ErrNotFound is returned by Get and Last when there is no such exchange.
var ErrNotFound = errors.New("no such exchange")

// Options tune a store.
type Options struct {
	// Keep is how many exchanges to keep; older ones are pruned. 0 keeps all.
	Keep int
	// Now is the clock (tests inject one).
	Now func() time.Time
}

// Query selects exchanges for List and Count. Zero values mean "any".
type Query struct {
	Limit    int   // 0 = all
	BeforeID int64 // only IDs < BeforeID (paging back)
	AfterID  int64 // only IDs > AfterID (catching up)
	IDs      []int64
	Kind     string // event kind, or a prefix such as "call" for call.*
	// Status filters the response status: "5xx", "4xx", "2xx", or an exact
	// code such as "404"; "error" means the handler could not be reached.
	Status    string
	Signature string // exchange.SignatureStatus value
	Since     time.Time
	// Failed selects exchanges whose handler answered an error (non-2xx or
	// unreachable): what `replay --failed` resends.
	Failed bool
	// Summary leaves out request and response bodies and headers, for lists
	// that only need a row per exchange.
	Summary bool
}

// Store is an open exchange store.
type Store struct{}

// Open opens (creating if needed, with directory 0700 and file 0600) the
// store at path and brings its schema up to date.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	panic("store.Open: not built yet")
}

// Save stores x and sets x.ID. When it returns nil, x is durable: a kill -9
// right after loses nothing.
func (s *Store) Save(ctx context.Context, x *exchange.Exchange) error {
	panic("store.Save: not built yet")
}

// Get returns one exchange whole.
func (s *Store) Get(ctx context.Context, id int64) (*exchange.Exchange, error) {
	panic("store.Get: not built yet")
}

// Last returns the newest exchange.
func (s *Store) Last(ctx context.Context) (*exchange.Exchange, error) {
	panic("store.Last: not built yet")
}

// List returns the exchanges q selects, newest first.
func (s *Store) List(ctx context.Context, q Query) ([]*exchange.Exchange, error) {
	panic("store.List: not built yet")
}

// Count returns how many exchanges q selects (Limit ignored).
func (s *Store) Count(ctx context.Context, q Query) (int, error) {
	panic("store.Count: not built yet")
}

// LatestID returns the highest ID in the store (0 when empty), so a running
// listen can notice exchanges another process added (replays).
func (s *Store) LatestID(ctx context.Context) (int64, error) {
	panic("store.LatestID: not built yet")
}

// Clear removes every exchange.
func (s *Store) Clear(ctx context.Context) error {
	panic("store.Clear: not built yet")
}

// Close flushes pending writes and closes the file.
func (s *Store) Close() error {
	panic("store.Close: not built yet")
}
