package cxml

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/swhook/swhook/inspect/store"
	"github.com/swhook/swhook/replay/call"
)

// tenSteps is a handler whose call takes ten documents: nine menus, each
// a Gather whose action is the next, then a goodbye.
func tenSteps(b *testing.B) *httptest.Server {
	docs := make([][]byte, 11)
	for i := 1; i <= 10; i++ {
		next := Resp(E("Gather", "action", "/step/"+strconv.Itoa(i+1), "numDigits", "1").K(E("Say").T(fmt.Sprintf("Menu %d: press a key.", i))), E("Say").T("Bye"))
		if i == 10 {
			next = Resp(E("Say").T("Goodbye."), E("Hangup"))
		}
		docs[i] = []byte(next)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		i, _ := strconv.Atoi(r.URL.Path[len("/step/"):])
		w.Header().Set("Content-Type", "text/xml")
		w.Write(docs[min(max(i, 1), 10)])
	}))
	b.Cleanup(srv.Close)
	return srv
}

func benchCall(b *testing.B, saver func() call.Saver) {
	srv := tenSteps(b)
	inputs := []string{"1", "2", "3", "4", "5", "6", "7", "8", "9"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		caller, _ := call.NewScript(inputs, nil, -1, 0, nil)
		s, err := call.NewSession(call.Config{URL: srv.URL + "/step/1", Key: "k", Caller: caller, Store: saver(),
			Sink: call.Discard{}, Rand: rand.New(rand.NewPCG(1, uint64(i)))})
		if err != nil {
			b.Fatal(err)
		}
		Voice(context.Background(), s)
		if s.Failed() {
			b.Fatal(s.Errors())
		}
		s.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/10, "µs/step")
}

// BenchmarkTenStepCall is a scripted 10-step call on loopback, the
// handler's time included: what a call costs beyond the handler.
func BenchmarkTenStepCall(b *testing.B) {
	benchCall(b, func() call.Saver { return &memStore{} })
}

// BenchmarkTenStepCallStored keeps every exchange in a real store, as
// `swhook call` does.
func BenchmarkTenStepCallStored(b *testing.B) {
	st, err := store.Open(context.Background(), filepath.Join(b.TempDir(), "s.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	benchCall(b, func() call.Saver { return st })
}

// BenchmarkParse is one menu document.
func BenchmarkParse(b *testing.B) {
	doc := []byte(Resp(E("Gather", "action", "/menu", "numDigits", "1").K(E("Say").T("Press 1 for sales, 2 for support.")), E("Say").T("Goodbye.")))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Parse(doc); err != nil {
			b.Fatal(err)
		}
	}
}
