package cmd

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// rawSend writes req to addr and returns the answer's status.
func rawSend(t *testing.T, base, req string) int {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go c.Write([]byte(req))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// A request Go's HTTP server refuses before swhook's handler runs leaves a
// line in the plain log and a {"type":"rejected"} object in NDJSON, with
// the reason and the peer (issue 10 point 11: it left no trace at all).
func TestListenE2ERejectedRequestsLeaveATrace(t *testing.T) {
	bad := "POST /voice HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
	t.Run("plain", func(t *testing.T) {
		p := startListenMode(t, false, filepath.Join(t.TempDir(), "s.db"))
		if status := rawSend(t, p.local, bad); status != 501 {
			t.Fatalf("status %d", status)
		}
		lines := waitLine(t, p.lines, p.stderr, "REJECTED")
		last := lines[len(lines)-1]
		if !strings.Contains(last, "REJECTED 501 Not Implemented: unsupported transfer encoding from 127.0.0.1:") {
			t.Errorf("line %q", last)
		}
		next := waitLine(t, p.lines, p.stderr, "!!")
		if !strings.Contains(next[len(next)-1], "not stored") {
			t.Errorf("line %q", next[len(next)-1])
		}
	})
	t.Run("ndjson", func(t *testing.T) {
		p := startListen(t, filepath.Join(t.TempDir(), "s.db"))
		if status := rawSend(t, p.local, "POST /voice HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", 1<<20+4096)+"\r\n\r\n"); status != 431 {
			t.Fatalf("status %d", status)
		}
		lines := waitLine(t, p.lines, p.stderr, `"type":"rejected"`)
		var r struct {
			Type, Peer, Reason string
			Status             int
		}
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil || r.Status != 431 ||
			r.Reason != "431 Request Header Fields Too Large" || !strings.HasPrefix(r.Peer, "127.0.0.1:") {
			t.Errorf("line %q (%v)", lines[len(lines)-1], err)
		}
	})
}

// --forward with a path says at start what the handler will see.
func TestListenE2EForwardWithAPathIsSaid(t *testing.T) {
	_, base := newE2EHandler(t)
	p := startListenMode(t, false, filepath.Join(t.TempDir(), "s.db"), "--forward", base+"/api/v1")
	lines := waitLine(t, p.lines, p.stderr, "--forward has a path")
	if l := lines[len(lines)-1]; !strings.Contains(l, "/api/v1/voice") || !strings.Contains(l, "X-Forwarded-Prefix: /api/v1") {
		t.Errorf("note %q", l)
	}
}

// --enforce-signature without --public-url says at start that the URL
// checked for local traffic comes from headers a sender controls.
func TestListenE2EEnforceWithoutPublicURLWarns(t *testing.T) {
	p := startListen(t, filepath.Join(t.TempDir(), "s.db"), "--enforce-signature")
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(p.stderr.String(), "--enforce-signature without --public-url") {
		if time.Now().After(deadline) {
			t.Fatalf("no warning; stderr: %s", p.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	q := startListen(t, filepath.Join(t.TempDir(), "s.db"), "--enforce-signature", "--public-url", "https://hooks.example.com")
	time.Sleep(200 * time.Millisecond)
	if strings.Contains(q.stderr.String(), "without --public-url") {
		t.Errorf("warned with --public-url: %s", q.stderr.String())
	}
}

// Asked to stop with nothing in flight, a plain listener exits promptly
// even while a client keeps a connection open, used or not (issue 11
// point 15: Go's own Shutdown waits up to 5 s for a connection that was
// never used). The bound is generous; before, this took over 5 s.
func TestListenE2EExitsPromptlyWithOpenConnections(t *testing.T) {
	p := startListenMode(t, false, filepath.Join(t.TempDir(), "s.db"))
	addr := strings.TrimPrefix(p.local, "http://")
	used, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer used.Close()
	io.WriteString(used, "POST /voice HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nCallSid=CA1")
	resp, err := http.ReadResponse(bufio.NewReader(used), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v", resp, err)
	}
	resp.Body.Close() // the connection stays open, idle
	unused, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer unused.Close()
	waitLine(t, p.lines, p.stderr, "/voice")
	start := time.Now()
	if err := p.signal(t, syscall.SIGTERM); err != nil {
		t.Fatalf("exit: %v; stderr: %s", err, p.stderr.String())
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("took %s to exit", took)
	}
}
