package store

import (
	"bytes"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/swhook/swhook/inspect/exchange"
)

func TestRowBlobsRoundTrip(t *testing.T) {
	h := headFields{"POST", "/v\xff", "", "https://a/v?x=%00", "x=%00", "a", `{"source":"local"}`}
	got, err := decodeHead(appendHead(nil, h, []byte(h.summary)))
	if err != nil || got != h {
		t.Fatalf("head: %+v, %v", got, err)
	}
	for _, c := range []struct {
		req, resp   http.Header
		reqB, respB exchange.Body
	}{
		{nil, nil, nil, nil},
		{http.Header{"A": {"1", "\xff"}, "B": {}}, http.Header{}, exchange.Body{}, exchange.Body{0, 1, 2}},
	} {
		req, resp, reqB, respB, err := decodePayload(appendPayload(nil, c.req, c.resp, c.reqB, c.respB))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(req, c.req) || !reflect.DeepEqual(resp, c.resp) ||
			(reqB == nil) != (c.reqB == nil) || (respB == nil) != (c.respB == nil) ||
			!bytes.Equal(reqB, c.reqB) || !bytes.Equal(respB, c.respB) {
			t.Errorf("payload %+v came back as %v %v %q %q", c, req, resp, reqB, respB)
		}
	}
}

// FuzzRowBlobs: whatever a row's BLOBs hold (a damaged file), decoding
// fails cleanly or yields what re-encodes to a decodable row.
func FuzzRowBlobs(f *testing.F) {
	f.Add(appendHead(nil, headFields{method: "POST"}, []byte("{}")))
	f.Add(appendPayload(nil, http.Header{"A": {"b"}}, nil, exchange.Body("x"), nil))
	f.Add([]byte{rowV1, 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		if h, err := decodeHead(b); err == nil {
			if again, err := decodeHead(appendHead(nil, h, []byte(h.summary))); err != nil || again != h {
				t.Fatalf("head %+v does not round-trip: %v", h, err)
			}
		}
		if req, resp, reqB, respB, err := decodePayload(b); err == nil {
			if _, _, _, _, err := decodePayload(appendPayload(nil, req, resp, reqB, respB)); err != nil {
				t.Fatalf("payload does not round-trip: %v", err)
			}
		}
	})
}

// encode writes the summary's and the headers' lengths after their bytes
// (closeLen): each length's every uvarint size reads back, in a row whose
// head and payload share one allocation.
func TestEncodeLengthsOfEverySize(t *testing.T) {
	for _, n := range []int{0, 1, 100, 127, 128, 300, 16383, 16384, 20000, 3 << 20} {
		x := benchExchange()
		x.Signature.Hint = strings.Repeat("h", n)                      // the summary's length
		x.Request.Headers["X-Long"] = []string{strings.Repeat("v", n)} // the headers' length
		row, err := encode(x)
		if err != nil {
			t.Fatal(err)
		}
		head, payload := row[7].([]byte), row[8].([]byte)
		h, err := decodeHead(head)
		if err != nil {
			t.Fatalf("%d: head: %v", n, err)
		}
		want, _ := encodeSummary(x)
		if h.summary != string(want) || h.method != "POST" || h.path != "/voice" || h.url != x.Request.URL {
			t.Errorf("%d: head %.80q", n, h)
		}
		req, resp, reqB, respB, err := decodePayload(payload)
		if err != nil {
			t.Fatalf("%d: payload: %v", n, err)
		}
		if !reflect.DeepEqual(req, x.Request.Headers) || !reflect.DeepEqual(resp, x.Response.Headers) ||
			!bytes.Equal(reqB, x.Request.Body) || !bytes.Equal(respB, x.Response.Body) {
			t.Errorf("%d: payload differs", n)
		}
		if cap(head) != len(head) {
			t.Errorf("%d: head's capacity runs into payload", n)
		}
	}
}
