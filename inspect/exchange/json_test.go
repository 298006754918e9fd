package exchange

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestJSONRoundTripKeepsBodyBytes(t *testing.T) {
	for _, body := range [][]byte{
		[]byte("CallSid=abc&CallStatus=ringing"),
		{0xff, 0x00, 0xfe, 'a'},
		nil,
	} {
		in := Exchange{
			ID: 7, Time: time.Date(2026, 11, 22, 10, 0, 0, 123e6, time.UTC), Source: SourceTunnel,
			Request:  Request{Method: "POST", Path: "/voice", Headers: http.Header{"X-A": {"1"}}, Body: body, BodySize: int64(len(body))},
			Response: Response{Status: 200, Body: body},
		}
		data, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		var out Exchange
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Request.Body, body) || !bytes.Equal(out.Response.Body, body) {
			t.Fatalf("body changed: %q -> %q / %q", body, out.Request.Body, out.Response.Body)
		}
		wantEnc := `"body_encoding":"utf8"`
		if in.Request.Body.Encoding() == EncodingBase64 {
			wantEnc = `"body_encoding":"base64"`
		}
		if !strings.Contains(string(data), wantEnc) {
			t.Fatalf("missing %s in %s", wantEnc, data)
		}
	}
}

func TestDecodeBodyRejectsBadBase64(t *testing.T) {
	var r Request
	err := json.Unmarshal([]byte(`{"body":"@@@","body_encoding":"base64"}`), &r)
	if err == nil {
		t.Fatal("want error for bad base64")
	}
}
