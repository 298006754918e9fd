package numbers

import (
	"bytes"
	"os"
	"runtime"
)

// OwnerAlive says whether the process that wrote the record still runs
// (on this host): its restore is its own business then. A record from
// another host, or a PID now used by a program that is not swhook, counts
// as dead: the next run restores it.
func (r *Record) OwnerAlive(host string) bool {
	if r.Host != host || r.PID <= 0 || r.PID == os.Getpid() {
		return false
	}
	if !processExists(r.PID) {
		return false
	}
	if runtime.GOOS == "linux" {
		if cmd, err := os.ReadFile("/proc/" + itoa(r.PID) + "/cmdline"); err == nil && !bytes.Contains(cmd, []byte("swhook")) {
			return false // the PID was reused
		}
	}
	return true
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}
