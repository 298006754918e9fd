//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package inspect

// peek cannot look at the socket without blocking on this system; alive
// then trusts an idle connection and the one retry covers a closed one.
func (pc *h1Conn) peek(fd uintptr) bool {
	return true
}

func peekAlive(n int, err error) bool { return true }
