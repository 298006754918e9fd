package exchange

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// The NDJSON view's tests (inspect/logview) compare AppendJSON with
// json.Marshal field by field and fuzz it; this keeps the contract visible
// where the code is.
func TestAppendJSONMatchesMarshal(t *testing.T) {
	full := Exchange{ID: 7, Time: time.Date(2026, 11, 24, 20, 0, 0, 5, time.UTC), Source: SourceReplay, ReplayOf: 3, Forward: "http://localhost:3000", Listener: "http://127.0.0.1:4747", Call: CallRef{ID: "c-1\u00e9", Parent: "p-\"0"},
		Request: Request{Method: "POST", URL: "https://a.ngrok.app/v?x=<1>", Path: "/v", Query: "x=<1>", Host: "a.ngrok.app",
			Headers: http.Header{"X-A": {"1", "2"}}, Body: Body{0xff, 0x00}, BodySize: 2, Truncated: true, RemoteAddr: "[::1]:5"},
		Event:         Event{Kind: KindCallStatus, Detail: "completed"},
		Signature:     Signature{Status: SigInvalid, Scheme: "form", Header: "X-SignalWire-Signature", Hint: "URL differs"},
		Response:      Response{Status: 502, Headers: http.Header{"Content-Type": {"text/plain"}}, Body: Body("swhook: down\n"), BodySize: 13, DurationMS: 1.5, Error: "down"},
		ResponseCheck: Check{Status: CheckError, Message: "not 2xx"}}
	for _, x := range []Exchange{{}, full} {
		want, err := json.Marshal(&x)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := AppendJSON(nil, &x)
		if !ok || !bytes.Equal(got, want) {
			t.Errorf("ok %v\n got %s\nwant %s", ok, got, want)
		}
	}
}
