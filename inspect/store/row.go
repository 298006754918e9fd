package store

import (
	"encoding/binary"
	"errors"
	"net/http"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/store/internal/wire"
)

// Since schema version 5 a row keeps an exchange in two BLOBs next to the
// columns queries filter on (migration 5): head — the text fields that came
// off the wire, byte for byte, and the summary JSON — and payload — headers
// and bodies. Binding two BLOBs instead of fourteen values halves what an
// insert costs SQLite (each bound value is copied into its own allocation),
// and head sits before payload, so a summary read stops before the bodies.
// Rows written before keep their values in the old columns (head NULL).
//
// head:    version byte, then method, path, detail, url, query, host and
//          summary, each a uvarint length and its bytes.
// payload: version byte, the headers encoding (headers.go) as a uvarint
//          length and its bytes, then the request and response body, each
//          a presence byte (0 nil, 1 present), uvarint length and bytes.

const rowV1 = 1

var errBadRow = errors.New("malformed exchange row")

// headFields are the text fields head carries, in order.
type headFields struct {
	method, path, detail, url, query, host, summary string
}

// appendHead appends head; summary is passed apart so the JSON encoder's
// bytes go straight in.
func appendHead(b []byte, h headFields, summary []byte) []byte {
	b = appendHeadFields(b, h)
	b = binary.AppendUvarint(b, uint64(len(summary)))
	return append(b, summary...)
}

// appendHeadFields appends head up to the summary: its version byte and
// the text fields.
func appendHeadFields(b []byte, h headFields) []byte {
	b = append(b, rowV1)
	for _, s := range [...]string{h.method, h.path, h.detail, h.url, h.query, h.host} {
		b = appendString(b, s)
	}
	return b
}

// lenGuess is how many bytes openLen leaves for a length: two, enough for
// up to 16 KiB, what a summary or a header encoding almost always is.
const lenGuess = 2

// openLen leaves room for the uvarint length of what the caller appends
// next, so it goes straight into b; closeLen(b, at) then writes it, where
// at is len(b) before openLen.
func openLen(b []byte) []byte { return append(b, make([]byte, lenGuess)...) }

func closeLen(b []byte, at int) []byte {
	n := len(b) - at - lenGuess
	var l [binary.MaxVarintLen64]byte
	k := binary.PutUvarint(l[:], uint64(n))
	switch {
	case k < lenGuess:
		copy(b[at+k:], b[at+lenGuess:])
		b = b[:len(b)-(lenGuess-k)]
	case k > lenGuess:
		b = append(b, l[:k-lenGuess]...) // room; the bytes are overwritten
		copy(b[at+k:], b[at+lenGuess:at+lenGuess+n])
	}
	copy(b[at:], l[:k])
	return b
}

func decodeHead(b []byte) (headFields, error) {
	if len(b) == 0 || b[0] != rowV1 {
		return headFields{}, errBadRow
	}
	d := decoder{wire.Decoder{B: b[1:]}}
	h := headFields{d.String(), d.String(), d.String(), d.String(), d.String(), d.String(), d.String()}
	if d.Err || len(d.B) != 0 {
		return headFields{}, errBadRow
	}
	return h, nil
}

// payloadSize is an upper bound of what appendPayload appends.
func payloadSize(req, resp http.Header, reqBody, respBody exchange.Body) int {
	return 1 + 3*binary.MaxVarintLen64 + 2 + headersSize(req, resp) + len(reqBody) + len(respBody)
}

// appendPayload appends payload to b, which encode has sized with
// payloadSize (a second pass over the header maps to grow it would cost
// more than the appends growing b do for other callers).
func appendPayload(b []byte, req, resp http.Header, reqBody, respBody exchange.Body) []byte {
	b = append(b, rowV1)
	at := len(b)
	b = appendHeaders(openLen(b), req, resp)
	b = closeLen(b, at)
	for _, body := range [...]exchange.Body{reqBody, respBody} {
		if body == nil {
			b = append(b, 0)
			continue
		}
		b = append(b, 1)
		b = binary.AppendUvarint(b, uint64(len(body)))
		b = append(b, body...)
	}
	return b
}

func decodePayload(b []byte) (req, resp http.Header, reqBody, respBody exchange.Body, err error) {
	if len(b) == 0 || b[0] != rowV1 {
		return nil, nil, nil, nil, errBadRow
	}
	d := decoder{wire.Decoder{B: b[1:]}}
	hdr := d.Bytes()
	var bodies [2]exchange.Body
	for i := range bodies {
		if d.Err || len(d.B) == 0 {
			d.Err = true
			break
		}
		present := d.B[0]
		d.B = d.B[1:]
		switch present {
		case 0:
		case 1:
			v := d.Bytes()
			bodies[i] = make(exchange.Body, len(v)) // not nil when empty
			copy(bodies[i], v)
		default:
			d.Err = true
		}
	}
	if d.Err || len(d.B) != 0 {
		return nil, nil, nil, nil, errBadRow
	}
	if req, resp, err = decodeHeaders(hdr); err != nil {
		return nil, nil, nil, nil, err
	}
	return req, resp, bodies[0], bodies[1], nil
}
