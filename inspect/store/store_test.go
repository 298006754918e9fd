package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
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

// Every field of Exchange, set alone, reads back through Get, Last and a
// summary List: the summary is written member by member (encodeSummary),
// leaving out zero values and what head and the columns carry, so a field
// added to Exchange that it does not write fails here, and so does an
// omission that loses a value.
func TestSummaryCarriesEveryField(t *testing.T) {
	ctx := context.Background()
	st, _ := openTemp(t, Options{})
	var leaves [][]int
	var walk func(t reflect.Type, path []int)
	walk = func(typ reflect.Type, path []int) {
		for i := range typ.NumField() {
			p := append(slices.Clone(path), i)
			if f := typ.Field(i).Type; f.Kind() == reflect.Struct && f != reflect.TypeFor[time.Time]() {
				walk(f, p)
				continue
			}
			leaves = append(leaves, p)
		}
	}
	walk(reflect.TypeFor[exchange.Exchange](), nil)
	if len(leaves) < 30 {
		t.Fatalf("only %d fields found", len(leaves))
	}
	const text = "ü <&> \"\\ \u2028 \u0085 \u202e"
	values := func(typ reflect.Type) []reflect.Value {
		v := func(x any) reflect.Value { return reflect.ValueOf(x).Convert(typ) }
		switch typ {
		case reflect.TypeFor[time.Time]():
			return []reflect.Value{v(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC))}
		case reflect.TypeFor[http.Header]():
			return []reflect.Value{v(http.Header{"K": {"v", ""}}), v(http.Header{})}
		case reflect.TypeFor[exchange.Body]():
			return []reflect.Value{v(exchange.Body("b\xff")), v(exchange.Body{})}
		}
		switch typ.Kind() {
		case reflect.String:
			return []reflect.Value{v(text)}
		case reflect.Int, reflect.Int64:
			return []reflect.Value{v(7), v(-1 << 40)}
		case reflect.Float64:
			return []reflect.Value{v(1.25), v(1.5e-7), v(1e21), v(-3.0)}
		case reflect.Bool:
			return []reflect.Value{v(true)}
		}
		t.Fatalf("no value for %v", typ)
		return nil
	}
	for _, leaf := range leaves {
		field := reflect.ValueOf(&exchange.Exchange{}).Elem().FieldByIndex(leaf)
		for _, val := range values(field.Type()) {
			x := &exchange.Exchange{}
			reflect.ValueOf(x).Elem().FieldByIndex(leaf).Set(val)
			if x.Call.Parent != "" {
				x.Call.ID = "own" // a parent alone reads back as the ID (scan, before migration 7)
			}
			name := fmt.Sprintf("%v=%v", reflect.TypeFor[exchange.Exchange]().FieldByIndex(leaf).Name, val)
			want := *x
			if err := st.Save(ctx, x); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			want.ID = x.ID
			check := func(how string, got *exchange.Exchange, want exchange.Exchange) {
				t.Helper()
				if !got.Time.Equal(want.Time) {
					t.Errorf("%s %s: time %v, want %v", how, name, got.Time, want.Time)
				}
				got.Time, want.Time = time.Time{}, time.Time{}
				if !reflect.DeepEqual(got, &want) {
					t.Errorf("%s %s: got %+v\nwant %+v", how, name, got, want)
				}
			}
			got, err := st.Get(ctx, x.ID)
			if err != nil {
				t.Fatal(err)
			}
			check("Get", got, want)
			if got, err = st.Last(ctx); err != nil {
				t.Fatal(err)
			}
			check("Last", got, want)
			xs, err := st.List(ctx, Query{Limit: 1, Summary: true})
			if err != nil || len(xs) != 1 {
				t.Fatalf("List: %v, %d rows", err, len(xs))
			}
			want.Request.Headers, want.Request.Body, want.Response.Headers, want.Response.Body = nil, nil, nil, nil
			check("summary", xs[0], want)
		}
	}
}

// A negative zero duration is a value of its own and reads back as one.
func TestSummaryNegativeZeroDuration(t *testing.T) {
	ctx := context.Background()
	st, _ := openTemp(t, Options{})
	x := &exchange.Exchange{Response: exchange.Response{DurationMS: math.Copysign(0, -1)}}
	if err := st.Save(ctx, x); err != nil {
		t.Fatal(err)
	}
	got, err := st.Get(ctx, x.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !math.Signbit(got.Response.DurationMS) {
		t.Errorf("duration %v, want -0", got.Response.DurationMS)
	}
}

// What exchange.AppendJSON writes and what the summary writes decode to
// the same exchange once scan's columns are laid over it: the summary is
// only shorter.
func TestSummaryDecodesAsFullJSON(t *testing.T) {
	own, child := benchExchange(), benchExchange()
	own.Call = exchange.CallRef{ID: "CA1"}
	child.Call = exchange.CallRef{ID: "CA2", Parent: "CA1"}
	for name, x := range map[string]*exchange.Exchange{"full": full(), "bench": benchExchange(), "zero": {}, "own call": own, "child leg": child} {
		requireSummaryDecodesAsFullJSON(t, name, x)
	}
}

func requireSummaryDecodesAsFullJSON(t *testing.T, name string, x *exchange.Exchange) {
	t.Helper()
	long, ok := exchange.AppendJSON(nil, x)
	short, err := encodeSummary(x)
	if !ok || err != nil {
		if ok || err == nil {
			t.Fatalf("%s: AppendJSON ok %v, encodeSummary %v", name, ok, err)
		}
		return // neither writes it (a duration that is not a number)
	}
	var a, b exchange.Exchange
	if err := json.Unmarshal(long, &a); err != nil {
		t.Fatal(name, err)
	}
	if err := json.Unmarshal(short, &b); err != nil {
		t.Fatalf("%s: %v in %s", name, err, short)
	}
	for _, y := range []*exchange.Exchange{&a, &b} { // what scan takes from elsewhere
		y.ID, y.Time = 0, time.Time{}
		y.Request.Method, y.Request.URL, y.Request.Path, y.Request.Query, y.Request.Host = "", "", "", "", ""
		y.Request.Headers, y.Request.Body, y.Response.Headers, y.Response.Body = nil, nil, nil, nil
		y.Event.Detail, y.Response.Error = "", ""
		if y.Call.ID == "" { // scan: the call_id column
			y.Call.ID = x.Call.Group()
		}
	}
	if !reflect.DeepEqual(a, b) || math.Signbit(a.Response.DurationMS) != math.Signbit(b.Response.DurationMS) {
		t.Errorf("%s: summary %s decodes as %+v, AppendJSON's as %+v", name, short, b, a)
	}
	if len(short) >= len(long) {
		t.Errorf("%s: summary %d bytes, AppendJSON %d", name, len(short), len(long))
	}
}

// FuzzSummaryDecodesAsFullJSON: whatever the strings hold (invalid UTF-8,
// controls, HTML) and whatever the numbers, the summary decodes as
// AppendJSON's document does.
func FuzzSummaryDecodesAsFullJSON(f *testing.F) {
	f.Add("tunnel", "http://127.0.0.1:4747", "CA1", "", "1.2.3.4:5", "valid", "hint \xff\u2028<", "ok", int64(700), int64(200), 1.2, true)
	f.Add("", "", "", "P", "", "", "", "", int64(0), int64(0), math.Copysign(0, -1), false)
	f.Add("\x85", "\u202e", "a\"b", "c\\d", "\x00", "\t", "&amp;", "\u0085", int64(-1), int64(1<<40), 1e21, false)
	f.Fuzz(func(t *testing.T, source, listener, call, parent, remote, status, hint, check string, size, num int64, dur float64, flag bool) {
		x := &exchange.Exchange{
			Source: exchange.Source(source), ReplayOf: num, Forward: hint, Listener: listener,
			Call:          exchange.CallRef{ID: call, Parent: parent},
			Request:       exchange.Request{Method: hint, URL: listener, Path: call, BodySize: size, Truncated: flag, RemoteAddr: remote},
			Event:         exchange.Event{Kind: exchange.Kind(status), Detail: hint},
			Signature:     exchange.Signature{Status: exchange.SignatureStatus(status), Scheme: source, Header: remote, Hint: hint},
			Response:      exchange.Response{Status: int(num), BodySize: size, Truncated: !flag, DurationMS: dur, Error: hint, Forwarded: flag},
			ResponseCheck: exchange.Check{Status: exchange.CheckStatus(check), Message: hint},
		}
		requireSummaryDecodesAsFullJSON(t, "fuzz", x)
	})
}

// A duration that is not a number cannot be stored: Save says so, as
// json.Marshal's refusal did, rather than write a summary no reader takes.
func TestSaveRefusesDurationNotANumber(t *testing.T) {
	ctx := context.Background()
	st, _ := openTemp(t, Options{})
	for _, d := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if err := st.Save(ctx, &exchange.Exchange{Response: exchange.Response{DurationMS: d}}); err == nil {
			t.Errorf("Save with duration %v: no error", d)
		}
	}
	if n, err := st.Count(ctx, Query{}); err != nil || n != 0 {
		t.Errorf("count %d, %v", n, err)
	}
}

// A call ID that is not UTF-8 (a sender's %83) reads back as it always
// has, from the summary (U+FFFD), while call_id groups by its bytes.
func TestCallIDNotUTF8ReadsBackAsBefore(t *testing.T) {
	ctx := context.Background()
	st, _ := openTemp(t, Options{})
	x := &exchange.Exchange{Call: exchange.CallRef{ID: "CA\x83"}}
	if err := st.Save(ctx, x); err != nil {
		t.Fatal(err)
	}
	got, err := st.Get(ctx, x.ID)
	if err != nil || got.Call.ID != "CA\uFFFD" {
		t.Fatalf("call %q, %v", got.Call.ID, err)
	}
	if xs, err := st.List(ctx, Query{Call: "CA\x83", Summary: true}); err != nil || len(xs) != 1 {
		t.Errorf("List by call: %d rows, %v", len(xs), err)
	}
}
