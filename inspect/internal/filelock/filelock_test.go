//go:build unix

package filelock

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// A second holder is refused while the first holds the lock, and the lock
// dies with its holder's process.
func TestTryLockExcludesOtherProcesses(t *testing.T) {
	if os.Getenv("FILELOCK_HOLD") != "" {
		f, err := os.OpenFile(os.Getenv("FILELOCK_HOLD"), os.O_RDWR, 0)
		if err != nil {
			os.Exit(3)
		}
		if ok, err := TryLock(f); !ok || err != nil {
			os.Exit(4)
		}
		os.Stdout.WriteString("held\n")
		os.Stdin.Read(make([]byte, 1)) // until the parent lets go
		os.Exit(0)
	}
	path := filepath.Join(t.TempDir(), "lock")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestTryLockExcludesOtherProcesses$")
	cmd.Env = append(os.Environ(), "FILELOCK_HOLD="+path)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := stdout.Read(make([]byte, 5)); err != nil {
		t.Fatalf("the holder never took the lock: %v", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if ok, err := TryLock(f); ok || err != nil {
		t.Fatalf("TryLock while another process holds it = %v, %v; want false, nil", ok, err)
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if ok, err := TryLock(f); !ok || err != nil {
		t.Fatalf("TryLock after the holder exited = %v, %v; want true, nil", ok, err)
	}
}
