package inspect

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// readHeadReference is readHead as it was written before it sized its own
// buffer: the behaviour readHead must keep.
func readHeadReference(body io.Reader, max, contentLength int64) ([]byte, bool, error) {
	var buf bytes.Buffer
	if contentLength > 0 && contentLength <= max {
		buf.Grow(int(contentLength) + 1)
	} else if contentLength < 0 || contentLength > max {
		buf.Grow(64 << 10)
	}
	_, err := buf.ReadFrom(io.LimitReader(body, max+1))
	head := buf.Bytes()
	return head, int64(len(head)) <= max, err
}

// readHead gives what bytes.Buffer.ReadFrom over a LimitReader gave, for
// every declared length (right, wrong, unknown), every body size around
// max, readers that return a byte at a time, and bodies that break off.
func TestReadHeadKeepsBehaviour(t *testing.T) {
	for _, size := range []int{0, 1, 63, 64, 65, 511, 512, 513, 1500, 5000} {
		for _, max := range []int64{1, 64, 512, 1000, 4096, 10 << 20} {
			for _, cl := range []int64{-1, 0, int64(size), int64(size) + 7, max + 1} {
				for _, kind := range []string{"plain", "onebyte", "dataerr", "broken"} {
					check(t, kind, bytes.Repeat([]byte("x"), size), max, cl)
				}
			}
		}
	}
}

func FuzzReadHead(f *testing.F) {
	f.Add([]byte("CallSid=CA1&CallStatus=ringing"), int64(64), int64(30), uint8(0))
	f.Add([]byte(""), int64(1), int64(-1), uint8(3))
	f.Fuzz(func(t *testing.T, body []byte, max, cl int64, kind uint8) {
		if max <= 0 || max > 1<<20 || cl > 1<<20 {
			return
		}
		check(t, []string{"plain", "onebyte", "dataerr", "broken"}[kind%4], body, max, cl)
	})
}

var errBroke = errors.New("sender broke off")

func check(t *testing.T, kind string, body []byte, max, cl int64) {
	t.Helper()
	mk := func() io.Reader {
		var r io.Reader = bytes.NewReader(body)
		switch kind {
		case "onebyte":
			r = iotest.OneByteReader(r)
		case "dataerr":
			r = iotest.DataErrReader(r)
		case "broken":
			r = io.MultiReader(iotest.HalfReader(r), iotest.ErrReader(errBroke))
		}
		return r
	}
	want, wantFull, wantErr := readHeadReference(mk(), max, cl)
	got, gotFull, gotErr := readHead(mk(), max, cl)
	if !bytes.Equal(got, want) || got == nil || gotFull != wantFull || !errors.Is(gotErr, wantErr) || (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("%s body of %d, max %d, length %d: got %d bytes (nil %v) full %v err %v; want %d bytes full %v err %v",
			kind, len(body), max, cl, len(got), got == nil, gotFull, gotErr, len(want), wantFull, wantErr)
	}
}

// BenchmarkReadHead is readHead's cost on a webhook-sized body of declared
// length (the common case: both the request and the handler's answer),
// beside the bytes.Buffer reading it replaced.
func BenchmarkReadHead(b *testing.B) {
	body := bytes.Repeat([]byte("x"), 150)
	for _, impl := range []struct {
		name string
		f    func(io.Reader, int64, int64) ([]byte, bool, error)
	}{{"buffer", readHeadReference}, {"sized", readHead}} {
		b.Run(impl.name, func(b *testing.B) {
			b.ReportAllocs()
			r := bytes.NewReader(body)
			for b.Loop() {
				r.Reset(body)
				impl.f(r, DefaultMaxBody, int64(len(body)))
			}
		})
	}
}
