package inspect_test

import (
	"context"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/logview"
)

// BenchmarkFollowPlain measures what listen --no-tui spends per webhook
// after saving it: 16 handlers publish (as the load test's 16 connections
// do), the feed hands each exchange to the log view's follower, which puts
// it in order, formats the plain line and writes it through a BatchWriter
// to a real file (/dev/null, so the disk does not count). Between two
// webhooks each handler sleeps a little, as a real one waits on its
// sockets, so the follower is woken as often as under real load instead of
// finding the whole run queued. cpu-ns/op is the process's CPU per webhook
// (the handlers' sleeps included, the same on both sides of a comparison).
func BenchmarkFollowPlain(b *testing.B) { benchFollow(b, false) }

// BenchmarkFollowNDJSON is BenchmarkFollowPlain for listen --json.
func BenchmarkFollowNDJSON(b *testing.B) { benchFollow(b, true) }

func benchFollow(b *testing.B, json bool) {
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devnull.Close()
	file := &countedFile{f: devnull}
	out := inspect.NewBatchWriter(file)
	var view logview.View = logview.NewPlain(out, true, time.Local)
	if json {
		view = logview.NewNDJSON(out)
	}
	tmpl := exchange.Exchange{Time: time.Date(2026, 11, 24, 19, 58, 1, 987654321, time.UTC), Source: exchange.SourceTunnel,
		Request:   exchange.Request{Method: "POST", Path: "/voice", Query: "tenant=acme", BodySize: 150},
		Event:     exchange.Event{Kind: exchange.KindCallInbound, Detail: "ringing"},
		Signature: exchange.Signature{Status: exchange.SigValid},
		Response:  exchange.Response{Status: 200, DurationMS: 0.83}, ResponseCheck: exchange.Check{Status: exchange.CheckOK}}
	if json {
		tmpl.Request.Headers = map[string][]string{"Content-Type": {"application/x-www-form-urlencoded"}, "X-Signalwire-Signature": {"RSOYDt4T1cUTdK1PDd93/VVr8B8="}}
		tmpl.Request.Body = []byte("AccountSid=0b4f5e9a-1c2d-4e5f-8a9b-0c1d2e3f4a5b&CallSid=4c2a8e1f-3b5d-4f6a-9c8e-1d2f3a4b5c6d&CallStatus=ringing&From=%2B15557654321&To=%2B15551234567")
		tmpl.Response.Headers = map[string][]string{"Content-Type": {"text/xml"}}
		tmpl.Response.Body = []byte("<Response></Response>")
	}
	xs := make([]exchange.Exchange, b.N)
	for i := range xs {
		xs[i] = tmpl
	}

	feed := inspect.NewFeed()
	sub, cancel := feed.Subscribe(4096)
	defer cancel()
	var lines atomic.Int64
	followed := make(chan struct{})
	b.ReportAllocs()
	b.ResetTimer()
	stopCPU := reportCPU(b)
	go func() {
		defer close(followed)
		inspect.FollowBatched(context.Background(), sub, nil, 0, func(x *exchange.Exchange) {
			view.Exchange(x)
			lines.Add(1)
		}, out)
	}()
	const handlers = 16
	var next atomic.Int64
	var wg sync.WaitGroup
	for range handlers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(len(xs)) {
					return
				}
				x := &xs[i-1]
				x.ID = i
				feed.Publish(x)
				work()
			}
		}()
	}
	wg.Wait()
	feed.Close()
	<-followed
	stopCPU()
	b.StopTimer()
	b.ReportMetric(float64(file.writes.Load())/float64(b.N), "writes/op")
	if n := lines.Load(); n != int64(b.N) {
		b.Fatalf("%d of %d lines written: the follower fell behind", n, b.N)
	}
}

// work stands in for the rest of a handler's turn between two webhooks:
// it waits (as a handler waits on its sockets), so the follower gets the
// CPU it would under real load.
func work() { time.Sleep(20 * time.Microsecond) }

// countedFile counts the write(2) calls that reach the file.
type countedFile struct {
	f      *os.File
	writes atomic.Int64
}

func (c *countedFile) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.f.Write(p)
}

// BenchmarkFollowQueued is the follower's own cost per webhook, without
// the hand-off: b.N exchanges already queued (nearly in order, as 16
// handlers publish them) are put in order, deduplicated, formatted as
// plain lines and written in bursts to /dev/null.
func BenchmarkFollowQueued(b *testing.B) {
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer devnull.Close()
	out := inspect.NewBatchWriter(devnull)
	view := logview.NewPlain(out, true, time.Local)
	xs := make([]exchange.Exchange, b.N)
	ch := make(chan *exchange.Exchange, b.N)
	for i := range xs {
		xs[i] = exchange.Exchange{Time: time.Date(2026, 11, 24, 19, 58, 1, 987654321, time.UTC), Source: exchange.SourceTunnel,
			Request:   exchange.Request{Method: "POST", Path: "/voice", Query: "tenant=acme", BodySize: 150},
			Event:     exchange.Event{Kind: exchange.KindCallInbound, Detail: "ringing"},
			Signature: exchange.Signature{Status: exchange.SigValid},
			Response:  exchange.Response{Status: 200, DurationMS: float64(i%5000) / 1000}, ResponseCheck: exchange.Check{Status: exchange.CheckOK}}
		// Pairs swapped now and then: saves that finished out of order.
		xs[i].ID = int64(i + 1)
		if i%7 == 1 {
			xs[i].ID, xs[i-1].ID = xs[i-1].ID, xs[i].ID
		}
	}
	for i := range xs {
		ch <- &xs[i]
	}
	close(ch)
	lines := 0
	b.ReportAllocs()
	b.ResetTimer()
	stopCPU := reportCPU(b)
	inspect.FollowBatched(context.Background(), ch, nil, 0, func(x *exchange.Exchange) {
		view.Exchange(x)
		lines++
	}, out)
	stopCPU()
	if lines != b.N {
		b.Fatalf("%d of %d lines", lines, b.N)
	}
}
