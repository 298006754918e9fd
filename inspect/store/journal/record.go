package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"

	"github.com/swhook/swhook/inspect/store/internal/wire"
)

// A capture record is one exchange as the capture journal holds it: its ID
// and the exact arguments its row is inserted with, so recovery inserts
// precisely what the indexer would have. Framing, so a torn or foreign tail
// is recognised and never half-read:
//
//	uint32 little-endian payload length | uint32 CRC-32C of the payload | payload
//
// payload: uvarint ID, uvarint argument count, then per argument a tag byte
// and its value — tagNull; tagInt (zig-zag varint); tagFloat (8 bytes,
// IEEE 754 bits); tagText and tagBlob (uvarint length, bytes).
const (
	tagNull byte = iota
	tagInt
	tagFloat
	tagText
	tagBlob
)

// recordHeader is the framing before each payload.
const recordHeader = 8

// maxRecord bounds a payload length read back: bodies are capped by
// --max-body (default 10 MiB) twice, plus headers; anything bigger is not a
// record this code wrote.
const maxRecord = 1 << 30

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrBadRecord marks a record that is not what AppendRecord writes.
var ErrBadRecord = errors.New("malformed capture record")

// AppendRecord appends the framed record for row under id. A row holds
// driver values only (nil, int64, int, float64, string, []byte).
func AppendRecord(b []byte, id int64, row []any) ([]byte, error) {
	start := len(b)
	b = append(b, make([]byte, recordHeader)...)
	b = binary.AppendUvarint(b, uint64(id))
	b = binary.AppendUvarint(b, uint64(len(row)))
	for _, v := range row {
		switch v := v.(type) {
		case nil:
			b = append(b, tagNull)
		case int64:
			b = append(b, tagInt)
			b = binary.AppendVarint(b, v)
		case int:
			b = append(b, tagInt)
			b = binary.AppendVarint(b, int64(v))
		case float64:
			b = append(b, tagFloat)
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		case string:
			b = append(b, tagText)
			b = binary.AppendUvarint(b, uint64(len(v)))
			b = append(b, v...)
		case []byte:
			b = append(b, tagBlob)
			b = binary.AppendUvarint(b, uint64(len(v)))
			b = append(b, v...)
		default:
			return b[:start], fmt.Errorf("capture record: cannot encode %T", v)
		}
	}
	payload := b[start+recordHeader:]
	binary.LittleEndian.PutUint32(b[start:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(b[start+4:], crc32.Checksum(payload, castagnoli))
	return b, nil
}

// NextRecord decodes the record at the start of b. It returns the number of
// bytes it used; ErrBadRecord means b does not start with a whole, intact
// record (a torn tail after a power cut, or not a journal at all).
func NextRecord(b []byte) (id int64, row []any, n int, err error) {
	if len(b) < recordHeader {
		return 0, nil, 0, ErrBadRecord
	}
	size := binary.LittleEndian.Uint32(b)
	if size > maxRecord || uint64(len(b)-recordHeader) < uint64(size) {
		return 0, nil, 0, ErrBadRecord
	}
	payload := b[recordHeader : recordHeader+int(size)]
	if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(b[4:]) {
		return 0, nil, 0, ErrBadRecord
	}
	d := decoder{wire.Decoder{B: payload}}
	uid := d.Uvarint()
	count := d.Uvarint()
	if d.Err || uid == 0 || uid > math.MaxInt64 || count > uint64(len(d.B)) {
		return 0, nil, 0, ErrBadRecord
	}
	row = make([]any, 0, count)
	for i := uint64(0); i < count && !d.Err; i++ {
		row = append(row, d.value())
	}
	if d.Err || len(d.B) != 0 {
		return 0, nil, 0, ErrBadRecord
	}
	return int64(uid), row, recordHeader + int(size), nil
}

// decoder reads a payload (wire), plus tagged values.
type decoder struct{ wire.Decoder }

func (d *decoder) value() any {
	if len(d.B) == 0 {
		d.Err = true
		return nil
	}
	tag := d.B[0]
	d.B = d.B[1:]
	switch tag {
	case tagNull:
		return nil
	case tagInt:
		v, n := binary.Varint(d.B)
		if n <= 0 {
			d.Err = true
			return nil
		}
		d.B = d.B[n:]
		return v
	case tagFloat:
		if len(d.B) < 8 {
			d.Err = true
			return nil
		}
		v := math.Float64frombits(binary.LittleEndian.Uint64(d.B))
		d.B = d.B[8:]
		return v
	case tagText:
		return string(d.Bytes())
	case tagBlob:
		b := d.Bytes()
		if b == nil && !d.Err {
			return []byte{} // an empty BLOB stays empty, not NULL
		}
		return b
	}
	d.Err = true
	return nil
}
