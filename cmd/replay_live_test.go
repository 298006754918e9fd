package cmd

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/signature/signaturetest"
	"github.com/swhook/swhook/inspect/store"
)

// A webhook listen captured with a valid signature, replayed as captured
// from the live view (r), reaches the handler looking exactly as the
// original did, and its row must say so: valid, not INVALID because the
// signature was checked at the handler's own address.
func TestStoreReplayerAsCapturedKeepsTheOriginalVerdict(t *testing.T) {
	h, srv := signaturetest.Start(t, e2eKey)
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	const listenURL = "http://127.0.0.1:4747/voice"
	body := []byte("CallSid=CA1&CallStatus=ringing&From=%2B15551230000")
	const ct = "application/x-www-form-urlencoded"
	hdr := http.Header{"Content-Type": {ct}}
	hdr.Set("X-Signalwire-Signature", signaturetest.Sign(e2eKey, "POST", listenURL, ct, body))
	orig := &exchange.Exchange{
		Time:   time.Now(),
		Source: exchange.SourceLocal,
		Request: exchange.Request{
			Method: "POST", URL: listenURL, Path: "/voice", Host: "127.0.0.1:4747",
			Headers: hdr, Body: body, BodySize: int64(len(body)),
		},
		Forward:   srv.URL,
		Event:     exchange.Event{Kind: exchange.KindCallInbound, Detail: "ringing"},
		Signature: exchange.Signature{Status: exchange.SigValid, Header: "X-SignalWire-Signature"},
		Response:  exchange.Response{Status: 200, Forwarded: true},
	}
	if err := st.Save(context.Background(), orig); err != nil {
		t.Fatal(err)
	}

	x, err := storeReplayer(st, srv.Client(), e2eKey, time.Now, "http://127.0.0.1:4747")(context.Background(), orig.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	reqs := h.Requests()
	if len(reqs) != 1 || reqs[0].Host != "127.0.0.1:4747" || !reqs[0].Valid {
		t.Fatalf("the handler should see the original Host and accept the original signature: %+v", reqs)
	}
	if x.Signature.Status != exchange.SigValid {
		t.Errorf("replay as captured reads %q (checked at %s), want valid like the original", x.Signature.Status, x.Request.URL)
	}
	if x.ReplayOf != orig.ID || x.Source != exchange.SourceReplay {
		t.Errorf("replay of #%d from %s", x.ReplayOf, x.Source)
	}
	if got := signaturetest.Sign(e2eKey, "POST", listenURL, ct, body); reqs[0].Header.Get("X-Signalwire-Signature") != got {
		t.Error("a replay as captured must send the captured signature unchanged")
	}
}
