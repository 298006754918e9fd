// Package wire reads the store's length-prefixed binary encodings — the
// header maps and row blobs (package store) and the journal's records
// (package journal) — front to back: uvarints and byte strings, the first
// failure sticking, so a decoder checks once at the end.
package wire

import "encoding/binary"

// Decoder reads B; Err is set by the first read that does not fit.
type Decoder struct {
	B   []byte
	Err bool
}

// Uvarint reads an unsigned varint.
func (d *Decoder) Uvarint() uint64 {
	v, n := binary.Uvarint(d.B)
	if n <= 0 {
		d.Err = true
		return 0
	}
	d.B = d.B[n:]
	return v
}

// Bytes reads a uvarint length and that many bytes (sharing B's memory,
// capped so an append cannot run into what follows).
func (d *Decoder) Bytes() []byte {
	n := d.Uvarint()
	if d.Err || n > uint64(len(d.B)) {
		d.Err = true
		return nil
	}
	v := d.B[:n:n]
	d.B = d.B[n:]
	return v
}

// String is Bytes as a string (a copy).
func (d *Decoder) String() string { return string(d.Bytes()) }
