package cxml

import (
	"context"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/signature/signaturetest"
	"github.com/swhook/swhook/replay/call"
)

const testKey = "PSK_cxml_test"

// el builds cXML in tests, independently of the parser under test.
type el struct {
	name  string
	attrs [][2]string
	text  string
	kids  []el
}

func E(name string, attrs ...string) el {
	e := el{name: name}
	for i := 0; i+1 < len(attrs); i += 2 {
		e.attrs = append(e.attrs, [2]string{attrs[i], attrs[i+1]})
	}
	return e
}

func (e el) T(text string) el { e.text = text; return e }
func (e el) K(kids ...el) el  { e.kids = append(e.kids, kids...); return e }
func Resp(verbs ...el) string {
	return `<?xml version="1.0" encoding="UTF-8"?>` + E("Response").K(verbs...).String()
}
func (e el) String() string {
	var b strings.Builder
	b.WriteString("<" + e.name)
	for _, a := range e.attrs {
		fmt.Fprintf(&b, ` %s="%s"`, a[0], html.EscapeString(a[1]))
	}
	if e.text == "" && len(e.kids) == 0 {
		b.WriteString("/>")
		return b.String()
	}
	b.WriteString(">" + html.EscapeString(e.text))
	for _, k := range e.kids {
		b.WriteString(k.String())
	}
	b.WriteString("</" + e.name + ">")
	return b.String()
}

// hit is one request a handler received, its signature checked by the
// independent signer in signaturetest.
type hit struct {
	Method, Path string
	Form         url.Values
	Valid        bool
}

// app is a handler whose routes build cXML from what they are sent.
type app struct {
	t      testing.TB
	mu     sync.Mutex
	hits   []hit
	routes map[string]func(url.Values) string
	srv    *httptest.Server
	delay  map[string]time.Duration
	status map[string]int
}

func newApp(t testing.TB) *app {
	a := &app{t: t, routes: map[string]func(url.Values) string{}, delay: map[string]time.Duration{}, status: map[string]int{}}
	a.srv = httptest.NewServer(a)
	t.Cleanup(a.srv.Close)
	return a
}

func (a *app) route(path string, f func(url.Values) string) { a.routes[path] = f }
func (a *app) url(path string) string                       { return a.srv.URL + path }

func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	ok := signaturetest.Valid(testKey, r.Method, "http://"+r.Host+r.URL.RequestURI(), r.Header, body)
	form, _ := url.ParseQuery(string(body))
	if r.Method == http.MethodGet {
		form = r.URL.Query()
	}
	a.mu.Lock()
	a.hits = append(a.hits, hit{r.Method, r.URL.Path, form, ok})
	f := a.routes[r.URL.Path]
	d, st := a.delay[r.URL.Path], a.status[r.URL.Path]
	a.mu.Unlock()
	if d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
	}
	if st != 0 {
		w.WriteHeader(st)
		return
	}
	if f == nil {
		w.WriteHeader(http.StatusNoContent) // a status callback endpoint
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	io.WriteString(w, f(form))
}

func (a *app) paths() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, h := range a.hits {
		out = append(out, h.Path)
	}
	return out
}

func (a *app) to(path string) []hit {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []hit
	for _, h := range a.hits {
		if h.Path == path {
			out = append(out, h)
		}
	}
	return out
}

// checkSigned fails the test for any request whose signature does not
// verify or that is not of the one call.
func (a *app) checkSigned(callSid string) {
	a.t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	for i, h := range a.hits {
		if !h.Valid {
			a.t.Errorf("request %d (%s %s): signature does not verify", i, h.Method, h.Path)
		}
		if callSid != "" && h.Form.Get("CallSid") != callSid && h.Form.Get("ParentCallSid") != callSid {
			a.t.Errorf("request %d (%s): CallSid %q, want %q", i, h.Path, h.Form.Get("CallSid"), callSid)
		}
	}
}

type memStore struct {
	mu sync.Mutex
	xs []*exchange.Exchange
}

func (m *memStore) Save(_ context.Context, x *exchange.Exchange) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	x.ID = int64(len(m.xs) + 1)
	m.xs = append(m.xs, x)
	return nil
}

type run struct {
	s   *call.Session
	ev  *call.Events
	st  *memStore
	out string
}

func play(t testing.TB, cfg call.Config, inputs, dials []string, record int) run {
	t.Helper()
	caller, err := call.NewScript(inputs, dials, record, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	ev, st := &call.Events{}, &memStore{}
	var text strings.Builder
	cfg.Key, cfg.Caller, cfg.Store = testKey, caller, st
	cfg.Sink = multi{ev, call.TextSink{W: &text}}
	cfg.Rand = rand.New(rand.NewPCG(7, 7))
	if cfg.Caller == nil {
		cfg.Caller = caller
	}
	s, err := call.NewSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	Voice(context.Background(), s)
	return run{s, ev, st, text.String()}
}

type multi []call.Sink

func (m multi) Emit(e call.Event) {
	for _, s := range m {
		s.Emit(e)
	}
}

func (r run) said() []string {
	var out []string
	for _, e := range r.ev.Of(call.EvSay) {
		out = append(out, e.Text)
	}
	return out
}

func (r run) codes() []int {
	var out []int
	for _, e := range r.s.Errors() {
		out = append(out, e.Code)
	}
	return out
}
