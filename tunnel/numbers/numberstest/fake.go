// Package numberstest is a fake SignalWire REST API for tests: the Relay
// REST phone_numbers list/get/update and the Fabric resources, cXML and
// SWML webhooks, built from the documented request and response shapes
// (specs/signalwire-rest in signalwire/docs): HTTP Basic auth, JSON bodies,
// pagination links, and the documented error shapes for 401, 403, 404, 422
// and 500.
package numberstest

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Request is one call the fake received.
type Request struct {
	Method, Path, RawQuery string
	Body                   map[string]any
	Authorization          string
}

// Fake is the API of one project. Its fields are safe to change between
// calls only through the methods.
type Fake struct {
	Project, Token string
	// Scopes the token has: "Numbers" for phone numbers, "Voice" for
	// Fabric. Default both.
	Scopes []string

	mu        sync.Mutex
	numbers   []map[string]any // newest first, as the API lists them
	resources map[string]map[string]any
	requests  []Request
	// before, when set, runs before every request is answered; a non-zero
	// status answers with the documented error for it instead, and Cut
	// drops the connection unanswered.
	before func(r *http.Request, body map[string]any) int
	down   bool
	delay  time.Duration
	srv    *httptest.Server
	now    func() time.Time
}

// New starts the fake on loopback.
func New(project, token string) *Fake {
	f := &Fake{Project: project, Token: token, Scopes: []string{"Numbers", "Voice"},
		resources: map[string]map[string]any{}, now: time.Now}
	f.srv = httptest.NewServer(f)
	return f
}

// NewAt starts the fake on a given address (to bring a killed fake back
// where a restore record says the Space is).
func NewAt(addr, project, token string) (*Fake, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	f := &Fake{Project: project, Token: token, Scopes: []string{"Numbers", "Voice"},
		resources: map[string]map[string]any{}, now: time.Now}
	f.srv = httptest.NewUnstartedServer(f)
	f.srv.Listener.Close()
	f.srv.Listener = ln
	f.srv.Start()
	return f, nil
}

// URL is the Space's base URL (http://127.0.0.1:port).
func (f *Fake) URL() string { return f.srv.URL }

// Addr is the fake's host:port.
func (f *Fake) Addr() string { return f.srv.Listener.Addr().String() }

// Close stops the fake, cutting open connections.
func (f *Fake) Close() {
	f.srv.CloseClientConnections()
	f.srv.Close()
}

// CloseClientConnections cuts every open connection (a network failure).
func (f *Fake) CloseClientConnections() { f.srv.CloseClientConnections() }

// Before installs a hook run before each request; see Fake.before.
func (f *Fake) Before(fn func(r *http.Request, body map[string]any) int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.before = fn
}

// Cut, returned by a Before hook, drops the connection unanswered: the
// network failed, or the API died mid-request.
const Cut = -1

// Down makes the fake drop every connection unanswered (true) until it is
// brought back (false), keeping its numbers: an outage.
func (f *Fake) Down(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

// Delay makes every answer wait d (a slow API).
func (f *Fake) Delay(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delay = d
}

// Requests returns the calls received so far.
func (f *Fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

// Writes returns the PUT and PATCH calls received so far.
func (f *Fake) Writes() []Request {
	var out []Request
	for _, r := range f.Requests() {
		if r.Method == "PUT" || r.Method == "PATCH" {
			out = append(out, r)
		}
	}
	return out
}

// Number is a phone number as the fake holds it: every field of the
// documented PhoneNumber model; fields not given are null.
func Number(id, e164 string, fields map[string]any) map[string]any {
	n := map[string]any{
		"id": id, "number": e164, "name": nil, "capabilities": []any{"voice", "sms", "mms", "fax"},
		"number_type": "longcode", "e911_address_id": nil, "e911_status": nil,
		"created_at": "2024-01-02T03:04:05Z", "updated_at": "2024-01-02T03:04:05Z", "next_billed_at": nil,
		"call_handler": nil, "calling_handler_resource_id": nil, "call_receive_mode": "voice",
		"call_request_url": nil, "call_request_method": "POST", "call_fallback_url": nil, "call_fallback_method": "POST",
		"call_status_callback_url": nil, "call_status_callback_method": "POST", "call_laml_application_id": nil,
		"call_dialogflow_agent_id": nil, "call_relay_topic": nil, "call_relay_topic_status_callback_url": nil,
		"call_relay_script_url": nil, "call_relay_context": nil, "call_relay_context_status_callback_url": nil,
		"call_relay_application": nil, "call_relay_connector_id": nil, "call_sip_endpoint_id": nil,
		"call_verto_resource": nil, "call_video_room_id": nil, "message_handler": nil,
		"messaging_handler_resource_id": nil, "message_request_url": nil, "message_request_method": "POST",
		"message_fallback_url": nil, "message_fallback_method": "POST", "message_laml_application_id": nil,
		"message_relay_topic": nil, "message_relay_context": nil, "country_code": "US",
	}
	for k, v := range fields {
		n[k] = v
	}
	return n
}

// AddNumber adds a number (see Number); the newest is listed first.
func (f *Fake) AddNumber(n map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.numbers = append([]map[string]any{n}, f.numbers...)
}

// AddWebhook adds a Fabric cxml_webhook or swml_webhook resource; fields
// are the inner object's (primary_request_url, …).
func (f *Fake) AddWebhook(kind, id, name string, fields map[string]any) {
	inner := map[string]any{"id": id, "name": name, "used_for": "calling", "primary_request_url": nil,
		"primary_request_method": "POST", "fallback_request_url": nil, "fallback_request_method": "POST",
		"status_callback_url": nil, "status_callback_method": "POST"}
	for k, v := range fields {
		inner[k] = v
	}
	f.AddResource(id, kind, name, inner)
}

// AddResource adds any Fabric resource (an ai_agent, a call_flow, …).
func (f *Fake) AddResource(id, kind, name string, inner map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resources[id] = map[string]any{"id": id, "project_id": f.Project, "display_name": name, "type": kind,
		"created_at": "2024-01-02T03:04:05Z", "updated_at": "2024-01-02T03:04:05Z", kind: inner}
}

// Field returns a number's (by E.164) current field value.
func (f *Fake) Field(e164, field string) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range f.numbers {
		if n["number"] == e164 {
			return n[field]
		}
	}
	return nil
}

// SetField changes a number's field, as a person in the dashboard would.
func (f *Fake) SetField(e164, field string, v any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range f.numbers {
		if n["number"] == e164 {
			n[field] = v
		}
	}
}

// WebhookField returns a resource's inner field.
func (f *Fake) WebhookField(id, field string) any {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.resources[id]
	if r == nil {
		return nil
	}
	inner, _ := r[r["type"].(string)].(map[string]any)
	return inner[field]
}

// SetWebhookField changes a resource's inner field (the dashboard).
func (f *Fake) SetWebhookField(id, field string, v any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.resources[id]
	inner, _ := r[r["type"].(string)].(map[string]any)
	inner[field] = v
}

// Snapshot returns a deep copy of every number and resource, to compare
// before and after.
func (f *Fake) Snapshot() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, _ := json.Marshal(struct {
		N []map[string]any
		R map[string]map[string]any
	}{f.numbers, f.resources})
	return string(b)
}

func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &body); err != nil {
			writeJSON(w, 400, map[string]any{"error": "Bad Request"})
			return
		}
	}
	f.mu.Lock()
	f.requests = append(f.requests, Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Body: body, Authorization: r.Header.Get("Authorization")})
	before, delay, down := f.before, f.delay, f.down
	f.mu.Unlock()
	if down {
		cut(w)
		return
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if before != nil {
		if status := before(r, body); status == Cut {
			cut(w)
			return
		} else if status != 0 {
			writeError(w, status, strings.HasPrefix(r.URL.Path, "/api/fabric/"))
			return
		}
	}
	user, pass, ok := r.BasicAuth()
	if !ok || user != f.Project || pass != f.Token {
		writeError(w, 401, false)
		return
	}
	fabric := strings.HasPrefix(r.URL.Path, "/api/fabric/")
	if (fabric && !slices.Contains(f.Scopes, "Voice")) || (!fabric && !slices.Contains(f.Scopes, "Numbers")) {
		writeError(w, 403, fabric)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p := r.URL.Path
	switch {
	case p == "/api/relay/rest/phone_numbers" && r.Method == "GET":
		f.list(w, r)
	case strings.HasPrefix(p, "/api/relay/rest/phone_numbers/"):
		n := f.number(strings.TrimPrefix(p, "/api/relay/rest/phone_numbers/"))
		switch {
		case n == nil:
			writeError(w, 404, false)
		case r.Method == "GET":
			writeJSON(w, 200, n)
		case r.Method == "PUT":
			if msgs := validateNumberUpdate(body); len(msgs) > 0 {
				var errs []map[string]any
				for _, m := range msgs {
					errs = append(errs, map[string]any{"detail": m, "status": "422", "title": "Invalid Attribute", "code": "422"})
				}
				writeJSON(w, 422, map[string]any{"errors": errs})
				return
			}
			for k, v := range body {
				n[k] = v
			}
			n["updated_at"] = f.now().UTC().Format(time.RFC3339)
			writeJSON(w, 200, n)
		default:
			writeError(w, 404, false)
		}
	case strings.HasPrefix(p, "/api/fabric/resources/cxml_webhooks/") || strings.HasPrefix(p, "/api/fabric/resources/swml_webhooks/"):
		rest := strings.TrimPrefix(p, "/api/fabric/resources/")
		kind, id, _ := strings.Cut(rest, "/")
		kind = strings.TrimSuffix(kind, "s")
		res := f.resources[id]
		if res == nil || res["type"] != kind {
			writeError(w, 404, true)
			return
		}
		switch r.Method {
		case "GET":
			writeJSON(w, 200, res)
		case "PATCH":
			if errs := validateWebhookUpdate(body); len(errs) > 0 {
				writeJSON(w, 422, map[string]any{"errors": errs})
				return
			}
			inner := res[kind].(map[string]any)
			for k, v := range body {
				inner[k] = v
			}
			res["updated_at"] = f.now().UTC().Format(time.RFC3339)
			writeJSON(w, 200, res)
		default:
			writeError(w, 404, true)
		}
	case strings.HasPrefix(p, "/api/fabric/resources/") && r.Method == "GET":
		res := f.resources[strings.TrimPrefix(p, "/api/fabric/resources/")]
		if res == nil {
			writeError(w, 404, true)
			return
		}
		writeJSON(w, 200, res)
	default:
		writeError(w, 404, fabric)
	}
}

func cut(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if c, _, err := hj.Hijack(); err == nil {
			c.Close()
		}
	}
}

func (f *Fake) number(id string) map[string]any {
	for _, n := range f.numbers {
		if n["id"] == id {
			return n
		}
	}
	return nil
}

// list answers GET phone_numbers: filter_number and filter_name match
// substrings; page_size 1-1000 (default 50); page_number > 0 needs the
// page_token of the link that leads there.
func (f *Fake) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	size := 50
	if s := q.Get("page_size"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			writeJSON(w, 400, map[string]any{"error": "Bad Request"})
			return
		}
		size = n
	}
	page := 0
	if s := q.Get("page_number"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			writeJSON(w, 400, map[string]any{"error": "Bad Request"})
			return
		}
		page = n
	}
	if page > 0 && q.Get("page_token") != pageToken(page) {
		writeJSON(w, 400, map[string]any{"error": "Bad Request"})
		return
	}
	var match []map[string]any
	for _, n := range f.numbers {
		if fn := q.Get("filter_number"); fn != "" && !strings.Contains(n["number"].(string), fn) {
			continue
		}
		if fname := q.Get("filter_name"); fname != "" {
			name, _ := n["name"].(string)
			if !strings.Contains(name, fname) {
				continue
			}
		}
		match = append(match, n)
	}
	start := min(page*size, len(match))
	end := min(start+size, len(match))
	link := func(pg int) string {
		v := url.Values{}
		for _, k := range []string{"filter_number", "filter_name"} {
			if q.Get(k) != "" {
				v.Set(k, q.Get(k))
			}
		}
		v.Set("page_size", strconv.Itoa(size))
		if pg > 0 {
			v.Set("page_number", strconv.Itoa(pg))
			v.Set("page_token", pageToken(pg))
		}
		return "http://" + r.Host + "/api/relay/rest/phone_numbers?" + v.Encode()
	}
	links := map[string]any{"self": link(page), "first": link(0)}
	if end < len(match) {
		links["next"] = link(page + 1)
	}
	if page > 0 {
		links["prev"] = link(page - 1)
	}
	data := match[start:end]
	if data == nil {
		data = []map[string]any{}
	}
	writeJSON(w, 200, map[string]any{"links": links, "data": data})
}

func pageToken(page int) string { return fmt.Sprintf("PA%08d-faab-48b3-959a-3021a8f5beca", page) }

var numberUpdateFields = map[string]string{
	"name": "string", "call_handler": "handler", "call_receive_mode": "string",
	"call_request_url": "url", "call_request_method": "method", "call_fallback_url": "url", "call_fallback_method": "method",
	"call_status_callback_url": "url", "call_status_callback_method": "method", "call_laml_application_id": "string",
	"call_dialogflow_agent_id": "string", "call_relay_topic": "string", "call_relay_topic_status_callback_url": "url",
	"call_relay_script_url": "url", "call_relay_context": "string", "call_relay_context_status_callback_url": "url",
	"call_relay_application": "string", "call_relay_connector_id": "string", "call_sip_endpoint_id": "string",
	"call_verto_resource": "string", "call_video_room_id": "string", "message_handler": "message_handler",
	"message_request_url": "url", "message_request_method": "method", "message_fallback_url": "url",
	"message_fallback_method": "method", "message_laml_application_id": "string", "message_relay_topic": "string",
	"message_relay_context": "string", "message_relay_application": "string",
}

// The call_handler values an update may set (PhoneNumberCallHandlerRequest:
// the Fabric-only ones are not among them).
var requestCallHandlers = []string{"relay_context", "relay_topic", "relay_script", "relay_application", "relay_connector",
	"relay_sip_endpoint", "relay_verto_endpoint", "laml_webhooks", "laml_application", "dialogflow", "video_room"}

var messageHandlers = []string{"relay_context", "relay_topic", "relay_application", "laml_webhooks", "laml_application"}

func validateNumberUpdate(body map[string]any) []string {
	var out []string
	for k, v := range body {
		kind, known := numberUpdateFields[k]
		if !known {
			continue // the API ignores parameters it does not know
		}
		s, isString := v.(string)
		if !isString {
			out = append(out, fmt.Sprintf("%s must be a string", k))
			continue
		}
		switch kind {
		case "handler":
			if !slices.Contains(requestCallHandlers, s) {
				out = append(out, fmt.Sprintf("Call handler %q is not included in the list", s))
			}
		case "message_handler":
			if !slices.Contains(messageHandlers, s) {
				out = append(out, fmt.Sprintf("Message handler %q is not included in the list", s))
			}
		case "method":
			if s != "GET" && s != "POST" {
				out = append(out, fmt.Sprintf("%s must be GET or POST", k))
			}
		case "url":
			if s != "" && !isHTTPURL(s) {
				out = append(out, fmt.Sprintf("%s is invalid", strings.ReplaceAll(k, "_", " ")))
			}
		}
	}
	slices.Sort(out)
	return out
}

func validateWebhookUpdate(body map[string]any) []map[string]any {
	var out []map[string]any
	for _, k := range []string{"primary_request_url", "fallback_request_url", "status_callback_url"} {
		v, ok := body[k]
		if !ok {
			continue
		}
		if s, _ := v.(string); !isHTTPURL(s) {
			out = append(out, map[string]any{"type": "validation_error", "code": "http_url_required",
				"message": "This value must be an HTTP or HTTPS URL.", "attribute": k, "url": "https://signalwire.com/docs/apis/error-codes"})
		}
	}
	return out
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// writeError answers with the documented body for status: {"error":"…"}
// for 400/401/403/404/500, the API's own shapes for 422.
func writeError(w http.ResponseWriter, status int, fabric bool) {
	switch status {
	case 422:
		if fabric {
			writeJSON(w, 422, map[string]any{"errors": []any{map[string]any{"type": "validation_error", "code": "invalid_parameter",
				"message": "This value is invalid.", "attribute": "primary_request_url", "url": "https://signalwire.com/docs/apis/error-codes"}}})
			return
		}
		writeJSON(w, 422, map[string]any{"errors": []any{map[string]any{"detail": "Call request url is invalid", "status": "422", "title": "Invalid Attribute", "code": "422"}}})
		return
	}
	writeJSON(w, status, map[string]any{"error": http.StatusText(status)})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}
