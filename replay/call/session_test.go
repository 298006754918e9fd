package call

import (
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/delivery"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/signature/signaturetest"
)

const testKey = "PSK_test_key"

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

// seen is one request a test handler received, with its signature checked
// by the independent signer.
type seen struct {
	method, path string
	form         url.Values
	valid        bool
}

type recorder struct {
	mu   sync.Mutex
	reqs []seen
}

func (r *recorder) add(req *http.Request) url.Values {
	body, _ := io.ReadAll(req.Body)
	full := "http://" + req.Host + req.URL.RequestURI()
	ok := signaturetest.Valid(testKey, req.Method, full, req.Header, body)
	form, _ := url.ParseQuery(string(body))
	if req.Method == http.MethodGet {
		form = req.URL.Query()
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, seen{req.Method, req.URL.Path, form, ok})
	r.mu.Unlock()
	return form
}

func newSession(t *testing.T, cfg Config) (*Session, *Events, *memStore) {
	t.Helper()
	ev := &Events{}
	st := &memStore{}
	cfg.Key, cfg.Sink, cfg.Store = testKey, ev, st
	cfg.Rand = rand.New(rand.NewPCG(1, 2))
	s, err := NewSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, ev, st
}

func TestFetchSignsStoresAndFallsBack(t *testing.T) {
	rec := &recorder{}
	mux := http.NewServeMux()
	mux.HandleFunc("/voice", func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, "<Response><Say>x</Say></Response>")
	})
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		http.Error(w, "boom", 500)
	})
	mux.HandleFunc("/fallback", func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		w.Header().Set("Content-Type", "application/xml")
		io.WriteString(w, "<Response/>")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	s, ev, st := newSession(t, Config{URL: srv.URL + "/voice", FallbackURL: srv.URL + "/fallback"})
	ctx := context.Background()
	res := s.Fetch(ctx, Request{Purpose: delivery.Action, URL: s.VoiceURL(), Form: s.Params(nil), Label: "voice URL"})
	if !res.OK() || !strings.Contains(string(res.Body), "<Say>") {
		t.Fatalf("first fetch: %+v", res)
	}
	res = s.Fetch(ctx, Request{Purpose: delivery.Action, Method: "GET", URL: srv.URL + "/broken", Form: s.Params([][2]string{{"Digits", "1"}})})
	if !res.OK() || !res.FellBack || string(res.Body) != "<Response/>" {
		t.Fatalf("fallback: %+v", res)
	}
	if len(s.Errors()) != 1 || s.Errors()[0].Code != delivery.CodeHTTPStatus {
		t.Fatalf("errors %v, want one 11217", s.Errors())
	}
	if len(st.xs) != 3 || len(rec.reqs) != 3 {
		t.Fatalf("stored %d, handler saw %d, want 3", len(st.xs), len(rec.reqs))
	}
	for i, r := range rec.reqs {
		if !r.valid {
			t.Errorf("request %d to %s: signature does not verify", i, r.path)
		}
		if r.form.Get("CallSid") != s.CallSid() || r.form.Get("AccountSid") == "" || r.form.Get("ApiVersion") != APIVersion {
			t.Errorf("request %d: standard parameters %v", i, r.form)
		}
		if st.xs[i].Source != exchange.SourceCall {
			t.Errorf("stored source %q", st.xs[i].Source)
		}
	}
	if rec.reqs[1].method != "GET" || rec.reqs[1].form.Get("Digits") != "1" {
		t.Errorf("GET: %+v", rec.reqs[1])
	}
	if rec.reqs[2].method != "POST" || rec.reqs[2].form.Get("Digits") != "1" {
		t.Errorf("fallback is a POST with the same parameters: %+v", rec.reqs[2])
	}
	if len(ev.Of(EvFallback)) != 1 || len(ev.Of(EvError)) != 1 {
		t.Errorf("events %+v", ev.List)
	}
}

func TestStatusCallbackRetriedThreeTimes(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		w.WriteHeader(503)
	}))
	defer srv.Close()
	s, _, _ := newSession(t, Config{URL: srv.URL + "/v", StatusCallback: srv.URL + "/status"})
	s.Answer(context.Background())
	s.Hangup(context.Background(), "completed", "")
	if len(rec.reqs) != 3 {
		t.Fatalf("%d attempts, want 3", len(rec.reqs))
	}
	f := rec.reqs[0].form
	if f.Get("CallStatus") != "completed" || f.Get("CallDuration") != "0" || f.Get("SequenceNumber") != "0" || f.Get("Timestamp") == "" || f.Get("CallbackSource") != "call-progress-events" {
		t.Errorf("status callback %v", f)
	}
	if !s.Failed() || s.Errors()[0].Code != delivery.CodeHTTPStatus {
		t.Errorf("errors %v", s.Errors())
	}
}

// TestHangupAfterInterrupt: a call interrupted (Ctrl-C, SIGTERM) still
// sends its completed status callback and stores it, as SignalWire does
// when a caller hangs up, instead of failing it on the ended context and
// counting a made-up 11200.
func TestHangupAfterInterrupt(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { rec.add(r) }))
	defer srv.Close()
	s, ev, st := newSession(t, Config{URL: srv.URL + "/v", StatusCallback: srv.URL + "/status"})
	ctx, cancel := context.WithCancel(context.Background())
	s.Answer(ctx)
	cancel()
	s.Hangup(ctx, "canceled", "interrupted")
	if len(rec.reqs) != 1 || rec.reqs[0].form.Get("CallStatus") != "canceled" {
		t.Fatalf("status callbacks %+v", rec.reqs)
	}
	if s.Failed() || len(st.xs) != 1 || len(ev.Of(EvNote)) != 0 {
		t.Errorf("errors %v, stored %d, notes %+v", s.Errors(), len(st.xs), ev.Of(EvNote))
	}
}

func TestRedirectsAndTooMany(t *testing.T) {
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++
		http.Redirect(w, r, "/again", http.StatusFound)
	}))
	defer srv.Close()
	s, _, st := newSession(t, Config{URL: srv.URL + "/v"})
	res := s.Fetch(context.Background(), Request{Purpose: delivery.Action, URL: s.VoiceURL(), Form: s.Params(nil)})
	if res.Err == nil || res.Err.Code != delivery.CodeTooManyRedirects {
		t.Fatalf("err %v, want 11215", res.Err)
	}
	if n != 4 || len(st.xs) != 4 {
		t.Errorf("%d requests, %d stored; want the first and 3 redirects", n, len(st.xs))
	}
}

func TestReadTimeoutAndFragment(t *testing.T) {
	if testing.Short() {
		t.Skip("waits")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(1500 * time.Millisecond):
		case <-r.Context().Done():
		}
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, "<Response/>")
	}))
	defer srv.Close()
	s, _, _ := newSession(t, Config{URL: srv.URL + "/v#rt=1000"})
	start := time.Now()
	res := s.Fetch(context.Background(), Request{Purpose: delivery.Action, URL: s.VoiceURL(), Form: s.Params(nil)})
	if res.Err == nil || res.Err.Code != delivery.CodeTimeout {
		t.Fatalf("err %v, want 11200", res.Err)
	}
	if d := time.Since(start); d < time.Second || d > 1400*time.Millisecond {
		t.Errorf("gave up after %s, want the fragment's 1 s", d)
	}
	res = s.Fetch(context.Background(), Request{Purpose: delivery.Action, URL: srv.URL + "/v#rt=3000", Form: s.Params(nil)})
	if !res.OK() {
		t.Fatalf("rt=3000: %v", res.Err)
	}
}

func TestMaxSteps(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, "<Response/>")
	}))
	defer srv.Close()
	s, _, _ := newSession(t, Config{URL: srv.URL, MaxSteps: 2})
	for i := 0; i < 2; i++ {
		if r := s.Fetch(context.Background(), Request{URL: srv.URL}); !r.OK() {
			t.Fatal(r.Err)
		}
	}
	if r := s.Fetch(context.Background(), Request{URL: srv.URL}); !r.Stopped || !s.Failed() {
		t.Fatal("third fetch not stopped")
	}
}

func TestResolve(t *testing.T) {
	s, _, _ := newSession(t, Config{URL: "http://127.0.0.1:1/ivr/start"})
	for ref, want := range map[string]string{
		"":                            "http://127.0.0.1:1/ivr/start",
		"menu":                        "http://127.0.0.1:1/ivr/menu",
		"/menu?x=1":                   "http://127.0.0.1:1/menu?x=1",
		"http://other.test/a#rt=8000": "http://other.test/a#rt=8000",
	} {
		got, err := s.Resolve("http://127.0.0.1:1/ivr/start", ref)
		if err != nil || got != want {
			t.Errorf("Resolve(%q) = %q %v, want %q", ref, got, err, want)
		}
	}
	if _, err := s.Resolve("http://127.0.0.1:1/", "ftp://x/y"); err == nil {
		t.Error("ftp accepted")
	}
}

// TestExchangesKeepWallTime: the call's clock runs ahead when waits are
// skipped, but what is stored is stamped with the time it was sent.
func TestExchangesKeepWallTime(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, "<Response/>")
	}))
	defer srv.Close()
	wall := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s, _, st := newSession(t, Config{URL: srv.URL, Now: func() time.Time { return wall }, Clock: FastClock(func() time.Time { return wall })})
	s.Wait(context.Background(), time.Hour)
	s.Fetch(context.Background(), Request{URL: srv.URL})
	if got := st.xs[0].Time; !got.Equal(wall) {
		t.Errorf("stored at %s, want the wall clock's %s", got, wall)
	}
	if s.Elapsed() != time.Hour {
		t.Errorf("the call's clock is at %s, want 1h", s.Elapsed())
	}
}

// TestAnswerRules: a 302 on an action turns it into a parameterless GET;
// an answer over 64 kB is 11750; one without a Content-Type is 12300.
func TestAnswerRules(t *testing.T) {
	rec := &recorder{}
	mux := http.NewServeMux()
	mux.HandleFunc("/moved", func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		http.Redirect(w, r, "/new", http.StatusFound)
	})
	mux.HandleFunc("/new", func(w http.ResponseWriter, r *http.Request) {
		rec.add(r)
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, "<Response/>")
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, "<Response><Say>"+strings.Repeat("a", 70<<10)+"</Say></Response>")
	})
	mux.HandleFunc("/untyped", func(w http.ResponseWriter, r *http.Request) {
		w.Header()["Content-Type"] = nil // no sniffing either
		io.WriteString(w, "<Response/>")
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	s, ev, _ := newSession(t, Config{URL: srv.URL + "/moved"})
	ctx := context.Background()
	res := s.Fetch(ctx, Request{URL: srv.URL + "/moved", Form: s.Params([][2]string{{"Digits", "4"}})})
	if !res.OK() || len(rec.reqs) != 2 || rec.reqs[1].method != "GET" || rec.reqs[1].form.Get("Digits") != "" || !rec.reqs[1].valid {
		t.Fatalf("redirected: %+v %+v", res, rec.reqs)
	}
	if n := ev.Of(EvNote); len(n) != 1 || !strings.Contains(n[0].Text, "Digits too") {
		t.Errorf("notes %+v", n)
	}
	for path, code := range map[string]int{"/big": delivery.CodeTooLarge, "/untyped": delivery.CodeContentType} {
		if res := s.Fetch(ctx, Request{URL: srv.URL + path}); res.Err == nil || res.Err.Code != code {
			t.Errorf("%s: %v, want %d", path, res.Err, code)
		}
	}
}
