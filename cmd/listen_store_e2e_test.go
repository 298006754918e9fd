package cmd

import (
	"bufio"
	"encoding/json"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// foreignLock holds the store's write lock from another process (the
// sqlite3 shell in a BEGIN IMMEDIATE transaction) until release.
func foreignLock(t *testing.T, storePath string) (release func()) {
	t.Helper()
	if _, err := exec.LookPath("sqlite3"); err != nil {
		t.Skip("needs the sqlite3 shell")
	}
	cmd := exec.Command("sqlite3", storePath)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	io.WriteString(in, ".timeout 10000\nBEGIN IMMEDIATE;\nSELECT 'locked';\n")
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "locked" {
		t.Fatalf("sqlite3 did not take the lock: %q %v", line, err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			io.WriteString(in, "ROLLBACK;\n.quit\n")
			in.Close()
			cmd.Wait()
		})
	}
	t.Cleanup(release)
	return release
}

// issue 10.5: while another process holds the store's write lock for 8 s,
// every webhook listen answers is already durable: kill -9 of listen in
// the middle of it loses none of them.
func TestListenE2EKill9UnderAForeignWriteLock(t *testing.T) {
	_, target := newE2EHandler(t)
	storePath := filepath.Join(t.TempDir(), "swhook.db")
	p := startListen(t, storePath, "--forward", target)
	go func() {
		for range p.lines { // the NDJSON feed: not checked here
		}
	}()
	release := foreignLock(t, storePath)
	locked := time.Now()

	var mu sync.Mutex
	answered := map[string]bool{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; time.Since(locked) < 6*time.Second; i += 4 {
				time.Sleep(5 * time.Millisecond) // a busy minute's worth, not a flood
				req, s := webhook(p.local, i)
				resp, err := e2eClient.Do(req)
				if err != nil {
					t.Errorf("webhook %d: %v", i, err)
					return
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err == nil && resp.StatusCode == 200 && strings.Contains(string(b), s.path) {
					mu.Lock()
					answered[s.path] = true
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	p.done <- nil
	for time.Since(locked) < 8*time.Second {
		time.Sleep(100 * time.Millisecond)
	}
	release()

	if len(answered) < 8 {
		t.Fatalf("only %d webhooks answered in 6 s", len(answered))
	}
	byPath := swhookList(t, storePath) // the store opens again and recovers
	lost := 0
	for path := range answered {
		if _, ok := byPath[path]; !ok {
			lost++
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d answered webhooks lost after kill -9 under a foreign write lock", lost, len(answered))
	}
	t.Logf("%d answered during the lock, %d stored", len(answered), len(byPath))
}

// issue 10.7: a command started after a webhook's answer came back sees
// that webhook, though listen indexes into SQLite only every 50 ms.
func TestListenE2EShowLastRightAfterEachAnswer(t *testing.T) {
	_, target := newE2EHandler(t)
	storePath := filepath.Join(t.TempDir(), "swhook.db")
	p := startListen(t, storePath, "--forward", target)
	go func() {
		for range p.lines {
		}
	}()
	// A steady stream beside the checked webhooks keeps the indexer in
	// its 50 ms rhythm, as a busy listener is.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var streamSent atomic.Int64 // the stream's webhooks are /hook/1000000 and up
	streamSent.Store(1_000_000)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1_000_001; ; i++ {
			streamSent.Store(int64(i))
			select {
			case <-stop:
				return
			case <-time.After(3 * time.Millisecond):
			}
			req, _ := webhook(p.local, i)
			if resp, err := e2eClient.Do(req); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	bin := swhookBinary(t)
	missed := 0
	for i := range 200 {
		req, s := webhook(p.local, i)
		resp, err := e2eClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		after := streamSent.Load() // stream webhooks above this were sent after our answer
		out, err := exec.Command(bin, "show", "last", "--json", "--store", storePath).Output()
		if err != nil {
			t.Fatalf("show last: %v", err)
		}
		var x listed
		if err := json.Unmarshal(out, &x); err != nil {
			t.Fatalf("show last --json: %v: %.200s", err, out)
		}
		n, _ := strconv.ParseInt(strings.TrimPrefix(x.Request.Path, "/hook/"), 10, 64)
		if x.Request.Path != s.path && n <= after {
			// (one the stream sent after our answer is newer: fine)
			missed++
			t.Errorf("show last right after %s's answer showed %s", s.path, x.Request.Path)
		}
	}
	if missed > 0 {
		t.Errorf("%d of 200 webhooks not seen right after their answer", missed)
	}
}
