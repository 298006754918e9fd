package store

import (
	"context"
	"testing"

	"github.com/swhook/swhook/inspect/exchange"
)

// A batch inserted insertMany rows per statement loses no neighbour to one
// row whose journaled ID another process's row took: the statement fails
// whole, the batch is tried row by row, and that one row gets a new ID.
func TestManyRowInsertSurvivesOneTakenID(t *testing.T) {
	st, _ := openTemp(t, Options{})
	ctx := context.Background()
	taken := &exchange.Exchange{Request: exchange.Request{Path: "/other-process"}}
	if err := st.Save(ctx, taken); err != nil {
		t.Fatal(err)
	}
	conn, err := st.db().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ins, err := prepareInserts(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	defer ins.Close()
	ins.number = st.number

	const n = 2*insertMany + 5
	batch := make([]*writeReq, n)
	for i := range batch {
		row, err := encode(&exchange.Exchange{Request: exchange.Request{Path: "/journaled"}})
		if err != nil {
			t.Fatal(err)
		}
		row[0] = taken.ID + 1000 + int64(i) // clear of everything, but for one
		if i == insertMany/2 {              // in the first statement's rows
			row[0] = taken.ID
		}
		batch[i] = &writeReq{row: row, done: make(chan writeResult, 1)}
	}
	if got := st.commit(ctx, conn, ins, batch, false); got != n {
		t.Fatalf("inserted %d of %d rows", got, n)
	}
	ids := map[int64]bool{taken.ID: true}
	for i, r := range batch {
		res := <-r.done
		if res.err != nil || res.id == 0 || ids[res.id] {
			t.Fatalf("row %d: id %d err %v (taken %d)", i, res.id, res.err, taken.ID)
		}
		ids[res.id] = true
	}
	if c, err := st.Count(ctx, Query{}); err != nil || c != n+1 {
		t.Fatalf("the store holds %d rows (%v), want %d", c, err, n+1)
	}
	if x, err := st.Get(ctx, taken.ID); err != nil || x.Request.Path != "/other-process" {
		t.Fatalf("the other process's row: %+v %v", x, err)
	}
}
