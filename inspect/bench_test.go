package inspect_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/forward"
	"github.com/swhook/swhook/inspect/signature/signaturetest"
	"github.com/swhook/swhook/inspect/store"
)

// BenchmarkHandlerForward measures one webhook through the whole listen
// path on loopback: a client sends a signed-looking form post to swhook,
// which verifies, classifies, forwards to a real handler, checks the
// answer and makes the exchange durable in a real store (journaled, as
// listen's is) before answering. The
// signature is valid, as nearly all real traffic is (an invalid one also
// runs the diagnosis). Run
// with -cpu and -benchmem; parallelism 8 per CPU gives 16 concurrent
// senders on 2 cores, as the load test does. The last level
// compares the forwarding clients: h1client (NewTransport's, the default)
// and transport (the http.Transport it replaced).
func BenchmarkHandlerForward(b *testing.B) {
	for _, key := range []string{"", "PSKinspecttest"} {
		name := "nokey"
		if key != "" {
			name = "verify"
		}
		for _, fwd := range []string{"h1client", "transport"} {
			b.Run(name+"/"+fwd, func(b *testing.B) { benchHandlerForward(b, key, fwd) })
		}
	}
}

func benchHandlerForward(b *testing.B, key, fwd string) {
	target := benchTarget(b)
	var fwdRT http.RoundTripper = forward.NewTransport()
	if fwd == "transport" {
		fwdRT = oldTransport()
	}
	// The store as listen opens it: webhooks made durable in the capture
	// journal, indexed into SQLite by its own goroutine.
	st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "swhook.db"), store.Options{Journal: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	e := serve(b, inspect.Config{Forward: target, SigningKey: key, Transport: fwdRT, Store: st}, exchange.SourceLocal, nil)
	e.store = st
	form := url.Values{"CallSid": {"CA0123456789abcdef0123456789abcdef"}, "CallStatus": {"ringing"},
		"From": {"+15551230000"}, "To": {"+15559870000"}, "Direction": {"inbound"}, "AccountSid": {"AC1"}}
	body := []byte(form.Encode())
	sig := signaturetest.SignForm(key, e.url+"/voice", form) // valid: the common case
	tr := &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	b.SetBytes(int64(len(body)))
	b.SetParallelism(8)
	b.ReportAllocs()
	defer reportCPU(b)()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest("POST", e.url+"/voice", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-SignalWire-Signature", sig)
			resp, err := c.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Error(fmt.Sprintf("status %d", resp.StatusCode))
				return
			}
		}
	})
	b.StopTimer()
	if key != "" {
		x, err := e.store.Last(context.Background())
		if err != nil || x.Signature.Status != exchange.SigValid {
			b.Fatalf("benchmark traffic is not validly signed: %v %+v", err, x)
		}
	}
}

// BenchmarkForwardClient measures the forwarding client alone: one
// webhook-sized form post to a real handler on loopback and its answer,
// 16 at a time on 2 cores, through http.Transport and through H1Client.
// The difference is the per-request cost H1Client exists to remove.
func BenchmarkForwardClient(b *testing.B) {
	target := benchTarget(b)
	body := []byte("AccountSid=AC1&CallSid=CA0123456789abcdef0123456789abcdef&CallStatus=ringing&Direction=inbound&From=%2B15551230000&To=%2B15559870000")
	for _, fwd := range []string{"h1client", "transport"} {
		b.Run(fwd, func(b *testing.B) {
			var rt http.RoundTripper = forward.NewTransport()
			if fwd == "transport" {
				rt = oldTransport()
			}
			defer rt.(interface{ CloseIdleConnections() }).CloseIdleConnections()
			u := target.String() + "/voice?x=1"
			b.SetBytes(int64(len(body)))
			b.SetParallelism(8)
			b.ReportAllocs()
			defer reportCPU(b)()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					req, _ := http.NewRequestWithContext(ctx, "POST", u, bytes.NewReader(body))
					req.Header = http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "User-Agent": {""},
						"X-Signalwire-Signature": {"abc="}, "X-Forwarded-For": {"127.0.0.1"}}
					resp, err := rt.RoundTrip(req)
					if err != nil {
						cancel()
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					cancel()
					if resp.StatusCode != 200 {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
		})
	}
}

// reportCPU adds the process's CPU time per operation (cpu-ns/op: sender,
// swhook and handler together, all in this process) to a benchmark's
// result; call the returned function when the measured loop is done.
// Wall time on a shared 2-core machine swings with everyone else's load;
// CPU time is what a forwarding client costs.
func reportCPU(b *testing.B) func() {
	start, ok := processCPU()
	return func() {
		if end, ok2 := processCPU(); ok && ok2 && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
		}
	}
}

// BenchmarkForwardWait compares the two ways a forward's --timeout was
// kept, through H1Client to a real handler, as the pipeline uses them: a
// cancel context over context.WithoutCancel with a time.AfterFunc to
// cancel it (which H1Client watches with context.AfterFunc), and
// forward.Wait (whose deadline H1Client puts on the connection).
func BenchmarkForwardWait(b *testing.B) {
	target := benchTarget(b)
	body := []byte("AccountSid=AC1&CallSid=CA0123456789abcdef0123456789abcdef&CallStatus=ringing&Direction=inbound&From=%2B15551230000&To=%2B15559870000")
	u := target.String() + "/voice"
	for _, kind := range []string{"cancelctx", "wait"} {
		b.Run(kind, func(b *testing.B) {
			rt := forward.NewTransport()
			defer rt.(interface{ CloseIdleConnections() }).CloseIdleConnections()
			b.SetParallelism(8)
			b.ReportAllocs()
			defer reportCPU(b)()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					var (
						ctx  context.Context
						stop func() bool
						end  func()
					)
					if kind == "wait" {
						w := forward.NewWait(context.Background(), 10*time.Second)
						ctx, stop, end = w, w.Stop, w.Cancel
					} else {
						c, cancel := context.WithCancelCause(context.WithoutCancel(context.Background()))
						t := time.AfterFunc(10*time.Second, func() { cancel(context.DeadlineExceeded) })
						ctx, stop, end = c, t.Stop, func() { t.Stop(); cancel(context.Canceled) }
					}
					req, _ := http.NewRequestWithContext(ctx, "POST", u, bytes.NewReader(body))
					req.Header = http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "User-Agent": {""}}
					resp, err := rt.RoundTrip(req)
					if err != nil {
						end()
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					stop()
					resp.Body.Close()
					end()
				}
			})
		})
	}
}

// benchTarget is a real handler on loopback answering every webhook as a
// minimal cXML handler does.
func benchTarget(b *testing.B) *url.URL {
	return handlerURL(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`)
	}))
}
