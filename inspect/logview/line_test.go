package logview

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/termsafe"
)

// fmtLine is Line as it was written with fmt: the append-style Line must
// produce exactly the same text.
func fmtLine(x *exchange.Exchange, keySet bool, loc *time.Location) string {
	ev := string(x.Event.Kind)
	if ev == "" {
		ev = string(exchange.KindUnknown)
	}
	if x.Event.Detail != "" {
		ev += " " + x.Event.Detail
	}
	status := "-"
	if x.Response.Status != 0 {
		status = fmt.Sprintf("%d", x.Response.Status)
	} else if x.Response.Error != "" {
		status = "ERR"
	}
	path := x.Request.Path
	if x.Request.Query != "" {
		path += "?" + x.Request.Query
	}
	id := "#-"
	if x.ID != 0 {
		id = fmt.Sprintf("#%d", x.ID)
	}
	call := "-"
	if g := x.Call.Group(); g != "" {
		call = string([]rune(termsafe.String(g))[:min(8, len([]rune(termsafe.String(g))))])
	}
	line := fmt.Sprintf("%s %-8s %-6s %-6s %-28s %-26s %-11s %3s %7.1fms",
		x.Time.In(loc).Format("15:04:05.000"), call, id,
		termsafe.String(x.Request.Method), termsafe.String(truncate(path, 60)),
		termsafe.String(ev), Badge(x.Signature), status, x.Response.DurationMS)
	switch x.Source {
	case exchange.SourceReplay:
		if x.ReplayOf != 0 {
			line += fmt.Sprintf("  (replay of #%d)", x.ReplayOf)
		} else {
			line += "  (replay)"
		}
	case exchange.SourceTrigger:
		line += "  (trigger)"
	case exchange.SourceCall:
		line += "  (call)"
	}
	return line
}

func TestLineMatchesFmt(t *testing.T) {
	loc := time.FixedZone("X", 3600)
	ts := time.Date(2026, 11, 24, 19, 3, 4, 567_000_000, time.UTC)
	var cases []*exchange.Exchange
	for _, id := range []int64{0, 7, 123456, 12345678} {
		for _, status := range []int{0, 7, 200, 50312} {
			for _, d := range []float64{0, 0.04, 1.25, 99999.96, 123456789, math.Inf(1), math.NaN(), -1} {
				cases = append(cases, &exchange.Exchange{ID: id, Time: ts, Response: exchange.Response{Status: status, DurationMS: d}})
			}
		}
	}
	for _, m := range []string{"", "POST", "PROPFIND", "PÖST\x1b[2J"} {
		for _, p := range []string{"", "/voice", "/ünïcødé/pâth", "/" + string(make([]byte, 80)), "/a-very-long-path/that/goes/on/and/on/and/on/for/a/while/yes"} {
			for _, sig := range []exchange.SignatureStatus{exchange.SigValid, exchange.SigInvalid, exchange.SigMissing, exchange.SigUnchecked, "wéird"} {
				cases = append(cases, &exchange.Exchange{ID: 3, Time: ts,
					Request:   exchange.Request{Method: m, Path: p, Query: "a=ü"},
					Event:     exchange.Event{Kind: exchange.KindMessageStatus, Detail: "undelivered"},
					Signature: exchange.Signature{Status: sig}, Response: exchange.Response{Status: 200, DurationMS: 3.14}})
			}
		}
	}
	// Paths, queries and events around the column widths and the 60-rune
	// cut, ASCII and not, and clocks at every digit boundary.
	long := "/0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmn" // 61
	for _, p := range []string{"/", "/voice", long[:27], long[:28], long[:29], long[:59], long[:60], long, long[:40] + "é", "/ok\x7f"} {
		for _, q := range []string{"", "a=1", "tenant=acme&x=" + long[:20], "q=\u202e", "\t"} {
			for _, ev := range []exchange.Event{{}, {Kind: exchange.KindCallInbound}, {Kind: exchange.KindCallInbound, Detail: "ringing"},
				{Kind: exchange.KindMessageStatus, Detail: "undelivered"}, {Kind: "x", Detail: long[:30]}, {Kind: "ü", Detail: "r"}, {Kind: "k", Detail: "\x1b[2J"}} {
				cases = append(cases, &exchange.Exchange{ID: 5, Time: ts, Request: exchange.Request{Method: "POST", Path: p, Query: q}, Event: ev})
			}
		}
	}
	for _, tm := range []time.Time{time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 2, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(2026, 6, 30, 9, 9, 9, 9_999_999, time.UTC), time.Date(-5, 3, 1, 12, 30, 5, 100_000_001, time.UTC), {}} {
		cases = append(cases, &exchange.Exchange{ID: 1, Time: tm})
	}
	for _, src := range []exchange.Source{exchange.SourceTunnel, exchange.SourceReplay, exchange.SourceTrigger, exchange.SourceCall} {
		for _, of := range []int64{0, 42} {
			cases = append(cases, &exchange.Exchange{ID: 9, Time: ts, Source: src, ReplayOf: of})
		}
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		ny = time.FixedZone("half", -(3*3600 + 1800))
	}
	for _, x := range cases {
		for _, keySet := range []bool{false, true} {
			for _, l := range []*time.Location{loc, ny} {
				if got, want := Line(x, keySet, l), fmtLine(x, keySet, l); got != want {
					t.Errorf("Line:\n got %q\nwant %q", got, want)
				}
			}
		}
	}
}

func BenchmarkPlainExchange(b *testing.B) {
	x := &exchange.Exchange{ID: 1234, Time: time.Now(), Source: exchange.SourceTunnel,
		Request:   exchange.Request{Method: "POST", Path: "/voice"},
		Event:     exchange.Event{Kind: exchange.KindCallInbound},
		Signature: exchange.Signature{Status: exchange.SigValid},
		Response:  exchange.Response{Status: 200, DurationMS: 0.8}, ResponseCheck: exchange.Check{Status: exchange.CheckOK}}
	p := NewPlain(discard{}, true, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		p.Exchange(x)
	}
}

type discard struct{}

func (discard) Write(b []byte) (int, error) { return len(b), nil }

// realistic is what a signed inbound-call webhook becomes: an event with a
// detail, a path with a query, the local time zone as listen uses.
func realistic() *exchange.Exchange {
	return &exchange.Exchange{ID: 123456, Time: time.Date(2026, 11, 24, 19, 58, 1, 987654321, time.UTC), Source: exchange.SourceTunnel,
		Request:   exchange.Request{Method: "POST", Path: "/voice", Query: "tenant=acme"},
		Event:     exchange.Event{Kind: exchange.KindCallInbound, Detail: "ringing"},
		Signature: exchange.Signature{Status: exchange.SigValid},
		Response:  exchange.Response{Status: 200, DurationMS: 0.83}, ResponseCheck: exchange.Check{Status: exchange.CheckOK}}
}

func BenchmarkPlainExchangeRealistic(b *testing.B) {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		loc = time.FixedZone("EST", -5*3600)
	}
	x := realistic()
	p := NewPlain(discard{}, true, loc)
	b.ReportAllocs()
	for b.Loop() {
		p.Exchange(x)
	}
}

func BenchmarkNDJSONExchange(b *testing.B) {
	x := realistic()
	x.Request.Headers = map[string][]string{"Content-Type": {"application/x-www-form-urlencoded"}, "X-Signalwire-Signature": {"RSOYDt4T1cUTdK1PDd93/VVr8B8="}, "User-Agent": {"SignalWire"}}
	x.Request.Body = []byte("AccountSid=0b4f5e9a-1c2d-4e5f-8a9b-0c1d2e3f4a5b&CallSid=4c2a8e1f-3b5d-4f6a-9c8e-1d2f3a4b5c6d&CallStatus=ringing&From=%2B15557654321&To=%2B15551234567")
	x.Request.BodySize = int64(len(x.Request.Body))
	x.Response.Headers = map[string][]string{"Content-Type": {"text/xml"}}
	x.Response.Body = []byte("<Response></Response>")
	n := NewNDJSON(discard{})
	b.ReportAllocs()
	for b.Loop() {
		n.Exchange(x)
	}
}

// Each plain line carries a short label of its call, so interleaved calls
// can be told apart; a child leg's line carries its parent's.
func TestLineCallLabel(t *testing.T) {
	x := &exchange.Exchange{ID: 7, Time: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC),
		Call:    exchange.CallRef{ID: "f7817d58-aaaa", Parent: "57bf75f5-fd3e-4ce4-9dea-2ec5a3a7e952"},
		Request: exchange.Request{Method: "POST", Path: "/leg"}, Event: exchange.Event{Kind: exchange.KindCallStatus}}
	if got := Line(x, true, time.UTC); !strings.HasPrefix(got, "10:00:00.000 57bf75f5 #7 ") {
		t.Errorf("line %q", got)
	}
	x.Call = exchange.CallRef{ID: "\x1b[2Jé"}
	if got := Line(x, true, time.UTC); strings.Contains(got, "\x1b") {
		t.Errorf("call label not sanitised: %q", got)
	}
}

// The duration column's fast formatting gives strconv's text for every
// value: exact ties (0.25), near-ties, integers, tiny, large, negative,
// negative zero, NaN and the infinities.
func TestAppendTenthsMatchesStrconv(t *testing.T) {
	vals := []float64{0, math.Copysign(0, -1), 0.04, 0.05, 0.06, 0.15, 0.25, 0.35, 0.45, 0.75, 1.25, 2.5, 0.83, 9.95, 9.96, 99.95,
		999999.95, 1e9 - 0.05, 1e9, 1e9 + 0.05, 1e15, math.MaxFloat64, math.SmallestNonzeroFloat64, -0.04, -1.25, -7,
		math.Inf(1), math.Inf(-1), math.NaN(), math.Nextafter(0.25, 0), math.Nextafter(0.25, 1), math.Nextafter(3, 0)}
	r := rand.New(rand.NewPCG(3, 4))
	for range 300_000 {
		switch r.IntN(4) {
		case 0: // durations as listen measures them: nanoseconds over 1e6
			vals = append(vals, float64(r.Int64N(int64(10*time.Second)))/1e6)
		case 1: // ties and their neighbours
			v := float64(r.IntN(1e7))/10 + 0.05
			vals = append(vals, v, math.Nextafter(v, 0), math.Nextafter(v, math.Inf(1)))
		case 2:
			vals = append(vals, r.Float64()*math.Pow(10, float64(r.IntN(14)-3)))
		default:
			vals = append(vals, math.Float64frombits(r.Uint64()))
		}
	}
	for _, v := range vals {
		if got, want := string(appendTenths(nil, v)), strconv.FormatFloat(v, 'f', 1, 64); got != want {
			t.Fatalf("appendTenths(%v) = %q, want %q", v, got, want)
		}
	}
}

func FuzzAppendTenths(f *testing.F) {
	for _, v := range []float64{0, 0.25, 0.83, 9.95, 1e9, -1} {
		f.Add(math.Float64bits(v))
	}
	f.Fuzz(func(t *testing.T, bits uint64) {
		v := math.Float64frombits(bits)
		if got, want := string(appendTenths([]byte("x"), v)), "x"+strconv.FormatFloat(v, 'f', 1, 64); got != want {
			t.Fatalf("appendTenths(%v) = %q, want %q", v, got, want)
		}
	})
}
