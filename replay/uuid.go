package replay

import (
	"fmt"
	"math/rand/v2"
)

// UUID is a version 4 UUID, the shape of every SignalWire identifier
// (CallSid, MessageSid, AccountSid), drawn from r: the trigger and the
// call emulator make theirs alike, and a seeded r gives the same IDs in
// tests and goldens.
func UUID(r *rand.Rand) string {
	var b [16]byte
	for i := 0; i < 16; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
