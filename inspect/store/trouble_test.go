package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/exchange"
)

// A full disk under a journaling store, then the store file replaced: the
// trouble reports say NOT SAVING once (no "saving again" each time the
// journal takes a row while SQLite's commits fail), report the new reason
// (and the full disk again, when the new store cannot take the rows
// either), and say saving again once, when there is room and the rows go
// in.
func TestTroubleWhileDiskFullDoesNotFlipFlop(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	ctx := context.Background()
	path := filepath.Join(dir, "swhook.db")
	var mu sync.Mutex
	var calls []error
	st, err := Open(ctx, path, Options{Journal: true, OnTrouble: func(err error) {
		mu.Lock()
		calls = append(calls, err)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	snapshot := func() []error {
		mu.Lock()
		defer mu.Unlock()
		return append([]error(nil), calls...)
	}
	wait := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s never happened; OnTrouble calls: %v", what, snapshot())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	filler, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 4096)
	for {
		if _, err := filler.Write(chunk); err != nil {
			break
		}
	}
	filler.Close()
	body := []byte(strings.Repeat("x", 40<<10))
	save := func(i int) {
		st.Save(ctx, &exchange.Exchange{Request: exchange.Request{Path: fmt.Sprintf("/full/%d", i), Body: body}})
	}
	// Rows keep coming while the disk is full, for longer than a few
	// retries: the journal may take some, SQLite takes none.
	i := 0
	for ; i < 30; i++ {
		save(i)
		time.Sleep(50 * time.Millisecond)
	}
	wait("NOT SAVING", func() bool { return st.Trouble() != nil })
	first := st.Trouble().Error()
	// The store file replaced while the disk is still full.
	if err := os.WriteFile(path+".new", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
	wait("the new reason", func() bool {
		for _, e := range snapshot() {
			if e != nil && errors.Is(e, ErrMoved) {
				return true
			}
		}
		return false
	})
	for ; i < 40; i++ {
		save(i)
		time.Sleep(50 * time.Millisecond)
	}
	during := snapshot()
	os.Remove(filepath.Join(dir, "filler"))
	save(i)
	wait("saving again", func() bool { return st.Trouble() == nil })
	time.Sleep(600 * time.Millisecond) // let any late report come
	all := snapshot()
	t.Logf("OnTrouble calls: %q", all)
	for k, e := range during {
		if e == nil {
			t.Errorf("call %d of %v: saving again while the disk was full", k, during)
		}
	}
	if len(during) == 0 || during[0].Error() != first {
		t.Errorf("first report %v, want %q", during, first)
	}
	if n := len(all); n == 0 || all[n-1] != nil {
		t.Fatalf("no saving again at the end: %v", all)
	}
	// A reason may come back once something else was said (the new
	// store is full too), but no change of reason twice: that is two
	// reasons taking turns.
	recoveries := 0
	said := map[[2]string]bool{}
	for k, e := range all {
		if e == nil {
			recoveries++
		}
		if k == 0 {
			continue
		}
		change := [2]string{fmt.Sprint(all[k-1]), fmt.Sprint(e)}
		if said[change] {
			t.Errorf("%q then %q reported twice: the reasons flip-flop: %v", change[0], change[1], all)
		}
		said[change] = true
	}
	if recoveries != 1 {
		t.Errorf("%d saving-again reports, want 1: %v", recoveries, all)
	}
}
