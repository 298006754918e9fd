package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/exchange"
)

func openTemp(t testing.TB, opts Options) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "swhook.db")
	st, err := Open(context.Background(), path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, path
}

// full builds an exchange with every field set, including awkward ones.
func full() *exchange.Exchange {
	return &exchange.Exchange{
		Time:     time.Date(2026, 11, 22, 10, 0, 0, 123456789, time.UTC),
		Source:   exchange.SourceReplay,
		ReplayOf: 17,
		Forward:  "http://localhost:3000",
		Request: exchange.Request{
			Method:     "POST",
			URL:        "https://example.ngrok.app/voice?x=1",
			Path:       "/voice",
			Query:      "x=1",
			Host:       "example.ngrok.app",
			Headers:    http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "X-Multi": {"a", "b", "a"}},
			Body:       exchange.Body{0x00, 0xff, 0xfe, 'h', 'i', 0x1b, '['},
			BodySize:   12345,
			Truncated:  true,
			RemoteAddr: "127.0.0.1:5555",
		},
		Event:     exchange.Event{Kind: exchange.KindCallStatus, Detail: "ringing"},
		Signature: exchange.Signature{Status: exchange.SigInvalid, Scheme: "form-sha1", Header: "X-SignalWire-Signature", Hint: "URL differs"},
		Response: exchange.Response{
			Status:     502,
			Headers:    http.Header{"Set-Cookie": {"a=1", "b=2"}},
			Body:       exchange.Body("<Response/>"),
			BodySize:   11,
			Truncated:  true,
			DurationMS: 12.5,
			Error:      "connection refused",
			Forwarded:  true,
		},
		ResponseCheck: exchange.Check{Status: exchange.CheckError, Message: "not XML"},
	}
}

func TestRoundTripEveryField(t *testing.T) {
	ctx := context.Background()
	st, _ := openTemp(t, Options{})
	cases := map[string]*exchange.Exchange{
		"full":  full(),
		"zero":  {},
		"empty": {Request: exchange.Request{Headers: http.Header{}, Body: exchange.Body{}}, Response: exchange.Response{Body: exchange.Body{}}},
		"local": func() *exchange.Exchange {
			x := full()
			x.Time = time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 3600))
			return x
		}(),
	}
	for name, x := range cases {
		t.Run(name, func(t *testing.T) {
			want := *x
			if err := st.Save(ctx, x); err != nil {
				t.Fatal(err)
			}
			if x.ID <= 0 {
				t.Fatalf("Save set ID %d", x.ID)
			}
			got, err := st.Get(ctx, x.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Time.Equal(want.Time) {
				t.Errorf("time %v, want %v", got.Time, want.Time)
			}
			want.ID = x.ID
			want.Time, got.Time = time.Time{}, time.Time{}
			if !reflect.DeepEqual(got, &want) {
				g, _ := json.Marshal(got)
				w, _ := json.Marshal(&want)
				t.Errorf("round trip differs:\n got %s\nwant %s", g, w)
			}
			if x.Time.IsZero() {
				g, _ := st.Get(ctx, x.ID)
				if !g.Time.IsZero() {
					t.Errorf("zero time came back as %v", g.Time)
				}
			}
		})
	}
}

func TestSummaryLeavesOutBodiesAndHeaders(t *testing.T) {
	ctx := context.Background()
	st, _ := openTemp(t, Options{})
	x := full()
	if err := st.Save(ctx, x); err != nil {
		t.Fatal(err)
	}
	xs, err := st.List(ctx, Query{Summary: true})
	if err != nil || len(xs) != 1 {
		t.Fatalf("List: %v, %d rows", err, len(xs))
	}
	s := xs[0]
	if s.Request.Body != nil || s.Response.Body != nil || s.Request.Headers != nil || s.Response.Headers != nil {
		t.Errorf("summary carries bodies or headers: %+v", s)
	}
	if s.Request.Path != "/voice" || s.Event.Detail != "ringing" || s.Signature.Hint != "URL differs" || s.Request.BodySize != 12345 || !s.Time.Equal(x.Time) {
		t.Errorf("summary lost fields: %+v", s)
	}
}

func TestGetLastNotFound(t *testing.T) {
	ctx := context.Background()
	st, _ := openTemp(t, Options{})
	if _, err := st.Last(ctx); !errors.Is(err, ErrNotFound) {
		t.Errorf("Last on empty: %v", err)
	}
	if _, err := st.Get(ctx, 3); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get missing: %v", err)
	}
	if id, err := st.LatestID(ctx); err != nil || id != 0 {
		t.Errorf("LatestID on empty = %d, %v", id, err)
	}
	for i := 0; i < 3; i++ {
		if err := st.Save(ctx, &exchange.Exchange{Request: exchange.Request{Path: fmt.Sprint("/", i)}}); err != nil {
			t.Fatal(err)
		}
	}
	last, err := st.Last(ctx)
	if err != nil || last.ID != 3 || last.Request.Path != "/2" {
		t.Errorf("Last = %+v, %v", last, err)
	}
	if id, _ := st.LatestID(ctx); id != 3 {
		t.Errorf("LatestID = %d", id)
	}
}

func TestConcurrentSave(t *testing.T) {
	ctx := context.Background()
	st, _ := openTemp(t, Options{})
	const G, N = 16, 50
	var wg sync.WaitGroup
	ids := make(chan int64, G*N)
	for g := 0; g < G; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < N; i++ {
				x := &exchange.Exchange{Request: exchange.Request{Path: fmt.Sprintf("/%d/%d", g, i)}}
				if err := st.Save(ctx, x); err != nil {
					t.Error(err)
					return
				}
				ids <- x.ID
			}
		}()
	}
	wg.Wait()
	close(ids)
	seen := map[int64]bool{}
	for id := range ids {
		if seen[id] {
			t.Fatalf("ID %d handed out twice", id)
		}
		seen[id] = true
	}
	if n, _ := st.Count(ctx, Query{}); n != G*N || len(seen) != G*N {
		t.Errorf("count %d, ids %d, want %d", n, len(seen), G*N)
	}
}

func TestMain(m *testing.M) {
	if os.Getenv(crashEnv) != "" {
		crashChild()
		return
	}
	os.Exit(m.Run())
}

// The summary column is written from summaryDoc, not exchange.Exchange: a
// field added to Exchange must be added there too, or it is lost on Save.
func TestSummaryDocCoversExchange(t *testing.T) {
	doc := reflect.TypeOf(summaryDoc{})
	ex := reflect.TypeOf(exchange.Exchange{})
	for i := range ex.NumField() {
		f := ex.Field(i)
		if f.Name == "ID" || f.Name == "Time" { // columns of their own
			continue
		}
		g, ok := doc.FieldByName(f.Name)
		if !ok || g.Tag != f.Tag {
			t.Errorf("summaryDoc lacks exchange.Exchange.%s (tag %q)", f.Name, f.Tag)
		}
	}
	if doc.NumField() != ex.NumField()-2 {
		t.Errorf("summaryDoc has %d fields, exchange.Exchange %d", doc.NumField(), ex.NumField())
	}
}
