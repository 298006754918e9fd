//go:build unix

package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/exchange"
)

// The store file deleted under a journaling store: noticed (ErrMoved via
// OnTrouble), and what is saved from then on goes to a new store at the
// path, while other goroutines keep reading.
func TestStoreFileDeletedWhileJournaling(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "swhook.db")
	var mu sync.Mutex
	var troubles []error
	st, err := Open(ctx, path, Options{Journal: true, OnTrouble: func(err error) {
		mu.Lock()
		troubles = append(troubles, err)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Save(ctx, &exchange.Exchange{Request: exchange.Request{Path: "/before"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.LatestID(ctx); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // a view reading all along
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			st.List(ctx, Query{Limit: 5, Summary: true})
			time.Sleep(5 * time.Millisecond)
		}
	}()
	var want []string
	for i := range 40 {
		p := fmt.Sprintf("/after/%d", i)
		if err := st.Save(ctx, &exchange.Exchange{Time: time.Unix(int64(i), 0), Request: exchange.Request{Path: p}}); err != nil {
			t.Fatal(err)
		}
		want = append(want, p)
		time.Sleep(25 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if _, err := st.LatestID(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	moved := len(troubles) > 0 && errors.Is(troubles[0], ErrMoved)
	mu.Unlock()
	if !moved {
		t.Errorf("the deleted file was not reported: %v", troubles)
	}
	other, err := Open(ctx, path, Options{MustExist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	xs, err := other.List(ctx, Query{Summary: true})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, x := range xs {
		got[x.Request.Path] = true
	}
	for _, p := range want {
		if !got[p] {
			t.Errorf("%s saved after the file was deleted is not in the new store", p)
		}
	}
}
