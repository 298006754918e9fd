package inspect

import (
	"net"
	"testing"
	"time"
)

// BenchmarkRejectConnWrite is the watcher's cost on a handler's own error
// answer relayed to the sender: it looks like one net/http writes itself
// (HTTP/1.1 4xx) and is examined, but is not reported.
func BenchmarkRejectConnWrite(b *testing.B) {
	a, z := net.Pipe()
	defer a.Close()
	defer z.Close()
	go func() {
		buf := make([]byte, 64<<10)
		for {
			if _, err := z.Read(buf); err != nil {
				return
			}
		}
	}()
	reported := 0
	c := &rejectConn{Conn: a, l: &rejectListener{onRejected: func(Rejected) { reported++ }, now: time.Now}}
	answer := []byte("HTTP/1.1 404 Not Found\r\nContent-Type: text/xml\r\nDate: Tue, 01 Dec 2026 23:00:00 GMT\r\nContent-Length: 2000\r\n\r\n" +
		string(make([]byte, 2000)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Write(answer); err != nil {
			b.Fatal(err)
		}
	}
	if reported != 0 {
		b.Fatalf("a handler's own 404 was reported as rejected %d times", reported)
	}
}
