//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package forward

import "syscall"

// peek looks at the socket without taking anything and without waiting
// (recv with MSG_PEEK|MSG_DONTWAIT); it runs inside RawConn.Read.
func (pc *h1Conn) peek(fd uintptr) bool {
	pc.peekN, _, pc.peekErr = syscall.Recvfrom(int(fd), pc.peekBuf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return true // never wait for readiness: "nothing yet" is the answer we want
}

// peekAlive reads peek's result: only "nothing to read yet" means the
// connection is idle and open. EOF means the handler closed it; a byte
// means it sent something unasked; any other error, it is broken.
func peekAlive(n int, err error) bool {
	return err == syscall.EAGAIN || err == syscall.EWOULDBLOCK
}

// resetFn reads the socket's pending error (SO_ERROR); a reset that came
// after the handler's end of stream is kept there, since reads after the
// end only ever report the end.
func (pc *h1Conn) resetFn(fd uintptr) bool {
	v, err := syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_ERROR)
	pc.peekErr = err
	if err == nil && v != 0 {
		pc.peekErr = syscall.Errno(v)
	}
	return true
}
