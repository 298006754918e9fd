package store

import (
	"bytes"
	"context"
	"net/http"
	"reflect"
	"testing"

	"github.com/swhook/swhook/inspect/exchange"
)

// FuzzRoundTrip saves exchanges whose wire-borne fields hold arbitrary bytes
// (invalid UTF-8 included: JSON would have replaced it) and checks they come
// back exactly.
func FuzzRoundTrip(f *testing.F) {
	f.Add("/voice", "v", "ringing", []byte("a=1"), "X-A")
	f.Add("/\xff\xfe", "\x80obs-text\xff", "det\xc3", []byte{0, 0xff}, "X-\xff")
	f.Add("", "", "", []byte{}, "")
	st, _ := openTemp(f, Options{})
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, path, value, detail string, body []byte, key string) {
		x := &exchange.Exchange{
			Request: exchange.Request{
				Method: "POST", Path: path, URL: "https://h" + path + "?" + value, Query: value, Host: value,
				Headers: http.Header{key: {value, value + "2"}, "Content-Type": {"x"}},
				Body:    body,
			},
			Event:    exchange.Event{Kind: exchange.KindUnknown, Detail: detail},
			Response: exchange.Response{Error: detail, Headers: http.Header{key: {value}}, Body: body},
		}
		if err := st.Save(ctx, x); err != nil {
			t.Fatal(err)
		}
		got, err := st.Get(ctx, x.ID)
		if err != nil {
			t.Fatal(err)
		}
		r := got.Request
		if r.Path != path || r.URL != x.Request.URL || r.Query != value || r.Host != value ||
			got.Event.Detail != detail || got.Response.Error != detail {
			t.Fatalf("strings changed: %+v", got)
		}
		if !reflect.DeepEqual(r.Headers, x.Request.Headers) || !reflect.DeepEqual(got.Response.Headers, x.Response.Headers) {
			t.Fatalf("headers changed: %q, want %q", r.Headers, x.Request.Headers)
		}
		if !bytes.Equal(r.Body, body) || !bytes.Equal(got.Response.Body, body) {
			t.Fatalf("body changed")
		}
	})
}

// FuzzDecodeHeaders feeds the header decoder arbitrary bytes: it must fail
// cleanly, never panic or allocate without bound, and what it accepts must
// encode back to the same bytes' meaning.
func FuzzDecodeHeaders(f *testing.F) {
	f.Add(encodeHeaders(http.Header{"A": {"1", "2"}}, nil))
	f.Add(encodeHeaders(nil, http.Header{}))
	f.Add([]byte{1, 1, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, b []byte) {
		req, resp, err := decodeHeaders(b)
		if err != nil {
			return
		}
		req2, resp2, err := decodeHeaders(encodeHeaders(req, resp))
		if err != nil || !reflect.DeepEqual(req, req2) || !reflect.DeepEqual(resp, resp2) {
			t.Fatalf("re-encoding changed %q %q into %q %q (%v)", req, resp, req2, resp2, err)
		}
	})
}
