package cmd

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/store"
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
	// streamAnswered is the newest stream webhook whose answer came back
	// (the stream's webhooks are /hook/1000000 and up). One answered before
	// a checked webhook was sent was stored before it, so show last must
	// not prefer it; one still in flight then may be stored either side.
	var streamAnswered atomic.Int64
	streamAnswered.Store(1_000_000)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 1_000_001; ; i++ {
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
			streamAnswered.Store(int64(i))
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	bin := swhookBinary(t)
	missed := 0
	for i := range 200 {
		req, s := webhook(p.local, i)
		before := streamAnswered.Load() // stream webhooks up to this were stored before ours
		resp, err := e2eClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		out, err := exec.Command(bin, "show", "last", "--json", "--store", storePath).Output()
		if err != nil {
			t.Fatalf("show last: %v", err)
		}
		var x listed
		if err := json.Unmarshal(out, &x); err != nil {
			t.Fatalf("show last --json: %v: %.200s", err, out)
		}
		n, _ := strconv.ParseInt(strings.TrimPrefix(x.Request.Path, "/hook/"), 10, 64)
		if x.Request.Path != s.path && n <= before {
			// (one the stream sent beside or after ours may be newer: fine)
			missed++
			t.Errorf("show last right after %s's answer showed %s", s.path, x.Request.Path)
		}
	}
	if missed > 0 {
		t.Errorf("%d of 200 webhooks not seen right after their answer", missed)
	}
}

// mountTmpfs mounts a tmpfs of size (e.g. "2m") on a new directory, or
// skips the test where mounting is not permitted.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// readOnlyStore makes a store that this process cannot write: a 0400 file
// for a user, a read-only mount for root (who may write any file).
func readOnlyStore(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if os.Geteuid() == 0 {
		dir = mountTmpfs(t, "4m")
	}
	path := filepath.Join(dir, "swhook.db")
	st, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if os.Geteuid() == 0 {
		if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
			t.Skipf("cannot remount read-only: %v %s", err, out)
		}
		return path
	}
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}
	return path
}

// issue 10.6: listen on a store it cannot write refuses to start, in one
// line, rather than answer webhooks and keep none.
func TestListenRefusesAReadOnlyStore(t *testing.T) {
	bin := swhookBinary(t)
	path := readOnlyStore(t)
	cmd := exec.Command(bin, "listen", "--no-tunnel", "--no-tui", "--addr", "127.0.0.1:0", "--store", path)
	cmd.Env = append(os.Environ(), "SIGNALWIRE_SIGNING_KEY="+testKey, "NGROK_AUTHTOKEN=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("listen started on a read-only store; stderr: %s", stderr.String())
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v, want status 1; stderr: %s", err, stderr.String())
	}
	msg := strings.TrimSpace(stderr.String())
	if strings.Count(msg, "\n") != 0 || !strings.Contains(msg, "read-only") || !strings.Contains(msg, path) {
		t.Errorf("want one line naming the store and saying it is read-only, got:\n%s", msg)
	}
}

// fillDisk writes a file in dir until the file system is full, and returns
// a func that removes it.
func fillDisk(t *testing.T, dir string) (free func()) {
	t.Helper()
	name := filepath.Join(dir, "filler")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	f.Close()
	return func() { os.Remove(name) }
}

// issue 10.6: a full disk does not block SignalWire, says NOT SAVING,
// numbers every webhook apart, and once there is room again saves them
// all, where another terminal sees them.
func TestListenE2EDiskFull(t *testing.T) {
	dir := mountTmpfs(t, "8m") // room for the rows in SQLite once the filler goes
	_, target := newE2EHandler(t)
	storePath := filepath.Join(dir, "swhook.db")
	p := startListen(t, storePath, "--forward", target)
	var mu sync.Mutex
	idOf := map[string]int64{}
	go func() {
		for line := range p.lines {
			var ev struct {
				Type    string `json:"type"`
				ID      int64  `json:"id"`
				Request struct {
					Path string `json:"path"`
				} `json:"request"`
			}
			if json.Unmarshal([]byte(line), &ev) == nil && ev.Type == "exchange" {
				mu.Lock()
				idOf[ev.Request.Path] = ev.ID
				mu.Unlock()
			}
		}
	}()
	free := fillDisk(t, dir)
	send := func(i int) string {
		path := fmt.Sprintf("/full/%d", i)
		body := strings.Repeat("x", 40<<10)
		req, _ := http.NewRequest("POST", p.local+path, strings.NewReader("Body="+body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := e2eClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), path) {
			t.Errorf("%s: answered %d %.80q, not the handler's answer", path, resp.StatusCode, b)
		}
		return path
	}
	var paths []string
	for i := range 40 { // 1.6 MB: more than the journal has room for
		paths = append(paths, send(i))
	}
	waitUntil(t, 10*time.Second, "NOT SAVING on stderr", func() bool { return strings.Contains(p.stderr.String(), "NOT SAVING: ") })
	waitUntil(t, 10*time.Second, "an exchange line for each webhook", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(idOf) >= len(paths)
	})
	mu.Lock()
	seen := map[int64]string{}
	for _, path := range paths {
		id := idOf[path]
		if id == 0 {
			t.Errorf("%s shown without an ID", path)
		} else if other, dup := seen[id]; dup {
			t.Errorf("%s and %s both shown as #%d", path, other, id)
		}
		seen[id] = path
	}
	mu.Unlock()

	free()
	for i := 40; i < 45; i++ {
		paths = append(paths, send(i))
	}
	waitUntil(t, 10*time.Second, "saving again on stderr", func() bool { return strings.Contains(p.stderr.String(), "saving again") })
	// Another terminal sees every one of them, under the ID listen showed.
	var lastLog time.Time
	waitUntil(t, 10*time.Second, "every webhook in the store", func() bool {
		byPath := swhookList(t, storePath)
		for _, path := range paths {
			if _, ok := byPath[path]; !ok {
				if time.Since(lastLog) > 2*time.Second {
					lastLog = time.Now()
					t.Logf("%s missing; %d in the store; stderr: %s", path, len(byPath), p.stderr.String())
				}
				return false
			}
		}
		mu.Lock()
		defer mu.Unlock()
		for _, path := range paths[:40] {
			if byPath[path].ID != idOf[path] {
				t.Fatalf("%s is #%d in the store but was shown as #%d", path, byPath[path].ID, idOf[path])
			}
		}
		return true
	})
}

// waitUntil polls cond until it holds, failing the test after limit.
func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s after %v", what, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// committedRows counts the exchanges SQLite holds in the store file (not
// those only a capture journal holds yet).
func committedRows(t *testing.T, storePath string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+storePath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM exchanges`).Scan(&n); err != nil {
		return -1 // not created yet, or busy: ask again
	}
	return n
}

// issue 10.6: the store file deleted while listen runs is noticed, said
// loudly, and the webhooks after it are saved to a new store at that path,
// none into the unlinked file.
func TestListenE2EStoreDeleted(t *testing.T) {
	_, target := newE2EHandler(t)
	storePath := filepath.Join(t.TempDir(), "swhook.db")
	p := startListen(t, storePath, "--forward", target)
	go func() {
		for range p.lines {
		}
	}()
	send := func(path string) {
		req, _ := http.NewRequest("POST", p.local+path, strings.NewReader("CallSid=CA1"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := e2eClient.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), path) {
			t.Fatalf("%s: answered %d %.80q", path, resp.StatusCode, b)
		}
	}
	for i := range 5 {
		send(fmt.Sprintf("/before/%d", i))
	}
	// In the file itself: `swhook list` shows them as soon as they are
	// journaled, and the ones the listener had not put into SQLite when
	// the file went were never in it — they go into the new store.
	waitUntil(t, 10*time.Second, "the first webhooks in the store file", func() bool { return committedRows(t, storePath) == 5 })

	if err := os.Remove(storePath); err != nil { // the -wal and -shm stay, as after a careless rm
		t.Fatal(err)
	}
	var after []string
	for i := range 60 {
		path := fmt.Sprintf("/after/%d", i)
		send(path)
		after = append(after, path)
		time.Sleep(20 * time.Millisecond)
	}
	waitUntil(t, 10*time.Second, "word of the deleted store on stderr", func() bool {
		return strings.Contains(p.stderr.String(), "deleted or replaced")
	})
	waitUntil(t, 10*time.Second, "every webhook after the rm in the new store", func() bool {
		byPath := swhookList(t, storePath)
		for _, path := range after {
			if _, ok := byPath[path]; !ok {
				return false
			}
		}
		return true
	})
	// The deleted webhooks stay deleted: not read back from the journal.
	for path := range swhookList(t, storePath) {
		if strings.HasPrefix(path, "/before/") {
			t.Errorf("%s, deleted with the store, is back", path)
		}
	}
	fi, err := os.Stat(storePath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("new store has mode %v, want 0600", fi.Mode().Perm())
	}
}
