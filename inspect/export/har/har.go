// Package har writes captured exchanges as HAR 1.2, the archive format
// browser dev tools and HTTP clients import, so a webhook seen by swhook can
// be inspected or re-sent with the tools a developer already has. The
// structs are written by hand from the specification: only what HAR 1.2
// defines, plus underscore-prefixed fields it allows for custom data.
package har

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/swhook/swhook/inspect/exchange"
)

// HAR is the top-level object.
type HAR struct {
	Log Log `json:"log"`
}

// Log is the archive.
type Log struct {
	Version string  `json:"version"`
	Creator Creator `json:"creator"`
	Entries []Entry `json:"entries"`
}

// Creator names the tool that wrote the archive.
type Creator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Entry is one request and its response.
type Entry struct {
	StartedDateTime string   `json:"startedDateTime"`
	Time            float64  `json:"time"`
	Request         Request  `json:"request"`
	Response        Response `json:"response"`
	Cache           struct{} `json:"cache"`
	Timings         Timings  `json:"timings"`
	Comment         string   `json:"comment,omitempty"`
	// Custom fields: swhook's exchange ID and verdicts.
	ID        int64  `json:"_swhookId"`
	Event     string `json:"_event,omitempty"`
	Signature string `json:"_signature,omitempty"`
}

// NameValue is a header or query parameter.
type NameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Request is the request half of an entry.
type Request struct {
	Method      string      `json:"method"`
	URL         string      `json:"url"`
	HTTPVersion string      `json:"httpVersion"`
	Cookies     []NameValue `json:"cookies"`
	Headers     []NameValue `json:"headers"`
	QueryString []NameValue `json:"queryString"`
	PostData    *PostData   `json:"postData,omitempty"`
	HeadersSize int         `json:"headersSize"`
	BodySize    int64       `json:"bodySize"`
}

// PostData is the request body. A binary body is written as base64 with the
// custom _encoding field saying so. A form post carries its decoded
// parameters in params beside text: tools that turn an entry into code
// (httpsnippet, Insomnia, Postman) read a form from params and wrote every
// form post as an empty body without them.
type PostData struct {
	MimeType string      `json:"mimeType"`
	Params   []NameValue `json:"params,omitempty"`
	Text     string      `json:"text"`
	Encoding string      `json:"_encoding,omitempty"`
	Comment  string      `json:"comment,omitempty"`
}

// Response is the response half of an entry.
type Response struct {
	Status      int         `json:"status"`
	StatusText  string      `json:"statusText"`
	HTTPVersion string      `json:"httpVersion"`
	Cookies     []NameValue `json:"cookies"`
	Headers     []NameValue `json:"headers"`
	Content     Content     `json:"content"`
	RedirectURL string      `json:"redirectURL"`
	HeadersSize int         `json:"headersSize"`
	BodySize    int64       `json:"bodySize"`
	Comment     string      `json:"comment,omitempty"`
}

// Content is the response body.
type Content struct {
	Size     int64  `json:"size"`
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
	Encoding string `json:"encoding,omitempty"`
	Comment  string `json:"comment,omitempty"`
}

// Timings split the entry's time. swhook measures only the wait for the
// handler; the other phases are 0 (send, receive) as HAR requires them.
type Timings struct {
	Send    float64 `json:"send"`
	Wait    float64 `json:"wait"`
	Receive float64 `json:"receive"`
}

// Build makes an archive of xs in the order given.
func Build(xs []*exchange.Exchange, version string) HAR {
	h := HAR{Log: Log{Version: "1.2", Creator: Creator{Name: "swhook", Version: version}, Entries: []Entry{}}}
	for _, x := range xs {
		h.Log.Entries = append(h.Log.Entries, entry(x))
	}
	return h
}

// Write writes the archive of xs as indented JSON.
func Write(w io.Writer, xs []*exchange.Exchange, version string) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // cXML bodies stay readable
	if err := enc.Encode(Build(xs, version)); err != nil {
		return err
	}
	_, err := w.Write(exchange.EscapeControls(b.Bytes())) // terminal-safe, as every JSON output
	return err
}

func entry(x *exchange.Exchange) Entry {
	e := Entry{
		StartedDateTime: x.Time.UTC().Format(time.RFC3339Nano),
		Time:            x.Response.DurationMS,
		Request:         request(x.Request),
		Response:        response(x.Response),
		Timings:         Timings{Wait: x.Response.DurationMS},
		ID:              x.ID,
		Event:           strings.TrimSpace(string(x.Event.Kind) + " " + x.Event.Detail),
		Signature:       string(x.Signature.Status),
	}
	parts := []string{"swhook #" + strconv.FormatInt(x.ID, 10) + " (" + string(x.Source) + ")"}
	if x.ReplayOf != 0 {
		parts = append(parts, "replay of #"+strconv.FormatInt(x.ReplayOf, 10))
	}
	e.Comment = strings.Join(parts, ", ")
	return e
}

func request(r exchange.Request) Request {
	u := r.URL
	if u == "" {
		host := r.Host
		if host == "" {
			host = "localhost"
		}
		u = "http://" + host + r.Path
		if r.Query != "" {
			u += "?" + r.Query
		}
	}
	out := Request{
		Method:      r.Method,
		URL:         u,
		HTTPVersion: "HTTP/1.1",
		Cookies:     []NameValue{},
		Headers:     headers(r.Headers),
		QueryString: query(u),
		HeadersSize: -1,
		BodySize:    r.BodySize,
	}
	if len(r.Body) > 0 || r.BodySize > 0 {
		pd := &PostData{MimeType: r.Headers.Get("Content-Type")}
		pd.Text, pd.Encoding = text(r.Body)
		if !r.Truncated && pd.Encoding == "" {
			pd.Params = formParams(pd.MimeType, pd.Text)
		}
		if r.Truncated {
			pd.Comment = truncated(r.Body, r.BodySize)
		}
		out.PostData = pd
	}
	return out
}

func response(r exchange.Response) Response {
	out := Response{
		Status:      r.Status,
		StatusText:  http.StatusText(r.Status),
		HTTPVersion: "HTTP/1.1",
		Cookies:     []NameValue{},
		Headers:     headers(r.Headers),
		RedirectURL: r.Headers.Get("Location"),
		HeadersSize: -1,
		BodySize:    r.BodySize,
		Comment:     r.Error,
	}
	if r.Error != "" && r.Status == 0 {
		out.BodySize = -1
	}
	mt := r.Headers.Get("Content-Type")
	if mt == "" {
		mt = "x-unknown"
	}
	out.Content = Content{Size: r.BodySize, MimeType: mt}
	out.Content.Text, out.Content.Encoding = text(r.Body)
	if r.Truncated {
		out.Content.Comment = truncated(r.Body, r.BodySize)
	}
	return out
}

// truncated is the comment on a body swhook kept only the start of.
func truncated(kept []byte, size int64) string {
	return "truncated: swhook kept " + strconv.Itoa(len(kept)) + " of " + strconv.FormatInt(size, 10) + " bytes"
}

// text returns a body as HAR text: itself when it is UTF-8 text, base64
// otherwise.
func text(b []byte) (string, string) {
	if exchange.Body(b).Encoding() == exchange.EncodingUTF8 {
		return string(b), ""
	}
	return base64.StdEncoding.EncodeToString(b), "base64"
}

// headers lists h sorted by name (then in order of values), so archives are
// reproducible.
func headers(h http.Header) []NameValue {
	out := []NameValue{}
	names := slices.Sorted(maps.Keys(h))
	for _, k := range names {
		for _, v := range h[k] {
			out = append(out, NameValue{Name: k, Value: v})
		}
	}
	return out
}

// query lists the URL's query parameters in order, decoded.
func query(raw string) []NameValue {
	out := []NameValue{}
	u, err := url.Parse(raw)
	if err != nil || u.RawQuery == "" {
		return out
	}
	for _, part := range strings.Split(u.RawQuery, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if dk, err := url.QueryUnescape(k); err == nil {
			k = dk
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		out = append(out, NameValue{Name: k, Value: v})
	}
	return out
}

// formParams decodes a form body into its parameters in submission order,
// repeated names kept; nil unless the body is a well-formed form.
func formParams(contentType, body string) []NameValue {
	if mt, _, _ := mime.ParseMediaType(contentType); mt != "application/x-www-form-urlencoded" || body == "" {
		return nil
	}
	var out []NameValue
	for _, seg := range strings.Split(body, "&") {
		if seg == "" {
			continue
		}
		k, v, _ := strings.Cut(seg, "=")
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return nil // not a form after all: text alone says what was sent
		}
		out = append(out, NameValue{Name: dk, Value: dv})
	}
	return out
}
