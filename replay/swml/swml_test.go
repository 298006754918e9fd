package swml

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/swhook/swhook/inspect/signature/signaturetest"
	"github.com/swhook/swhook/replay/call"
)

const testKey = "PSK_swml_test"

// seed gives each session its own random source.
var seed atomic.Uint64

// hit is one request the test handler received, its signatures checked
// independently of the code under test.
type hit struct {
	path      string
	body      map[string]any
	valid     bool // X-SignalWire-Signature, by signaturetest's own signer
	sha256    bool // X-SignalWire-Sha256-Signature, by crypto/hmac here
	ctype     string
	rawHeader http.Header
}

// site serves SWML documents by path and records every request.
type site struct {
	t    *testing.T
	srv  *httptest.Server
	mu   sync.Mutex
	hits []hit
	docs map[string]func(body map[string]any) (ctype, doc string)
}

func newSite(t *testing.T) *site {
	s := &site{t: t, docs: map[string]func(map[string]any) (string, string){}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		full := "http://" + r.Host + r.URL.RequestURI()
		mac := hmac.New(sha256.New, []byte(testKey))
		mac.Write([]byte(full))
		mac.Write(raw)
		h := hit{path: r.URL.Path, valid: signaturetest.Valid(testKey, r.Method, full, r.Header, raw),
			sha256: hmac.Equal([]byte(hex.EncodeToString(mac.Sum(nil))), []byte(r.Header.Get("X-SignalWire-Sha256-Signature"))),
			ctype:  r.Header.Get("Content-Type"), rawHeader: r.Header.Clone()}
		json.Unmarshal(raw, &h.body)
		s.mu.Lock()
		s.hits = append(s.hits, h)
		fn := s.docs[r.URL.Path]
		s.mu.Unlock()
		if r.URL.Path == "/fail500" {
			http.Error(w, `{"error":"boom"}`, http.StatusInternalServerError)
			return
		}
		if fn == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		ct, d := fn(h.body)
		w.Header().Set("Content-Type", ct)
		io.WriteString(w, d)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *site) json(path, doc string) {
	s.docs[path] = func(map[string]any) (string, string) { return "application/json", doc }
}

func (s *site) yaml(path, doc string) {
	s.docs[path] = func(map[string]any) (string, string) { return "application/yaml", doc }
}

func (s *site) url(path string) string { return s.srv.URL + path }

func (s *site) requests(path string) []hit {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []hit
	for _, h := range s.hits {
		if h.path == path {
			out = append(out, h)
		}
	}
	return out
}

type run struct {
	ev *call.Events
	s  *call.Session
}

func (r run) said() []string {
	var out []string
	for _, e := range r.ev.Of(call.EvSay) {
		out = append(out, e.Text)
	}
	return out
}

func (r run) errors() []string {
	var out []string
	for _, e := range r.ev.Of(call.EvError) {
		out = append(out, e.Name+": "+e.Detail)
	}
	return out
}

func newSession(t testing.TB, url string, inputs, dials []string, record int) (*call.Session, *call.Events) {
	t.Helper()
	caller, err := call.NewScript(inputs, dials, record, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	ev := &call.Events{}
	s, err := call.NewSession(call.Config{URL: url, Key: testKey, From: "+15551234567", To: "+15557654321",
		Caller: caller, Sink: ev, Rand: rand.New(rand.NewPCG(seed.Add(1), 2))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, ev
}

func playCall(t *testing.T, url string, inputs, dials []string, record int) run {
	t.Helper()
	s, ev := newSession(t, url, inputs, dials, record)
	if err := Call(context.Background(), s, Options{}); err != nil {
		t.Fatal(err)
	}
	return run{ev, s}
}

func equal(a, b []string) bool { return strings.Join(a, "\x00") == strings.Join(b, "\x00") }

const menu = `version: 1.0.0
sections:
  main:
    - answer: {}
    - prompt:
        play: 'say: Press 1 for sales, 2 for support'
        max_digits: 1
    - switch:
        variable: prompt_value
        case:
          '1':
            - play:
                url: 'say: Sales, you pressed ${prompt_value}'
          '2':
            - transfer:
                dest: support
        default:
          - play:
              url: 'say: Sorry, %{prompt_result}'
          - hangup: {}
  support:
    - play:
        url: 'say: Support'
    - transfer:
        dest: /next
`

func TestMenuEveryBranch(t *testing.T) {
	site := newSite(t)
	site.yaml("/voice", strings.ReplaceAll(menu, "dest: /next", "dest: "+site.url("/next")))
	site.json("/next", `{"version":"1.0.0","sections":{"main":[{"play":{"url":"say: Next, you chose %{vars.prompt_value}"}}]}}`)
	cases := []struct {
		input string
		want  []string
	}{
		{"1", []string{"Press 1 for sales, 2 for support", "Sales, you pressed 1"}},
		{"2", []string{"Press 1 for sales, 2 for support", "Support", "Next, you chose 2"}},
		{"9", []string{"Press 1 for sales, 2 for support", "Sorry, match_digits"}},
		{"-", []string{"Press 1 for sales, 2 for support", "Sorry, no_input"}},
	}
	for _, c := range cases {
		t.Run(c.input, func(t *testing.T) {
			r := playCall(t, site.url("/voice"), []string{c.input}, nil, -1)
			if !equal(r.said(), c.want) || r.s.Failed() {
				t.Errorf("said %q (errors %q), want %q", r.said(), r.errors(), c.want)
			}
		})
	}
	// The transfer to a URL fetched /next with the prompt's result in vars,
	// signed both ways.
	next := site.requests("/next")
	if len(next) != 1 {
		t.Fatalf("/next fetched %d times", len(next))
	}
	h := next[0]
	vars, _ := h.body["vars"].(map[string]any)
	if vars["prompt_value"] != "2" || vars["prompt_result"] != "match_digits" || !h.valid || !h.sha256 || h.ctype != "application/json" {
		t.Errorf("/next: vars %v, signature valid %v sha256 %v, content type %q", vars, h.valid, h.sha256, h.ctype)
	}
	first := site.requests("/voice")[0]
	c, _ := first.body["call"].(map[string]any)
	for _, k := range []string{"call_id", "node_id", "segment_id", "call_state", "direction", "type", "from", "to", "headers", "project_id", "space_id"} {
		if _, ok := c[k]; !ok {
			t.Errorf("the document fetch's call object has no %s: %v", k, c)
		}
	}
	if c["from"] != "+15551234567" || c["type"] != "phone" || c["direction"] != "inbound" || !first.valid || !first.sha256 {
		t.Errorf("first fetch: call %v, valid %v/%v", c, first.valid, first.sha256)
	}
	for _, k := range []string{"vars", "envs", "params"} {
		if _, ok := first.body[k].(map[string]any); !ok {
			t.Errorf("the document fetch has no %s object", k)
		}
	}
	ids := map[any]bool{}
	for _, h := range append(site.requests("/voice"), next...) {
		ids[h.body["call"].(map[string]any)["call_id"]] = true
	}
	if len(ids) != len(cases) {
		t.Errorf("%d calls had %d call_ids: one per call wanted", len(cases), len(ids))
	}
}

func TestSetExpressionRequestExecuteGoto(t *testing.T) {
	site := newSite(t)
	site.docs["/api"] = func(map[string]any) (string, string) {
		return "application/json", `{"customer":{"name":"Ada"},"balance":12.5}`
	}
	site.json("/voice", `{"version":"1.0.0","sections":{
	  "main":[
	    {"set":{"area":"${call.from.substring(2, 5)}","n":"${parseInt(\"42\")}"}},
	    {"play":{"url":"say: Area ${area}, n ${n + 1}"}},
	    {"request":{"url":"`+site.url("/api")+`","method":"POST","headers":{"X-Token":"t1"},"body":{"from":"${call.from}"},"save_variables":true,"timeout":5}},
	    {"play":{"url":"say: Hello ${request_response.customer.name}, you owe ${request_response.balance.toFixed(2)} (${request_result} ${request_response_code})"}},
	    {"execute":{"dest":"add","params":{"a":2,"b":3}}},
	    {"play":{"url":"say: sum ${return_value}"}},
	    {"label":"again"},
	    {"play":{"url":"say: loop"}},
	    {"goto":{"label":"again","max":2}},
	    {"play":{"url":"say: done"}}
	  ],
	  "add":[{"return":"${parseInt(params.a) + parseInt(params.b)}"}]}}`)
	r := playCall(t, site.url("/voice"), nil, nil, -1)
	want := []string{"Area 555, n 43", "Hello Ada, you owe 12.50 (success 200)", "sum 5", "loop", "loop", "loop", "done"}
	if !equal(r.said(), want) || r.s.Failed() {
		t.Errorf("said %q (errors %q), want %q", r.said(), r.errors(), want)
	}
	api := site.requests("/api")
	if len(api) != 1 || api[0].rawHeader.Get("X-Token") != "t1" || api[0].body["from"] != "+15551234567" {
		t.Errorf("request: %+v", api)
	}
}

func TestRecordAndConnectEvents(t *testing.T) {
	site := newSite(t)
	site.yaml("/voice", `version: 1.0.0
sections:
  main:
    - record:
        beep: true
        status_url: `+site.url("/rec")+`
    - play:
        url: 'say: recorded ${record_result}'
    - play:
        url: '${record_url}'
    - connect:
        to: '+15550001111'
        call_state_url: `+site.url("/state")+`
        call_state_events: [created, ringing, answered, ended]
    - play:
        url: 'say: connect ${connect_result}'
    - connect:
        to: '+15550002222'
        call_state_url: `+site.url("/state")+`
    - play:
        url: 'say: then ${connect_result} ${connect_failed_reason}'
`)
	r := playCall(t, site.url("/voice"), nil, []string{"answered", "busy"}, 7)
	want := []string{"recorded success", "connect connected", "then failed busy"}
	if !equal(r.said(), want) || r.s.Failed() {
		t.Errorf("said %q (errors %q), want %q", r.said(), r.errors(), want)
	}
	var states []string
	for _, h := range site.requests("/state") {
		p, _ := h.body["params"].(map[string]any)
		if h.body["event_type"] != "calling.call.state" || !h.valid || !h.sha256 {
			t.Errorf("state event %v valid %v/%v", h.body, h.valid, h.sha256)
		}
		states = append(states, p["call_state"].(string)+" "+text(p["end_reason"]))
	}
	if wantS := []string{"created ", "ringing ", "answered ", "ended hangup", "ended busy"}; !equal(states, wantS) {
		t.Errorf("call_state_url events %q, want %q", states, wantS)
	}
	rec := site.requests("/rec")
	if len(rec) != 2 || rec[1].body["event_type"] != "calling.call.record" || rec[1].body["params"].(map[string]any)["state"] != "finished" {
		t.Errorf("record events %+v", rec)
	}
	if plays := r.ev.Of(call.EvPlay); len(plays) != 2 || !strings.HasPrefix(plays[1].URL, "https://") {
		t.Errorf("the recording was not played back: %+v", plays)
	}
}

func TestDocumentErrors(t *testing.T) {
	site := newSite(t)
	site.json("/nomain", `{"version":"1.0.0","sections":{"start":[{"answer":{}}]}}`)
	site.json("/loop", `{"version":"1.0.0","sections":{"main":[{"answer":{}},{"set":{"x":"${(() => { for (;;) {} })()}"}},{"play":{"url":"say: never"}}]}}`)
	site.json("/unknown", `{"version":"1.0.0","sections":{"main":[{"answer":{}},{"plya":{}}]}}`)
	for _, c := range []struct{ path, name, detail string }{
		{"/nomain", "relay_script_main_section_missing", "no sections.main"},
		{"/loop", "relay_script_js_eval_error", "expression ran too long"},
		{"/unknown", "relay_script_method_undefined", `unknown method "plya"`},
	} {
		t.Run(c.path, func(t *testing.T) {
			r := playCall(t, site.url(c.path), nil, nil, -1)
			errs := r.errors()
			if !r.s.Failed() || len(errs) != 1 || !strings.HasPrefix(errs[0], c.name+": ") || !strings.Contains(errs[0], c.detail) {
				t.Errorf("errors %q, want one %s mentioning %q", errs, c.name, c.detail)
			}
			if len(r.said()) != 0 {
				t.Errorf("said %q after the error", r.said())
			}
		})
	}
}

func TestMessagingReply(t *testing.T) {
	site := newSite(t)
	site.yaml("/sms", `version: 1.0.0
sections:
  main:
    - switch:
        variable: message.body
        transform: lowercase_trim
        case:
          hours:
            - reply: 'We open at 9, %{message.from}'
        default:
          - reply:
              body: 'You said: %{message.body} ${1+1}'
          - reply: 'result %{reply_result}'
`)
	for _, c := range []struct{ body, want string }{{" HOURS ", "We open at 9, +15551234567"}, {"hi", "You said: hi ${1+1}"}} {
		s, ev := newSession(t, site.url("/sms"), nil, nil, -1)
		if err := Message(context.Background(), s, Inbound{Body: c.body}, Options{}); err != nil {
			t.Fatal(err)
		}
		sms := ev.Of(call.EvSMS)
		if len(sms) == 0 || sms[0].Text != c.want || sms[0].To != "+15551234567" || sms[0].From != "+15557654321" || s.Failed() {
			t.Errorf("%q: replies %+v (errors %+v)", c.body, sms, ev.Of(call.EvError))
		}
	}
	h := site.requests("/sms")[0]
	m, _ := h.body["message"].(map[string]any)
	if m["body"] != " HOURS " || m["from"] != "+15551234567" || !h.valid {
		t.Errorf("message fetch %v valid %v", h.body, h.valid)
	}
}
