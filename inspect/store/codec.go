package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/swhook/swhook/inspect/classify"
	"github.com/swhook/swhook/inspect/exchange"
)

// headersDoc is what the headers column held, as JSON, in rows written
// before schema version 2.
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
	q, r := &x.Request, &x.Response
	// head and payload share one allocation, sized once: head's fields, the
	// summary (an estimate: escapes may grow it) and payload's bound.
	b := make([]byte, 0, 1+7*2+len(q.Method)+len(q.Path)+len(x.Event.Detail)+len(q.URL)+len(q.Query)+len(q.Host)+
		summarySize(x)+payloadSize(q.Headers, r.Headers, q.Body, r.Body))
	b = appendHeadFields(b, headFields{method: q.Method, path: q.Path, detail: x.Event.Detail, url: q.URL, query: q.Query, host: q.Host})
	at := len(b)
	b, err := appendSummary(openLen(b), x)
	if err != nil {
		return nil, err
	}
	b = closeLen(b, at)
	n := len(b)
	b = appendPayload(b, q.Headers, r.Headers, q.Body, r.Body)
	return []any{ // rowArgs values
		nil, // the ID: see insertSQL
		x.Time.Unix(), int64(x.Time.Nanosecond()), string(x.Event.Kind),
		string(x.Signature.Status), int64(r.Status), r.Error,
		b[:n:n], b[n:], // head, payload
		x.Listener, x.Call.Group(),
	}, nil
}

// callOf is the call identity a request names (classify.Call).
func callOf(q *exchange.Request) exchange.CallRef {
	return classify.Call(classify.Request{Method: q.Method, Path: q.Path, Query: q.Query,
		ContentType: q.Headers.Get("Content-Type"), Body: q.Body})
}

// encodeSummary is the summary JSON head carries: the members of x's JSON
// (exchange.Exchange's shape) that scan takes from it, and only those with
// a value. What a reader gets anyway is left out — ID and time (columns),
// method, URL, path, query, host, detail (head's own fields), the response
// error (a column), the call's ID when it is the call_id column's group
// and valid UTF-8 (every swhook that reads call_id fills the ID from it:
// migration 7),
// headers and bodies (payload) — and so are zero values
// (an absent member decodes as its zero, and scan resets the bodies).
// That halves the JSON a listener's row carries, and every version's scan
// reads it back as the whole document: the fields it skips it has always
// overwritten. Strings are written as exchange.AppendJSON writes them, so
// they decode alike. TestSummaryCarriesEveryField fails when Exchange
// gains a field this does not write.
func encodeSummary(x *exchange.Exchange) ([]byte, error) {
	return appendSummary(make([]byte, 0, summarySize(x)), x)
}

// summarySize is what the summary takes when no string needs an escape.
func summarySize(x *exchange.Exchange) int {
	return 320 + len(x.Forward) + len(x.Listener) + len(x.Call.ID) + len(x.Call.Parent) + len(x.Request.RemoteAddr) +
		len(x.Signature.Scheme) + len(x.Signature.Header) + len(x.Signature.Hint) + len(x.ResponseCheck.Message)
}

// appendSummary appends encodeSummary's document.
func appendSummary(b []byte, x *exchange.Exchange) ([]byte, error) {
	r := &x.Response
	if math.IsInf(r.DurationMS, 0) || math.IsNaN(r.DurationMS) {
		return nil, fmt.Errorf("summary: duration_ms %v is not a JSON number", r.DurationMS)
	}
	q, s := &x.Request, &x.Signature
	var o jsonObject
	b = o.str(b, "source", string(x.Source))
	b = o.int(b, "replay_of", x.ReplayOf)
	b = o.str(b, "forward", x.Forward)
	b = o.str(b, "listener", x.Listener)
	// A call that is its own group leaves its ID to call_id, a column —
	// unless JSON would have changed it (invalid UTF-8 reads back as U+FFFD
	// from the summary, and so it still does).
	if x.Call.Parent != "" || !utf8.ValidString(x.Call.ID) {
		b = o.open(b, "call")
		var c jsonObject
		b = c.str(b, "id", x.Call.ID)
		b = c.str(b, "parent", x.Call.Parent)
		b = o.close(b, c)
	}
	if q.BodySize != 0 || q.Truncated || q.RemoteAddr != "" {
		b = o.open(b, "request")
		var c jsonObject
		b = c.int(b, "body_size", q.BodySize)
		b = c.bool(b, "truncated", q.Truncated)
		b = c.str(b, "remote_addr", q.RemoteAddr)
		b = o.close(b, c)
	}
	if x.Event.Kind != "" {
		b = o.open(b, "event")
		var c jsonObject
		b = c.str(b, "kind", string(x.Event.Kind))
		b = o.close(b, c)
	}
	if *s != (exchange.Signature{}) {
		b = o.open(b, "signature")
		var c jsonObject
		b = c.str(b, "status", string(s.Status))
		b = c.str(b, "scheme", s.Scheme)
		b = c.str(b, "header", s.Header)
		b = c.str(b, "hint", s.Hint)
		b = o.close(b, c)
	}
	if r.Status != 0 || r.BodySize != 0 || r.Truncated || math.Float64bits(r.DurationMS) != 0 || r.Forwarded {
		b = o.open(b, "response")
		var c jsonObject
		b = c.int(b, "status", int64(r.Status))
		b = c.int(b, "body_size", r.BodySize)
		b = c.bool(b, "truncated", r.Truncated)
		if math.Float64bits(r.DurationMS) != 0 { // -0 is written: it reads back as -0
			b = c.key(b, "duration_ms")
			b = strconv.AppendFloat(b, r.DurationMS, 'g', -1, 64) // the shortest form that reads back exactly
		}
		b = c.bool(b, "forwarded", r.Forwarded)
		b = o.close(b, c)
	}
	if x.ResponseCheck != (exchange.Check{}) {
		b = o.open(b, "response_check")
		var c jsonObject
		b = c.str(b, "status", string(x.ResponseCheck.Status))
		b = c.str(b, "message", x.ResponseCheck.Message)
		b = o.close(b, c)
	}
	return o.close(b, o), nil
}

// jsonObject writes one JSON object's members, each only when it has a
// value; n counts those written (the object opens with the first).
type jsonObject struct{ n int }

func (o *jsonObject) key(b []byte, k string) []byte {
	if o.n == 0 {
		b = append(b, '{')
	} else {
		b = append(b, ',')
	}
	o.n++
	b = append(b, '"')
	b = append(b, k...)
	return append(b, '"', ':')
}

func (o *jsonObject) str(b []byte, k, v string) []byte {
	if v == "" {
		return b
	}
	return exchange.AppendJSONString(o.key(b, k), v)
}

func (o *jsonObject) int(b []byte, k string, v int64) []byte {
	if v == 0 {
		return b
	}
	return strconv.AppendInt(o.key(b, k), v, 10)
}

func (o *jsonObject) bool(b []byte, k string, v bool) []byte {
	if !v {
		return b
	}
	return append(o.key(b, k), "true"...)
}

// open starts member k, an object the caller writes with its own
// jsonObject and ends with close.
func (o *jsonObject) open(b []byte, k string) []byte { return o.key(b, k) }

// close ends an object whose members c wrote ("{}" when it wrote none).
func (o *jsonObject) close(b []byte, c jsonObject) []byte {
	if c.n == 0 {
		b = append(b, '{')
	}
	return append(b, '}')
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
		// A call that is its own group (no parent): its summary leaves the
		// ID to this column. Or a row from before migration 7, grouped by
		// backfillCalls.
		x.Call.ID = callID
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
