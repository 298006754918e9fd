package logview

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/exchange"
)

// marshalLine is NDJSON.Exchange as it was written with json.Marshal: the
// hand-written encoder must produce exactly the same bytes, or the same
// refusal.
func marshalLine(x *exchange.Exchange) ([]byte, error) {
	b, err := json.Marshal(x)
	if err != nil {
		return nil, err
	}
	line := append([]byte(`{"type":"exchange",`), b[1:]...)
	return append(line, '\n'), nil
}

func requireNDJSONMatches(t *testing.T, n *NDJSON, out *bytes.Buffer, x *exchange.Exchange) {
	t.Helper()
	want, wantErr := marshalLine(x)
	out.Reset()
	err := n.Exchange(x)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("error %v, json.Marshal's %v, for %+v", err, wantErr, x)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Fatalf("for %+v\n got %s\nwant %s", x, out.Bytes(), want)
	}
}

func TestNDJSONMatchesMarshal(t *testing.T) {
	var out bytes.Buffer
	n := NewNDJSON(&out)
	base := exchange.Exchange{ID: 42, Time: time.Date(2026, 11, 24, 19, 58, 1, 987654321, time.UTC), Source: exchange.SourceTunnel,
		Request: exchange.Request{Method: "POST", URL: "https://a.ngrok.app/voice?x=1&y=<2>", Path: "/voice", Query: "x=1&y=<2>", Host: "a.ngrok.app",
			Headers: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "X-Multi": {"a", "b\u2028c"}, "X-Empty": {}, "X-Nil": nil},
			Body:    []byte("CallSid=CA1&From=%2B1555"), BodySize: 24, RemoteAddr: "1.2.3.4:5"},
		Event:         exchange.Event{Kind: exchange.KindCallInbound, Detail: "ringing"},
		Signature:     exchange.Signature{Status: exchange.SigValid, Scheme: "form", Header: "X-SignalWire-Signature", Hint: "note"},
		Response:      exchange.Response{Status: 200, Headers: http.Header{"Content-Type": {"text/xml"}}, Body: []byte("<Response></Response>"), BodySize: 21, DurationMS: 0.83, Forwarded: true},
		ResponseCheck: exchange.Check{Status: exchange.CheckWarning, Message: "say & <do>"}}
	var cases []exchange.Exchange
	cases = append(cases, base, exchange.Exchange{})
	for _, f := range []float64{0, math.Copysign(0, -1), 1e-7, -1e-7, 1e-6, 9.99999e20, 1e21, -1e21, 123.456, 5e-324, math.MaxFloat64, 1e-10, math.NaN(), math.Inf(-1)} {
		x := base
		x.Response.DurationMS = f
		cases = append(cases, x)
	}
	for _, tm := range []time.Time{{}, time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 0, 0, 0, 100, time.FixedZone("", 5*3600+30*60)),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", -(23*3600+59*60+59))), time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600)),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", -100*3600))} {
		x := base
		x.Time = tm
		cases = append(cases, x)
	}
	for _, s := range []string{"", "\x00\x1f\x7f\b\f\n\r\t\"\\/", "é✓\U0001F600", "\xff\xfe", "a\xe2\x80", "\u2028\u2029", "<script>&amp;</script>"} {
		x := base
		x.Source, x.Forward, x.Request.Method, x.Request.Path, x.Request.Query = exchange.Source(s), s, s, s, s
		x.Request.Headers = http.Header{s: {s}, "A" + s: nil}
		x.Request.Body, x.Response.Body = []byte(s), []byte(s)
		x.Event.Detail, x.Signature.Hint, x.Response.Error, x.ResponseCheck.Message = s, s, s, s
		x.Response.Headers = http.Header{}
		x.ReplayOf, x.Request.Truncated, x.Response.Truncated = -7, true, true
		cases = append(cases, x)
	}
	for i := range cases {
		requireNDJSONMatches(t, n, &out, &cases[i])
	}
}

func FuzzNDJSONMatchesMarshal(f *testing.F) {
	f.Add(int64(1), int64(1764014281987654321), int32(0), "tunnel", "POST", "/voice", "a=1&b=<2>", "Content-Type", "text/xml",
		[]byte("CallSid=CA1&From=%2B1"), []byte("<Response/>"), "call.inbound", "ringing", "valid", "hint", 0.83, 200, uint8(0))
	f.Add(int64(0), int64(-62135596800000000000/1000), int32(-3600*5-1800), "", "", "", "", "", "", []byte{0xff, 0}, []byte{}, "", "", "", "", math.Inf(1), 0, uint8(255))
	f.Add(int64(-9), int64(253402300800000000000/1000), int32(86400), "\u2028", "\x7f", "\xe2\x80\xa8", "\\\"", "k\x00", "\u2029", []byte("é"), []byte("\xe2"), "&", "<", ">", "\t", 1e-7, -1, uint8(5))
	f.Fuzz(func(t *testing.T, id, unixNano int64, offset int32, source, method, path, query, hk, hv string, reqBody, respBody []byte,
		kind, detail, status, hint string, dur float64, code int, flags uint8) {
		x := &exchange.Exchange{ID: id, Time: time.Unix(0, unixNano).In(time.FixedZone("z", int(offset))), Source: exchange.Source(source),
			Request: exchange.Request{Method: method, URL: path + "?" + query, Path: path, Query: query, Host: hv, Body: reqBody, BodySize: int64(len(reqBody)),
				Truncated: flags&1 != 0, RemoteAddr: hk},
			Event:         exchange.Event{Kind: exchange.Kind(kind), Detail: detail},
			Signature:     exchange.Signature{Status: exchange.SignatureStatus(status), Scheme: hk, Header: hv, Hint: hint},
			Response:      exchange.Response{Status: code, Body: respBody, BodySize: int64(len(respBody)), Truncated: flags&2 != 0, DurationMS: dur, Error: detail, Forwarded: flags&4 != 0},
			ResponseCheck: exchange.Check{Status: exchange.CheckStatus(status), Message: hint}}
		if flags&8 != 0 {
			x.ReplayOf, x.Forward = id/2, source
		}
		if flags&16 != 0 {
			x.Request.Headers = http.Header{hk: {hv, hk}, hv: nil, "X-" + hk: {}}
		}
		if flags&32 != 0 {
			x.Response.Headers = http.Header{hv: {hk}}
		} else if flags&64 != 0 {
			x.Response.Headers = http.Header{}
		}
		if flags&128 != 0 {
			x.Time = time.Time{}.Add(time.Duration(unixNano))
		}
		var out bytes.Buffer
		requireNDJSONMatches(t, NewNDJSON(&out), &out, x)
	})
}
