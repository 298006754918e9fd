package tui

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/timeline"
	"github.com/swhook/swhook/inspect/tui/filter"
	"github.com/swhook/swhook/inspect/tui/theme"
)

// memSource is an in-memory Source: test data behind the view's own
// interface.
type memSource struct {
	mu   sync.Mutex
	xs   map[int64]*exchange.Exchange
	gets int
}

func newMemSource(xs ...*exchange.Exchange) *memSource {
	s := &memSource{xs: map[int64]*exchange.Exchange{}}
	for _, x := range xs {
		s.xs[x.ID] = x
	}
	return s
}

func (s *memSource) put(x *exchange.Exchange) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.xs[x.ID] = x
}

func (s *memSource) List(ctx context.Context, before int64, limit int) ([]*exchange.Exchange, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []int64
	for id := range s.xs {
		if before == 0 || id < before {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] > ids[j] })
	if limit > 0 && len(ids) > limit {
		ids = ids[:limit]
	}
	out := make([]*exchange.Exchange, len(ids))
	for i, id := range ids {
		out[i] = s.xs[id]
	}
	return out, nil
}

func (s *memSource) Get(ctx context.Context, id int64) (*exchange.Exchange, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gets++
	x, ok := s.xs[id]
	if !ok {
		return nil, errors.New("no such exchange")
	}
	return x, nil
}

var t0 = time.Date(2026, 11, 24, 17, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return t0.Add(time.Hour) }

// sample builds a realistic exchange.
func sample(id int64, path string, kind exchange.Kind, detail string, sig exchange.SignatureStatus, status int) *exchange.Exchange {
	body := "CallSid=CA" + "1234&CallStatus=" + detail + "&From=%2B15551230000&To=%2B15559870000"
	x := &exchange.Exchange{
		ID:     id,
		Time:   t0.Add(time.Duration(id) * time.Second),
		Source: exchange.SourceTunnel,
		Request: exchange.Request{
			Method: "POST",
			URL:    "https://abc123.ngrok-free.app" + path,
			Path:   path,
			Headers: http.Header{
				"Content-Type":           {"application/x-www-form-urlencoded"},
				"X-Signalwire-Signature": {"RSOYDt4T1cUTdK1PDd93/VVr8B8="},
			},
			Body:       exchange.Body(body),
			BodySize:   int64(len(body)),
			RemoteAddr: "203.0.113.9:5123",
		},
		Event:     exchange.Event{Kind: kind, Detail: detail},
		Signature: exchange.Signature{Status: sig, Scheme: "form-sha1", Header: "X-Signalwire-Signature"},
		Response: exchange.Response{
			Status:     status,
			Headers:    http.Header{"Content-Type": {"application/xml"}},
			Body:       exchange.Body("<?xml version=\"1.0\"?><Response><Say>Hi</Say></Response>"),
			DurationMS: 12.5,
			Forwarded:  true,
		},
		ResponseCheck: exchange.Check{Status: exchange.CheckOK},
	}
	if sig == exchange.SigInvalid {
		x.Signature.Hint = "The URL signed was probably http://abc123.ngrok-free.app" + path + " (scheme differs): check the webhook URL in the dashboard."
	}
	if sig == exchange.SigMissing || sig == exchange.SigUnchecked {
		x.Signature.Scheme, x.Signature.Header = "", ""
		if sig == exchange.SigMissing {
			delete(x.Request.Headers, "X-Signalwire-Signature")
		}
	}
	return x
}

// fixture is one row per badge, plus a handler error, a warning and a replay.
func fixture() []*exchange.Exchange {
	xs := []*exchange.Exchange{
		sample(1, "/voice", exchange.KindCallInbound, "", exchange.SigValid, 200),
		sample(2, "/status", exchange.KindCallStatus, "ringing", exchange.SigInvalid, 200),
		sample(3, "/sms", exchange.KindMessageStatus, "delivered", exchange.SigMissing, 404),
		sample(4, "/swml", exchange.KindSWMLCall, "", exchange.SigUnchecked, 0),
		sample(5, "/voice", exchange.KindCallInbound, "", exchange.SigValid, 200),
		sample(6, "/recording", exchange.KindRecordingStatus, "completed", exchange.SigValid, 500),
	}
	xs[3].Response = exchange.Response{Error: "dial tcp 127.0.0.1:3000: connect: connection refused", DurationMS: 0.4}
	xs[3].Request.Method = "GET"
	xs[4].ResponseCheck = exchange.Check{Status: exchange.CheckWarning, Message: "the answer is not a cXML <Response> document"}
	xs[4].Source = exchange.SourceReplay
	xs[4].ReplayOf = 1
	xs[5].Response.DurationMS = 1534
	return xs
}

// sentFixture is the fixture plus what `swhook trigger --to` a running
// listen leaves in the shared store: the copy listen received (#7), then
// the one trigger sent (#8).
func sentFixture() []*exchange.Exchange {
	xs := fixture()
	recv := sample(7, "/voice", exchange.KindCallInbound, "", exchange.SigValid, 200)
	recv.Source = exchange.SourceLocal
	recv.Request.URL = "http://127.0.0.1:4747/voice"
	recv.Request.RemoteAddr = "127.0.0.1:53100"
	recv.Request.Headers.Set("User-Agent", "swhook-trigger")
	sent := sample(8, "/voice", exchange.KindCallInbound, "", exchange.SigValid, 200)
	sent.Source = exchange.SourceTrigger
	sent.Request.URL = "http://127.0.0.1:4747/voice"
	sent.Request.RemoteAddr = ""
	sent.Request.Headers.Set("User-Agent", "swhook-trigger")
	sent.Response.DurationMS = 14.2
	return append(xs, recv, sent)
}

func plainStyles() *theme.Styles {
	s := theme.Plain()
	return &s
}

// newTestModel builds a model over src with fixed clock, UTC and no colour.
func newTestModel(src Source, feed chan *exchange.Exchange, mod func(*Config)) *Model {
	cfg := Config{
		Context:  context.Background(),
		Source:   src,
		Info:     HeaderInfo{PublicURL: "https://abc123.ngrok-free.app", LocalURL: "http://127.0.0.1:4747", Forward: "http://127.0.0.1:3000", KeySet: true},
		Now:      fixedNow,
		Location: time.UTC,
		Styles:   plainStyles(),
	}
	if feed != nil {
		cfg.Feed = feed
	}
	if mod != nil {
		mod(&cfg)
	}
	m := New(cfg)
	m.after = func(time.Duration, tea.Msg) tea.Cmd { return nil }
	return m
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// boundedSource is a memSource that also says which rows it still holds
// (what the store adapter does with MIN(id)), and can drop rows the way
// --keep pruning and `swhook clear` do in another process.
type boundedSource struct{ *memSource }

func (s boundedSource) Oldest(ctx context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var low int64
	for id := range s.xs {
		if low == 0 || id < low {
			low = id
		}
	}
	return low, nil
}

func (s boundedSource) dropBelow(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.xs {
		if k < id {
			delete(s.xs, k)
		}
	}
}

// callMemSource is a memSource that also groups its rows into calls, as
// the store does by its call index.
type callMemSource struct{ *memSource }

func (s callMemSource) Call(ctx context.Context, id string) ([]*exchange.Exchange, error) {
	all, _ := s.List(ctx, 0, 0)
	var out []*exchange.Exchange
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].Call.Group() == id {
			out = append(out, all[i])
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no such call")
	}
	return out, nil
}

func (s callMemSource) Calls(ctx context.Context, f filter.Filter, before int64, limit int) ([]timeline.Summary, error) {
	all, _ := s.List(ctx, 0, 0)
	seen := map[string]bool{}
	var out []timeline.Summary
	for _, x := range all { // newest first
		g := x.Call.Group()
		if g == "" || seen[g] {
			continue
		}
		seen[g] = true
		xs, _ := s.Call(ctx, g)
		if !slices.ContainsFunc(xs, f.Match) {
			continue
		}
		if sum := timeline.Summarize(g, xs); before == 0 || sum.NewestID < before {
			out = append(out, sum)
		}
	}
	return out[:min(len(out), limit)], nil
}

// callFixture is two interleaved calls — the first with a Dial whose
// child leg's status callbacks name it as parent — and a message.
func callFixture() []*exchange.Exchange {
	a, b := "3f2a9c1e-5d4b-4a6f-8e7d-1c2b3a4f5e6d", "b7c8d9e0-1f2a-4b3c-8d4e-5f6a7b8c9d0e"
	leg := "7c2f3c38-0a6e-4d8f-8e0e-6f7a4d3b2c1d"
	at := func(x *exchange.Exchange, sec float64, call exchange.CallRef) *exchange.Exchange {
		x.Time = t0.Add(time.Duration(sec * float64(time.Second)))
		x.Call = call
		return x
	}
	gather := sample(3, "/menu", exchange.KindCallInbound, "gather", exchange.SigValid, 200)
	gather.Request.Body = exchange.Body("CallSid=" + a + "&Digits=1")
	dial := sample(7, "/dialed", exchange.KindCallInbound, "dial", exchange.SigValid, 200)
	dial.Request.Body = exchange.Body("CallSid=" + a + "&DialCallStatus=busy")
	done := sample(8, "/status", exchange.KindCallStatus, "completed", exchange.SigValid, 204)
	done.Request.Body = exchange.Body("CallSid=" + a + "&CallStatus=completed&CallDuration=14")
	return []*exchange.Exchange{
		at(sample(1, "/voice", exchange.KindCallInbound, "ringing", exchange.SigValid, 200), 0, exchange.CallRef{ID: a}),
		at(sample(2, "/voice", exchange.KindCallInbound, "ringing", exchange.SigValid, 200), 1, exchange.CallRef{ID: b}),
		at(gather, 4.8, exchange.CallRef{ID: a}),
		at(sample(4, "/leg", exchange.KindCallStatus, "ringing", exchange.SigValid, 204), 5, exchange.CallRef{ID: leg, Parent: a}),
		at(sample(5, "/status", exchange.KindCallStatus, "completed", exchange.SigInvalid, 204), 6, exchange.CallRef{ID: b}),
		at(sample(6, "/leg", exchange.KindCallStatus, "busy", exchange.SigValid, 204), 9, exchange.CallRef{ID: leg, Parent: a}),
		at(dial, 9.1, exchange.CallRef{ID: a}),
		at(done, 14, exchange.CallRef{ID: a}),
		at(sample(9, "/sms", exchange.KindMessageInbound, "received", exchange.SigValid, 200), 15, exchange.CallRef{ID: "0a059168-ead0-41af-9d1f-343dae832527"}),
	}
}

// pagedSource is a memSource that also reads forward, oldest first.
type pagedSource struct{ *memSource }

func (s pagedSource) ListAfter(ctx context.Context, after int64, limit int) ([]*exchange.Exchange, error) {
	all, _ := s.List(ctx, 0, 0)
	var out []*exchange.Exchange
	for i := len(all) - 1; i >= 0 && len(out) < limit; i-- {
		if all[i].ID > after {
			out = append(out, all[i])
		}
	}
	return out, nil
}
