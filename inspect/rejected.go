package inspect

import (
	"bytes"
	"net"
	"strconv"
	"strings"
	"time"
)

// Rejected is a request Go's HTTP server refused before the pipeline's
// handler ran (a malformed request line or header, a 1 MB header, a bad
// Host, an unsupported Transfer-Encoding): it has no exchange, so this is
// the only trace it leaves.
type Rejected struct {
	Time   time.Time
	Peer   string // the sender's address
	Status int    // 400, 431, 501, ...
	Reason string // net/http's own words, e.g. "400 Bad Request: malformed Host header"
}

// rejectListener hands out connections that report net/http's own error
// answers to onRejected.
type rejectListener struct {
	net.Listener
	onRejected func(Rejected)
	now        func() time.Time
}

func (l *rejectListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &rejectConn{Conn: c, l: l}, nil
}

type rejectConn struct {
	net.Conn
	l *rejectListener
}

// Write passes p on, and recognises the answer net/http's server writes
// itself when it refuses a request: "HTTP/1.1 " + E + errorHeaders + E in
// one write, E being e.g. "431 Request Header Fields Too Large". The
// pipeline's own answers never take that form (the response writer always
// adds a Date header), and a 2xx costs one byte comparison.
func (c *rejectConn) Write(p []byte) (int, error) {
	if len(p) > 12 && p[9] >= '4' && bytes.HasPrefix(p, httpVersion) {
		if e, ok := serverError(p); ok {
			status, _ := strconv.Atoi(e[:3])
			c.l.onRejected(Rejected{Time: c.l.now(), Peer: c.RemoteAddr().String(), Status: status, Reason: e})
		}
	}
	return c.Conn.Write(p)
}

// CloseWrite keeps what net/http does before closing a connection it
// refused (half-close, so the sender reads the answer before the reset).
func (c *rejectConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

var httpVersion = []byte("HTTP/1.1 ")

// errorHeaders is what net/http's server puts between the status line and
// the body of the answers it writes itself.
const errorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

var errorHeadersB = []byte(errorHeaders)

func serverError(p []byte) (string, bool) {
	// On bytes, not a string copy: a handler's own 4xx/5xx answer passes
	// here too, and copying every such write cost an allocation its size.
	s := p[len(httpVersion):]
	i := bytes.Index(s, errorHeadersB)
	if i < 3 || bytes.ContainsAny(s[:i], "\r\n") {
		return "", false
	}
	for _, b := range s[:3] {
		if b < '0' || b > '9' {
			return "", false
		}
	}
	line, body := s[:i], s[i+len(errorHeaders):]
	switch {
	case bytes.Equal(body, line) || bytes.HasPrefix(line, body):
		return string(line), true
	case len(body) < 200 && !bytes.ContainsAny(body, "\r\n"):
		// 501's body is its own sentence ("Unsupported transfer encoding").
		return string(line) + ": " + strings.ToLower(string(body[:1])) + string(body[1:]), true
	}
	return "", false
}
