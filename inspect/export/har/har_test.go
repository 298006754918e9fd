package har

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/swhook/swhook/inspect/exchange"
)

func sample() []*exchange.Exchange {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 123e6, time.UTC)
	form := "AccountSid=0f3c&CallSid=5e11&CallStatus=ringing&From=%2B15551230000"
	return []*exchange.Exchange{
		{
			ID: 1, Time: t0, Source: exchange.SourceTunnel,
			Request: exchange.Request{
				Method: "POST", URL: "https://abc.ngrok.app/voice?lang=en&x=a%20b", Path: "/voice", Query: "lang=en&x=a%20b",
				Headers: http.Header{
					"Content-Type":           {"application/x-www-form-urlencoded"},
					"X-Signalwire-Signature": {"RSOYDt4T1cUTdK1PDd93/VVr8B8="},
					"X-Forwarded-For":        {"1.2.3.4", "5.6.7.8"},
				},
				Body: exchange.Body(form), BodySize: int64(len(form)),
			},
			Event:     exchange.Event{Kind: exchange.KindCallInbound, Detail: "ringing"},
			Signature: exchange.Signature{Status: exchange.SigValid, Scheme: "form"},
			Response: exchange.Response{
				Status: 200, Headers: http.Header{"Content-Type": {"text/xml"}},
				Body: exchange.Body("<Response><Say>hi</Say></Response>"), BodySize: 34, DurationMS: 12.5, Forwarded: true,
			},
		},
		{
			ID: 2, Time: t0.Add(time.Second), Source: exchange.SourceReplay, ReplayOf: 1,
			Request: exchange.Request{
				Method: "POST", Host: "localhost:3000", Path: "/upload",
				Headers: http.Header{"Content-Type": {"application/octet-stream"}},
				Body:    exchange.Body{0, 1, 2, 0xff}, BodySize: 10, Truncated: true,
			},
			Event:     exchange.Event{Kind: exchange.KindUnknown},
			Signature: exchange.Signature{Status: exchange.SigMissing},
			Response: exchange.Response{
				Status: 500, Headers: http.Header{"Content-Type": {"image/png"}},
				Body: exchange.Body{0x89, 'P', 'N', 'G'}, BodySize: 4, DurationMS: 3,
			},
		},
		{
			ID: 3, Time: t0.Add(2 * time.Second), Source: exchange.SourceLocal,
			Request:  exchange.Request{Method: "GET", URL: "http://127.0.0.1:4747/voice?CallSid=1", Headers: http.Header{}},
			Event:    exchange.Event{Kind: exchange.KindCallInbound},
			Response: exchange.Response{Error: "dial tcp 127.0.0.1:3000: connect: connection refused", DurationMS: 0.4},
		},
	}
}

func TestGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sample(), "1.2.3"); err != nil {
		t.Fatal(err)
	}
	golden.RequireEqual(t, buf.Bytes())
}

// The archive has what HAR 1.2 requires, whatever the golden says.
func TestRequiredFields(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sample(), "dev"); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	log := doc["log"].(map[string]any)
	if log["version"] != "1.2" || log["creator"].(map[string]any)["name"] != "swhook" {
		t.Errorf("log header %v", log)
	}
	entries := log["entries"].([]any)
	if len(entries) != 3 {
		t.Fatalf("%d entries", len(entries))
	}
	need := map[string][]string{
		"":         {"startedDateTime", "time", "request", "response", "cache", "timings"},
		"request":  {"method", "url", "httpVersion", "cookies", "headers", "queryString", "headersSize", "bodySize"},
		"response": {"status", "statusText", "httpVersion", "cookies", "headers", "content", "redirectURL", "headersSize", "bodySize"},
		"timings":  {"send", "wait", "receive"},
	}
	for i, e := range entries {
		em := e.(map[string]any)
		for part, fields := range need {
			m := em
			if part != "" {
				m = em[part].(map[string]any)
			}
			for _, f := range fields {
				if _, ok := m[f]; !ok {
					t.Errorf("entry %d: %s.%s missing", i, part, f)
				}
			}
		}
		if _, err := time.Parse(time.RFC3339Nano, em["startedDateTime"].(string)); err != nil {
			t.Errorf("entry %d: %v", i, err)
		}
	}
	// Exact bodies survive: text as text, binary as base64.
	var h HAR
	if err := json.Unmarshal(buf.Bytes(), &h); err != nil {
		t.Fatal(err)
	}
	if h.Log.Entries[1].Request.PostData.Text != "AAEC/w==" || h.Log.Entries[1].Response.Content.Encoding != "base64" {
		t.Errorf("binary bodies: %+v %+v", h.Log.Entries[1].Request.PostData, h.Log.Entries[1].Response.Content)
	}
	if q := h.Log.Entries[0].Request.QueryString; len(q) != 2 || q[1].Value != "a b" {
		t.Errorf("query %+v", q)
	}
	if h.Log.Entries[2].Request.PostData != nil {
		t.Error("a GET without a body has postData")
	}
}

func TestEmptyArchiveHasEntries(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, nil, "dev"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"entries": []`)) {
		t.Errorf("empty archive: %s", buf.String())
	}
}

// FuzzFormParams: any body either gives no params or params that encode
// back to the same decoded form (names and values in order), and never
// panics.
func FuzzFormParams(f *testing.F) {
	for _, s := range []string{"A=1&B=2", "a+b=c%20d&&x", "%zz=1", "=", "k", "To=%2B1&To=2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		ps := formParams("application/x-www-form-urlencoded", body)
		if ps == nil {
			return
		}
		if strings.Contains(body, ";") {
			return // a name with ';' is a name here (as SignalWire's signature reads it); ParseQuery refuses it
		}
		want, err := url.ParseQuery(body)
		if err != nil {
			t.Fatalf("params %v for a body ParseQuery refuses: %v", ps, err)
		}
		got := url.Values{}
		for _, p := range ps {
			got.Add(p.Name, p.Value)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("params %v, ParseQuery %v", got, want)
		}
	})
}
