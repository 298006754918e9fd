package store

import (
	"encoding/binary"
	"errors"
	"net/http"

	"github.com/swhook/swhook/inspect/store/internal/wire"
)

// Headers are stored in a small length-prefixed binary form rather than
// JSON: a header value may carry bytes that are not UTF-8 (HTTP allows
// obs-text), JSON would replace them, and replay must send them back as they
// came. Layout: a version byte, then the request and the response header
// each as: a presence byte (0 nil, 1 present), uvarint key count, and per
// key: uvarint length + key, uvarint value count, per value uvarint length +
// value. Keys are written in map order; order between keys carries no
// meaning in HTTP, order of values within a key does and is kept.

const headersV1 = 1

func encodeHeaders(req, resp http.Header) []byte {
	return appendHeaders(make([]byte, 0, headersSize(req, resp)), req, resp)
}

// headersSize is an upper bound of the headers encoding's size.
func headersSize(req, resp http.Header) int {
	n := 1
	for _, h := range [...]http.Header{req, resp} {
		n += 1 + binary.MaxVarintLen64
		for k, vs := range h {
			n += len(k) + 2*binary.MaxVarintLen64
			for _, v := range vs {
				n += len(v) + binary.MaxVarintLen64
			}
		}
	}
	return n
}

func appendHeaders(b []byte, req, resp http.Header) []byte {
	b = append(b, headersV1)
	for _, h := range [...]http.Header{req, resp} {
		if h == nil {
			b = append(b, 0)
			continue
		}
		b = append(b, 1)
		b = binary.AppendUvarint(b, uint64(len(h)))
		for k, vs := range h {
			b = appendString(b, k)
			b = binary.AppendUvarint(b, uint64(len(vs)))
			for _, v := range vs {
				b = appendString(b, v)
			}
		}
	}
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

var errBadHeaders = errors.New("malformed header encoding")

func decodeHeaders(b []byte) (req, resp http.Header, err error) {
	if len(b) == 0 || b[0] != headersV1 {
		return nil, nil, errBadHeaders
	}
	d := decoder{wire.Decoder{B: b[1:]}}
	req = d.header()
	resp = d.header()
	if d.Err || len(d.B) != 0 {
		return nil, nil, errBadHeaders
	}
	return req, resp, nil
}

// decoder reads the store's encodings (wire), plus header maps.
type decoder struct{ wire.Decoder }

func (d *decoder) header() http.Header {
	if d.Err || len(d.B) == 0 {
		d.Err = true
		return nil
	}
	present := d.B[0]
	d.B = d.B[1:]
	if present == 0 {
		return nil
	}
	n := d.Uvarint()
	if d.Err || n > uint64(len(d.B)) { // each key takes at least a byte
		d.Err = true
		return nil
	}
	h := make(http.Header, n)
	for i := uint64(0); i < n && !d.Err; i++ {
		k := d.String()
		m := d.Uvarint()
		if d.Err || m > uint64(len(d.B)) {
			d.Err = true
			return nil
		}
		vs := make([]string, 0, m)
		for j := uint64(0); j < m && !d.Err; j++ {
			vs = append(vs, d.String())
		}
		h[k] = vs
	}
	return h
}
