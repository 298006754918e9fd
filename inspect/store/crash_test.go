package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/swhook/swhook/inspect/exchange"
)

const (
	crashEnv        = "SWHOOK_STORE_CRASH_CHILD"
	crashJournalEnv = "SWHOOK_STORE_CRASH_JOURNAL"
)

// crashChild is the re-executed test binary: it saves from several
// goroutines as fast as it can and prints each ID the moment Save returns,
// until it is killed.
func crashChild() {
	st, err := Open(context.Background(), os.Getenv(crashEnv), Options{Journal: os.Getenv(crashJournalEnv) != ""})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				x := &exchange.Exchange{Request: exchange.Request{
					Path: fmt.Sprintf("/crash/%d/%d", g, i),
					Body: exchange.Body(fmt.Sprintf("body %d %d", g, i)),
				}}
				if err := st.Save(context.Background(), x); err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(4)
				}
				mu.Lock()
				fmt.Fprintf(out, "%d %s\n", x.ID, x.Request.Path)
				out.Flush() // the parent must see it only after Save returned
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

func TestCrashLosesNothingSaved(t *testing.T) {
	for _, journal := range []bool{false, true} {
		t.Run(fmt.Sprintf("journal=%v", journal), func(t *testing.T) { testCrash(t, journal) })
	}
}

// testCrash kills a saving child and checks that every Save it reported is
// in the store: committed to SQLite, or (journal) recovered from the
// capture journal when the store opens again.
func testCrash(t *testing.T, journal bool) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	if journal {
		cmd.Env = append(cmd.Env, crashJournalEnv+"=1")
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	saved := map[int64]string{}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		var id int64
		var p string
		if _, err := fmt.Sscanf(sc.Text(), "%d %s", &id, &p); err != nil {
			t.Fatalf("child said %q", sc.Text())
		}
		saved[id] = p
		if len(saved) == 300 {
			cmd.Process.Kill() // SIGKILL: no chance to flush anything
			break
		}
	}
	// Lines still in the pipe were also printed after their Save returned.
	for sc.Scan() {
		var id int64
		var p string
		if _, err := fmt.Sscanf(sc.Text(), "%d %s", &id, &p); err == nil {
			saved[id] = p
		}
	}
	cmd.Wait()
	if len(saved) < 300 {
		t.Fatalf("child saved only %d before dying", len(saved))
	}

	left, _ := filepath.Glob(path + "-capture-*")
	if journal && len(left) == 0 {
		t.Fatal("the killed child left no capture journal: nothing was tested")
	}
	st, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatalf("store does not open again after kill -9: %v", err)
	}
	if left, _ := filepath.Glob(path + "-capture-*"); len(left) > 0 {
		t.Errorf("recovered journal files not removed: %v", left)
	}
	defer st.Close()
	for id, p := range saved {
		x, err := st.Get(context.Background(), id)
		if err != nil {
			t.Fatalf("exchange %d (%s) acknowledged but lost: %v", id, p, err)
		}
		if x.Request.Path != p {
			t.Fatalf("exchange %d is %s, want %s", id, x.Request.Path, p)
		}
		var g, i int
		fmt.Sscanf(p, "/crash/%d/%d", &g, &i)
		if string(x.Request.Body) != "body "+strconv.Itoa(g)+" "+strconv.Itoa(i) {
			t.Fatalf("exchange %d body %q", id, x.Request.Body)
		}
	}
	// And it still takes writes.
	if err := st.Save(context.Background(), &exchange.Exchange{}); err != nil {
		t.Fatalf("save after crash: %v", err)
	}
}
