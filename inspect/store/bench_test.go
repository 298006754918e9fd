package store

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/exchange"
)

// benchExchange is a typical webhook: a form post of about 700 bytes and a
// small cXML answer.
func benchExchange() *exchange.Exchange {
	body := "AccountSid=AC" + strings.Repeat("0", 32) + "&ApiVersion=2010-04-01&CallSid=CA" + strings.Repeat("1", 32) +
		"&CallStatus=ringing&Called=%2B18005551212&Caller=%2B14158675309&Direction=inbound&From=%2B14158675309&To=%2B18005551212" +
		strings.Repeat("&Extra=padding-to-a-realistic-size", 14)
	return &exchange.Exchange{
		Time:   time.Now(),
		Source: exchange.SourceTunnel,
		Request: exchange.Request{
			Method: "POST", URL: "https://abc.ngrok.app/voice", Path: "/voice",
			Headers: http.Header{
				"Content-Type":           {"application/x-www-form-urlencoded"},
				"X-Signalwire-Signature": {"RSOYDt4T1cUTdK1PDd93/VVr8B8="},
				"User-Agent":             {"SignalWire"},
				"X-Forwarded-For":        {"203.0.113.7"},
			},
			Body: exchange.Body(body), BodySize: int64(len(body)),
		},
		Event:     exchange.Event{Kind: exchange.KindCallInbound},
		Signature: exchange.Signature{Status: exchange.SigValid, Scheme: "form-sha1", Header: "X-SignalWire-Signature"},
		Response: exchange.Response{Status: 200, Headers: http.Header{"Content-Type": {"text/xml"}},
			Body: exchange.Body("<Response><Say>Hello</Say></Response>"), BodySize: 37, DurationMS: 1.2, Forwarded: true},
		ResponseCheck: exchange.Check{Status: exchange.CheckOK},
	}
}

// BenchmarkSaveParallel measures durable Save throughput with many
// concurrent savers (group commit at work). Run with -cpu and see
// ns/op fall as batches grow.
func BenchmarkSaveParallel(b *testing.B) {
	for _, c := range []struct {
		name          string
		full, journal bool
	}{
		{"sync=NORMAL", false, false},
		{"sync=FULL", true, false},
		{"journal", false, true},
		{"journal+sync=FULL", true, true},
	} {
		b.Run(c.name, func(b *testing.B) {
			st, _ := openTemp(b, Options{FullSync: c.full, Journal: c.journal, Keep: 10_000})
			ctx := context.Background()
			b.SetParallelism(8) // 8×GOMAXPROCS savers, as many webhooks in flight
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := st.Save(ctx, benchExchange()); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.StopTimer()
			if c := st.commits.Load(); c > 0 {
				b.ReportMetric(float64(st.rows.Load())/float64(c), "rows/commit")
			}
		})
	}
}

// BenchmarkSaveSerial is one saver at a time: the latency a lone webhook pays.
func BenchmarkSaveSerial(b *testing.B) {
	st, _ := openTemp(b, Options{})
	ctx := context.Background()
	x := benchExchange()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := st.Save(ctx, x); err != nil {
			b.Fatal(err)
		}
	}
}

// seedRows fills a store fast, bypassing the writer, for read benchmarks.
func seedRows(b *testing.B, n int) *Store {
	b.Helper()
	path := filepath.Join(b.TempDir(), "bench.db")
	st, err := Open(context.Background(), path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	x := benchExchange()
	kinds := exchange.Kinds
	const chunk = 5000
	for done := 0; done < n; done += chunk {
		reqs := make([]*writeReq, 0, chunk)
		for i := done; i < min(n, done+chunk); i++ {
			x.Event.Kind = kinds[i%len(kinds)]
			row, err := encode(x)
			if err != nil {
				b.Fatal(err)
			}
			reqs = append(reqs, &writeReq{row: row})
		}
		conn, err := st.db().Conn(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		ins, err := prepareInserts(context.Background(), conn)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := insertRows(context.Background(), conn, ins, reqs, 0); err != nil {
			b.Fatal(err)
		}
		ins.Close()
		conn.Close()
	}
	return st
}

// BenchmarkListSummaryPage is the TUI paging back through 100 000 rows, a
// page of 100 at a time.
func BenchmarkListSummaryPage(b *testing.B) {
	st := seedRows(b, 100_000)
	ctx := context.Background()
	b.Run("newest", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			xs, err := st.List(ctx, Query{Limit: 100, Summary: true})
			if err != nil || len(xs) != 100 {
				b.Fatal(len(xs), err)
			}
		}
	})
	b.Run("deep page", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			xs, err := st.List(ctx, Query{Limit: 100, BeforeID: 5000, Summary: true})
			if err != nil || len(xs) != 100 {
				b.Fatal(len(xs), err)
			}
		}
	})
	b.Run("filtered kind", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			xs, err := st.List(ctx, Query{Limit: 100, Kind: "fax", Summary: true})
			if err != nil || len(xs) != 100 {
				b.Fatal(len(xs), err)
			}
		}
	})
	b.Run("filtered exact kind", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			xs, err := st.List(ctx, Query{Limit: 100, Kind: "fax.status", Summary: true})
			if err != nil || len(xs) != 100 {
				b.Fatal(len(xs), err)
			}
		}
	})
	b.Run("filtered prefix", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			xs, err := st.List(ctx, Query{Limit: 100, Kind: "call", Summary: true})
			if err != nil || len(xs) != 100 {
				b.Fatal(len(xs), err)
			}
		}
	})
	b.Run("filtered invalid", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := st.List(ctx, Query{Limit: 100, Signature: "invalid", Summary: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("count", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if n, err := st.Count(ctx, Query{}); err != nil || n != 100_000 {
				b.Fatal(n, err)
			}
		}
	})
}

// BenchmarkIndexRows is the indexer's work per row: batches of 450
// journaled rows (IDs given, as the journal hands them out; about 50 ms
// of webhooks at the load test's rate) inserted in one transaction each,
// with a listener and a call on every row. ns/op is per row.
func BenchmarkIndexRows(b *testing.B) {
	st, _ := openTemp(b, Options{})
	ctx := context.Background()
	conn, err := st.db().Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	ins, err := prepareInserts(ctx, conn)
	if err != nil {
		b.Fatal(err)
	}
	defer ins.Close()
	x := benchExchange()
	x.Listener = "http://127.0.0.1:4747"
	const batch = 450
	id := int64(1)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += batch {
		b.StopTimer()
		reqs := make([]*writeReq, 0, batch)
		for range min(batch, b.N-done) {
			row, err := encode(x)
			if err != nil {
				b.Fatal(err)
			}
			row[0] = id
			id++
			reqs = append(reqs, &writeReq{row: row})
		}
		b.StartTimer()
		if _, err := insertRows(ctx, conn, ins, reqs, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncode is what Save spends on the saver's goroutine turning a
// listener's webhook into a row (the call identity named from the body,
// the summary, head and payload), and the row's size: the bytes the
// capture journal copies and SQLite stores.
func BenchmarkEncode(b *testing.B) {
	x := benchExchange()
	x.Listener = "http://127.0.0.1:4747"
	var size int
	b.ReportAllocs()
	start, cpuOK := processCPU()
	for b.Loop() {
		x.Call = exchange.CallRef{} // as a listener's exchange arrives: encode names it
		row, err := encode(x)
		if err != nil {
			b.Fatal(err)
		}
		size = len(row[7].([]byte)) + len(row[8].([]byte))
	}
	if end, ok := processCPU(); cpuOK && ok {
		b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op") // steadier than wall time on a shared machine
	}
	b.ReportMetric(float64(size), "bytes/row")
}
