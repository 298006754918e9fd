package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/swhook/swhook/inspect/classify"
	"github.com/swhook/swhook/inspect/exchange"
)

type headersDoc struct {
	Request  http.Header `json:"request"`
	Response http.Header `json:"response"`
}

// insertSQL inserts an encode result. Its first argument is the ID: given
// when the capture journal handed it out, or NULL for the highest ID + 1 —
// above any block a listener has reserved (migration 4).
// The summary reads the text columns that came off the wire next to the
// JSON, because those columns keep their bytes exactly (see migration 2).
const (
	summaryFrom = `SELECT id, time_s, time_ns, summary, method, path, detail, resp_error, url, query, host, call_id, head FROM exchanges`
	fullFrom    = `SELECT id, time_s, time_ns, summary, method, path, detail, resp_error, url, query, host, call_id, head,
		headers, req_body, resp_body, payload FROM exchanges`
)

// summaryDoc is what the summary column holds: exchange.Exchange's JSON
// without ID and time (columns) and without headers and bodies (the last
// columns). It is written through method-free copies of Request and
// Response: their MarshalJSON encodes a second time and the outer encoder
// then re-validates the result, a third of Save's encoding cost. It reads
// back through exchange.Exchange's own decoding (the absent body fields
// decode as empty). TestSummaryDocCoversExchange fails when Exchange gains
// a field this does not carry.
type summaryDoc struct {
	Source        exchange.Source    `json:"source"`
	ReplayOf      int64              `json:"replay_of,omitempty"`
	Forward       string             `json:"forward,omitempty"`
	Listener      string             `json:"listener,omitempty"`
	Call          exchange.CallRef   `json:"call,omitzero"`
	Request       summaryRequest     `json:"request"`
	Event         exchange.Event     `json:"event"`
	Signature     exchange.Signature `json:"signature"`
	Response      summaryResponse    `json:"response"`
	ResponseCheck exchange.Check     `json:"response_check"`
}

type (
	summaryRequest  exchange.Request
	summaryResponse exchange.Response
)

// rowArgs is how many arguments encode returns (insertSQL's parameters).
const rowArgs = 11

// rowArgsV5 is how many a journal record written before migration 7 holds
// (no listener, no call_id): recovery pads it.
const rowArgsV5 = 9

// encode turns x into insert arguments. It runs in the saving goroutine, so
// the encoding work is spread over the callers and the writer only writes.
// An exchange that does not name its call yet gets it here, from its
// request, so every saver (listen, replay, trigger, call) groups alike.
func encode(x *exchange.Exchange) ([]any, error) {
	if x.Call == (exchange.CallRef{}) {
		x.Call = callOf(&x.Request)
	}
	summary, err := encodeSummary(x)
	if err != nil {
		return nil, err
	}
	q := &x.Request
	head := appendHead(make([]byte, 0, 1+6*2+len(q.Method)+len(q.Path)+len(x.Event.Detail)+len(q.URL)+len(q.Query)+len(q.Host)+3+len(summary)),
		headFields{method: q.Method, path: q.Path, detail: x.Event.Detail, url: q.URL, query: q.Query, host: q.Host}, summary)
	return []any{ // rowArgs values
		nil, // the ID: see insertSQL
		x.Time.Unix(), int64(x.Time.Nanosecond()), string(x.Event.Kind),
		string(x.Signature.Status), int64(x.Response.Status), x.Response.Error,
		head, appendPayload(nil, x.Request.Headers, x.Response.Headers, x.Request.Body, x.Response.Body),
		x.Listener, x.Call.Group(),
	}, nil
}

// callOf is the call identity a request names (classify.Call).
func callOf(q *exchange.Request) exchange.CallRef {
	return classify.Call(classify.Request{Method: q.Method, Path: q.Path, Query: q.Query,
		ContentType: q.Headers.Get("Content-Type"), Body: q.Body})
}

// encodeSummary is the summary column: x's JSON without headers and bodies
// (ID and time are columns; the zero values stand in). exchange.AppendJSON
// writes it without reflection; summaryDoc and json.Marshal write what it
// leaves to Marshal. Either reads back through exchange.Exchange's decoding.
func encodeSummary(x *exchange.Exchange) ([]byte, error) {
	c := *x
	c.ID, c.Time = 0, time.Time{}
	c.Request.Headers, c.Request.Body = nil, nil
	c.Response.Headers, c.Response.Body = nil, nil
	if b, ok := exchange.AppendJSON(make([]byte, 0, 640+len(c.Request.URL)+len(c.Signature.Hint)+len(c.ResponseCheck.Message)), &c); ok {
		return b, nil
	}
	doc := summaryDoc{
		Source: x.Source, ReplayOf: x.ReplayOf, Forward: x.Forward, Listener: x.Listener, Call: x.Call,
		Request: summaryRequest(c.Request), Event: x.Event, Signature: x.Signature,
		Response: summaryResponse(c.Response), ResponseCheck: x.ResponseCheck,
	}
	return json.Marshal(&doc)
}

func unblob(v any) exchange.Body {
	switch b := v.(type) {
	case nil:
		return nil
	case []byte:
		out := make(exchange.Body, len(b))
		copy(out, b)
		return out
	case string:
		return exchange.Body(b)
	}
	return nil
}

func scan(rows *sql.Rows, summary bool) (*exchange.Exchange, error) {
	var (
		id, sec, nsec                 int64
		sum                           string
		method, path, detail, respErr string
		rawURL, query, host, callID   string
		headers, reqBody, rBody       any
		head, payload                 []byte
	)
	dest := []any{&id, &sec, &nsec, &sum, &method, &path, &detail, &respErr, &rawURL, &query, &host, &callID, &head}
	if !summary {
		dest = append(dest, &headers, &reqBody, &rBody, &payload)
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, fmt.Errorf("read exchange: %w", err)
	}
	if head != nil {
		h, err := decodeHead(head)
		if err != nil {
			return nil, fmt.Errorf("read exchange #%d: %w", id, err)
		}
		method, path, detail, rawURL, query, host, sum = h.method, h.path, h.detail, h.url, h.query, h.host, h.summary
	}
	x := new(exchange.Exchange)
	if err := json.Unmarshal([]byte(sum), x); err != nil {
		return nil, fmt.Errorf("read exchange #%d: %w", id, err)
	}
	x.ID = id
	x.Time = time.Unix(sec, nsec).UTC()
	if x.Call.ID == "" && callID != "" {
		x.Call.ID = callID // a row from before migration 7, grouped by backfillCalls
	}
	// The columns hold the exact bytes; the JSON may have replaced invalid
	// UTF-8. (Rows from before migration 2 have empty url/query/host
	// columns: their JSON values stand.)
	x.Request.Method, x.Request.Path, x.Event.Detail, x.Response.Error = method, path, detail, respErr
	if rawURL != "" {
		x.Request.URL = rawURL
	}
	if query != "" {
		x.Request.Query = query
	}
	if host != "" {
		x.Request.Host = host
	}
	x.Request.Body, x.Response.Body = nil, nil
	if !summary {
		switch h := headers.(type) {
		case []byte:
			req, resp, err := decodeHeaders(h)
			if err != nil {
				return nil, fmt.Errorf("read exchange #%d headers: %w", id, err)
			}
			x.Request.Headers, x.Response.Headers = req, resp
		case string: // JSON, before schema version 2
			var d headersDoc
			if err := json.Unmarshal([]byte(h), &d); err != nil {
				return nil, fmt.Errorf("read exchange #%d headers: %w", id, err)
			}
			x.Request.Headers, x.Response.Headers = d.Request, d.Response
		}
		x.Request.Body, x.Response.Body = unblob(reqBody), unblob(rBody)
		if payload != nil {
			req, resp, reqB, respB, err := decodePayload(payload)
			if err != nil {
				return nil, fmt.Errorf("read exchange #%d: %w", id, err)
			}
			x.Request.Headers, x.Response.Headers = req, resp
			x.Request.Body, x.Response.Body = reqB, respB
		}
	}
	return x, nil
}
