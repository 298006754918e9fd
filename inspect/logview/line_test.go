package logview

import (
	"fmt"
	"math"
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
	status := "ERR"
	if x.Response.Status != 0 {
		status = fmt.Sprintf("%d", x.Response.Status)
	}
	path := x.Request.Path
	if x.Request.Query != "" {
		path += "?" + x.Request.Query
	}
	id := "#-"
	if x.ID != 0 {
		id = fmt.Sprintf("#%d", x.ID)
	}
	line := fmt.Sprintf("%s %-6s %-6s %-28s %-26s %-11s %3s %7.1fms",
		x.Time.In(loc).Format("15:04:05.000"), id,
		termsafe.String(x.Request.Method), termsafe.String(truncate(path, 60)),
		termsafe.String(ev), Badge(x.Signature, keySet), status, x.Response.DurationMS)
	switch x.Source {
	case exchange.SourceReplay:
		if x.ReplayOf != 0 {
			line += fmt.Sprintf("  (replay of #%d)", x.ReplayOf)
		} else {
			line += "  (replay)"
		}
	case exchange.SourceTrigger:
		line += "  (trigger)"
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
	for _, src := range []exchange.Source{exchange.SourceTunnel, exchange.SourceReplay, exchange.SourceTrigger} {
		for _, of := range []int64{0, 42} {
			cases = append(cases, &exchange.Exchange{ID: 9, Time: ts, Source: src, ReplayOf: of})
		}
	}
	for _, x := range cases {
		for _, keySet := range []bool{false, true} {
			if got, want := Line(x, keySet, loc), fmtLine(x, keySet, loc); got != want {
				t.Errorf("Line:\n got %q\nwant %q", got, want)
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
