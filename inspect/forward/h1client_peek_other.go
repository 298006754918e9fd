//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package forward

// peek cannot look at the socket without blocking on this system; alive
// then trusts an idle connection; a request on a closed one fails, and is
// sent again only as mayResend allows.
func (pc *h1Conn) peek(fd uintptr) bool {
	return true
}

func peekAlive(n int, err error) bool { return true }

// resetFn cannot read a socket's pending error here: unread then relies on
// the reset reaching the read itself.
func (pc *h1Conn) resetFn(fd uintptr) bool {
	pc.peekErr = nil
	return true
}
