package replay

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/signature/signaturetest"
)

const key = "PSK_test_signing_key_0123456789"

const formBody = "AccountSid=0f3c4b2a-8a3e-4f7c-9d1b-6a2e8c4d1f00&ApiVersion=2010-04-01&CallSid=5e11c43a-da51-4665-bb15-5ab6767398c8&CallStatus=ringing&From=%2B15551230000&To=%2B15559870000"

// captured builds an exchange as listen would have stored it: a request
// that reached signedURL (public) and was signed for it by SignalWire.
func captured(t *testing.T, signedURL, contentType, body string) *exchange.Exchange {
	t.Helper()
	u, err := url.Parse(signedURL)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	h.Set("Content-Type", contentType)
	h.Set("User-Agent", "SignalWire")
	h.Set("X-Forwarded-Proto", u.Scheme)
	h.Set("Content-Length", "999") // must be recomputed, not replayed
	h.Set("Connection", "close")
	h.Set("X-Signalwire-Signature", signaturetest.Sign(key, "POST", signedURL, contentType, []byte(body)))
	return &exchange.Exchange{
		ID: 17, Source: exchange.SourceTunnel,
		Request: exchange.Request{
			Method: "POST", URL: signedURL, Path: u.EscapedPath(), Query: u.RawQuery, Host: u.Host,
			Headers: h, Body: exchange.Body(body), BodySize: int64(len(body)),
		},
		Event: exchange.Event{Kind: exchange.KindCallInbound},
	}
}

var fixed = func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) }

func TestReplayDeliversIdenticalBytes(t *testing.T) {
	h, srv := signaturetest.Start(t, key)
	orig := captured(t, srv.URL+"/voice?x=1", "application/x-www-form-urlencoded", formBody)
	orig.Forward = srv.URL

	p, err := Prepare(orig, Options{Key: key, Now: fixed})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Notes) != 1 || !strings.Contains(p.Notes[0], "original signature verifies") {
		t.Errorf("notes %q", p.Notes)
	}
	x := p.Do(context.Background(), srv.Client())
	got := h.Requests()
	if len(got) != 1 {
		t.Fatalf("handler saw %d requests", len(got))
	}
	r := got[0]
	if string(r.Body) != formBody || r.URI != "/voice?x=1" || r.Method != "POST" || !r.Valid {
		t.Errorf("handler got %s %s valid=%v body %q", r.Method, r.URI, r.Valid, r.Body)
	}
	if r.Header.Get("X-Signalwire-Signature") != orig.Request.Headers.Get("X-Signalwire-Signature") ||
		r.Header.Get("User-Agent") != "SignalWire" || r.Header.Get("Connection") != "" || r.Header.Get("Accept-Encoding") != "" {
		t.Errorf("headers %v", r.Header)
	}
	if x.Source != exchange.SourceReplay || x.ReplayOf != 17 || x.Response.Status != 200 || !OK(x.Response) ||
		string(x.Request.Body) != formBody || x.Event.Kind != exchange.KindCallInbound || !x.Time.Equal(fixed()) {
		t.Errorf("exchange %+v", x)
	}
	if x.Signature.Status != exchange.SigValid {
		t.Errorf("signature %+v", x.Signature)
	}
	if !strings.Contains(string(x.Response.Body), "<Response>") {
		t.Errorf("response body %q", x.Response.Body)
	}
}

func TestResignForAnotherURLIsAccepted(t *testing.T) {
	h, srv := signaturetest.Start(t, key)
	orig := captured(t, "https://abc.ngrok.app/voice", "application/x-www-form-urlencoded", formBody)

	// As captured, the signature was made for the public URL, which the
	// replay presents in X-Forwarded-*: this handler ignores them and
	// rejects it, and swhook says so before sending.
	p, err := Prepare(orig, Options{Target: srv.URL, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	want := "the original signature verifies at https://abc.ngrok.app/voice for a handler that rebuilds its URL from X-Forwarded-Proto/-Host, as one behind a tunnel must; one that checks http://abc.ngrok.app/voice needs --resign"
	if len(p.Notes) != 1 || p.Notes[0] != want {
		t.Errorf("notes %q\nwant %q", p.Notes, want)
	}
	x := p.Do(context.Background(), srv.Client())
	if x.Response.Status != http.StatusForbidden || OK(x.Response) {
		t.Errorf("unsigned-for-here replay answered %d", x.Response.Status)
	}

	x, err = Send(context.Background(), srv.Client(), orig, Options{Target: srv.URL, Key: key, Resign: true})
	if err != nil {
		t.Fatal(err)
	}
	if x.Response.Status != 200 || x.Signature.Status != exchange.SigValid || x.Request.URL != srv.URL+"/voice" {
		t.Errorf("re-signed replay: %d %+v %s", x.Response.Status, x.Signature, x.Request.URL)
	}
	if got := h.Requests(); len(got) != 2 || !got[1].Valid || string(got[1].Body) != formBody {
		t.Errorf("handler: %+v", got)
	}
}

func TestSignURLSignsForThePublicURL(t *testing.T) {
	_, srv := signaturetest.Start(t, key)
	orig := captured(t, srv.URL+"/voice", "application/x-www-form-urlencoded", formBody)
	p, err := Prepare(orig, Options{Target: srv.URL, Key: key, Resign: true, SignURL: "https://pub.example/"})
	if err != nil {
		t.Fatal(err)
	}
	if p.SignURL != "https://pub.example/voice" {
		t.Errorf("sign URL %q", p.SignURL)
	}
	if got := p.Header.Get("X-Signalwire-Signature"); got != signaturetest.Sign(key, "POST", "https://pub.example/voice", "application/x-www-form-urlencoded", []byte(formBody)) {
		t.Errorf("signature %q not made for the sign URL", got)
	}
}

func TestEditedReplayIsResigned(t *testing.T) {
	h, srv := signaturetest.Start(t, key)
	orig := captured(t, srv.URL+"/status", "application/x-www-form-urlencoded", formBody)
	x, err := Send(context.Background(), srv.Client(), orig, Options{
		Target: srv.URL, Key: key, Now: fixed,
		Set:     []Assignment{{"CallStatus", "completed"}},
		Headers: []Assignment{{"X-Extra", "1"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(formBody, "CallStatus=ringing", "CallStatus=completed", 1)
	r := h.Requests()[0]
	if !r.Valid || string(r.Body) != want || r.Header.Get("X-Extra") != "1" || x.Response.Status != 200 {
		t.Errorf("valid=%v body %q headers %v status %d", r.Valid, r.Body, r.Header, x.Response.Status)
	}

	p, _ := Prepare(orig, Options{Target: srv.URL, Key: key, Set: []Assignment{{"CallStatus", "busy"}}})
	if !p.Resigned || !p.BodyEdited || len(p.Notes) != 1 || !strings.Contains(p.Notes[0], "edited, so it was re-signed") {
		t.Errorf("notes %q", p.Notes)
	}

	// JSON, dotted path.
	body := `{"event_type":"calling.call.state","params":{"call_state":"answered"}}`
	orig = captured(t, srv.URL+"/relay", "application/json", body)
	x, err = Send(context.Background(), srv.Client(), orig, Options{Target: srv.URL, Key: key, Set: []Assignment{{"params.call_state", "ended"}}})
	if err != nil {
		t.Fatal(err)
	}
	r = h.Requests()[1]
	if !r.Valid || string(r.Body) != strings.Replace(body, "answered", "ended", 1) || x.Response.Status != 200 {
		t.Errorf("JSON edit: valid=%v body %s", r.Valid, r.Body)
	}
}

func TestEditWithoutKeyWarns(t *testing.T) {
	h, srv := signaturetest.Start(t, key)
	orig := captured(t, srv.URL+"/status", "application/x-www-form-urlencoded", formBody)
	p, err := Prepare(orig, Options{Target: srv.URL, Set: []Assignment{{"CallStatus", "busy"}}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Resigned || len(p.Notes) != 1 || !strings.Contains(p.Notes[0], "will not verify") {
		t.Errorf("notes %q", p.Notes)
	}
	x := p.Do(context.Background(), srv.Client())
	if x.Response.Status != http.StatusForbidden || h.Requests()[0].Valid {
		t.Errorf("edited, unsigned replay accepted: %d", x.Response.Status)
	}
	if x.Signature.Status != exchange.SigUnchecked {
		t.Errorf("signature %+v", x.Signature)
	}
}

func TestPrepareRefuses(t *testing.T) {
	orig := captured(t, "https://abc.ngrok.app/voice", "application/x-www-form-urlencoded", formBody)
	if _, err := Prepare(orig, Options{Key: key}); !errors.Is(err, ErrNoTarget) {
		t.Errorf("no target: %v", err)
	}
	if _, err := Prepare(orig, Options{Target: "http://l:1", Resign: true}); !errors.Is(err, ErrNoKey) {
		t.Errorf("resign without key: %v", err)
	}
	tr := *orig
	tr.Request.Truncated = true
	if _, err := Prepare(&tr, Options{Target: "http://l:1"}); !errors.Is(err, ErrTruncated) {
		t.Errorf("truncated: %v", err)
	}
	if _, err := Prepare(orig, Options{Target: "localhost:3000"}); err == nil {
		t.Error("bad target accepted")
	}
}

func TestReplayDoesNotFollowRedirects(t *testing.T) {
	elsewhere, other := signaturetest.Start(t, key)
	redirect := httptest.NewServer(http.RedirectHandler(other.URL+"/stolen", http.StatusTemporaryRedirect))
	defer redirect.Close()
	orig := captured(t, redirect.URL+"/voice", "application/x-www-form-urlencoded", formBody)
	x, err := Send(context.Background(), redirect.Client(), orig, Options{Target: redirect.URL})
	if err != nil {
		t.Fatal(err)
	}
	if x.Response.Status != http.StatusTemporaryRedirect || OK(x.Response) {
		t.Errorf("status %d", x.Response.Status)
	}
	if n := len(elsewhere.Requests()); n != 0 {
		t.Errorf("the redirect target got %d requests", n)
	}
}

func TestUnreachableTargetIsRecorded(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	target := srv.URL
	srv.Close()
	orig := captured(t, target+"/voice", "application/x-www-form-urlencoded", formBody)
	x, err := Send(context.Background(), http.DefaultClient, orig, Options{Target: target})
	if err != nil {
		t.Fatal(err)
	}
	if x.Response.Error == "" || OK(x.Response) || x.Response.Forwarded {
		t.Errorf("response %+v", x.Response)
	}
}

func TestKeyNeverInTheExchangeOrNotes(t *testing.T) {
	_, srv := signaturetest.Start(t, key)
	orig := captured(t, "https://abc.ngrok.app/voice", "application/x-www-form-urlencoded", formBody)
	for _, opts := range []Options{
		{Target: srv.URL, Key: key},
		{Target: srv.URL, Key: key, Resign: true},
		{Target: srv.URL, Key: key, Set: []Assignment{{"A", "b"}}},
	} {
		p, err := Prepare(orig, opts)
		if err != nil {
			t.Fatal(err)
		}
		x := p.Do(context.Background(), srv.Client())
		b, _ := json.Marshal(x)
		if strings.Contains(string(b), key) || strings.Contains(strings.Join(p.Notes, " "), key) {
			t.Fatalf("the signing key leaked: %s %q", b, p.Notes)
		}
	}
}

func TestGETWebhookEditsTheQuery(t *testing.T) {
	h, srv := signaturetest.Start(t, key)
	signed := srv.URL + "/voice?CallSid=abc&CallStatus=ringing"
	orig := captured(t, signed, "", "")
	orig.Request.Method = "GET"
	orig.Request.Headers.Del("Content-Type")
	orig.Request.Headers.Set("X-Signalwire-Signature", signaturetest.Sign(key, "GET", signed, "", nil))
	x, err := Send(context.Background(), srv.Client(), orig, Options{Target: srv.URL, Key: key, Set: []Assignment{{"CallStatus", "completed"}}})
	if err != nil {
		t.Fatal(err)
	}
	r := h.Requests()[0]
	if r.URI != "/voice?CallSid=abc&CallStatus=completed" || !r.Valid || x.Response.Status != 200 {
		t.Errorf("GET replay: %s valid=%v", r.URI, r.Valid)
	}
}

func TestEditKeepsBodySHA256True(t *testing.T) {
	body := `{"a":1}`
	sum := func(b string) string { s := sha256.Sum256([]byte(b)); return hex.EncodeToString(s[:]) }
	orig := captured(t, "https://abc.ngrok.app/hook?bodySHA256="+sum(body), "application/json", body)
	p, err := Prepare(orig, Options{Target: "http://127.0.0.1:9", Key: key, Set: []Assignment{{"a", "2"}}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "http://127.0.0.1:9/hook?bodySHA256=" + sum(`{"a":2}`); p.URL != want {
		t.Errorf("URL %s\nwant %s", p.URL, want)
	}
	if p.Verdict.Status != "valid" {
		t.Errorf("verdict %+v", p.Verdict)
	}
}

// Sent as captured, a replay looks like listen's forward: Host and
// X-Forwarded-* present the URL SignalWire signed, so a handler that
// rebuilds its URL from them accepts the original signature. Re-signed, it
// presents the URL it was signed for.
func TestReplayPresentsTheSignedURL(t *testing.T) {
	h, srv := signaturetest.Start(t, key)
	h.TrustForwarded = true
	orig := captured(t, "https://abc.ngrok.app/voice", "application/x-www-form-urlencoded", formBody)
	orig.Request.RemoteAddr = "203.0.113.7:55000"
	orig.Request.Headers.Set("X-Forwarded-For", "198.51.100.1")
	orig.Forward = srv.URL

	x, err := Send(context.Background(), srv.Client(), orig, Options{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	r := h.Requests()[0]
	if !r.Valid || x.Response.Status != 200 || r.Host != "abc.ngrok.app" || r.Header.Get("X-Forwarded-Proto") != "https" ||
		r.Header.Get("X-Forwarded-Host") != "abc.ngrok.app" || r.Header.Get("X-Forwarded-For") != "198.51.100.1, 203.0.113.7" {
		t.Errorf("as captured: valid=%v %v", r.Valid, r.Header)
	}
	if x.Request.Host != "abc.ngrok.app" {
		t.Errorf("recorded host %q", x.Request.Host)
	}

	x, err = Send(context.Background(), srv.Client(), orig, Options{Key: key, Resign: true})
	if err != nil {
		t.Fatal(err)
	}
	r = h.Requests()[1]
	if !r.Valid || r.Header.Get("X-Forwarded-Proto") != "http" || r.Header.Get("X-Forwarded-Host") != strings.TrimPrefix(srv.URL, "http://") {
		t.Errorf("re-signed: valid=%v %v", r.Valid, r.Header)
	}

	// --header Host=… is the Host header, not a header called Host.
	if _, err := Send(context.Background(), srv.Client(), orig, Options{Key: key, Resign: true, Headers: []Assignment{{"Host", "example.test"}}}); err != nil {
		t.Fatal(err)
	}
	if r = h.Requests()[2]; r.Header.Get("Host") != "" || r.Host != "example.test" {
		t.Errorf("Host sent as a header: %v", r.Header)
	}
}

// --sign-url without --resign: is the captured signature good for the URL
// the handler checks? It is presented as that URL too.
func TestSignURLWithoutResignChecksTheCapturedSignature(t *testing.T) {
	h, srv := signaturetest.Start(t, key)
	h.TrustForwarded = true
	orig := captured(t, "https://abc.ngrok.app/voice", "application/x-www-form-urlencoded", formBody)
	p, err := Prepare(orig, Options{Target: srv.URL, Key: key, SignURL: "https://abc.ngrok.app"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Resigned || len(p.Notes) != 1 || p.Notes[0] != "the original signature verifies at https://abc.ngrok.app/voice" {
		t.Errorf("notes %q", p.Notes)
	}
	if x := p.Do(context.Background(), srv.Client()); x.Response.Status != 200 || x.Signature.Status != exchange.SigValid {
		t.Errorf("status %d, signature %s", x.Response.Status, x.Signature.Status)
	}
}

// The everyday loop: listen --no-tunnel captured a webhook on its local
// address and forwarded it; "replay last" sends it to the same handler. The
// handler rebuilds the URL it was sent (Host carries the captured address),
// so the captured signature verifies — and swhook must not claim otherwise.
func TestReplayAsCapturedLocallyVerifies(t *testing.T) {
	h, srv := signaturetest.Start(t, key) // checks http:// + Host, ignores X-Forwarded-*
	orig := captured(t, "http://127.0.0.1:4747/voice?x=1", "application/x-www-form-urlencoded", formBody)
	orig.Forward = srv.URL
	p, err := Prepare(orig, Options{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	if want := "the original signature verifies at http://127.0.0.1:4747/voice?x=1"; len(p.Notes) != 1 || p.Notes[0] != want {
		t.Errorf("notes %q\nwant %q", p.Notes, want)
	}
	x := p.Do(context.Background(), srv.Client())
	if r := h.Requests()[0]; !r.Valid || x.Response.Status != 200 || x.Signature.Status != exchange.SigValid {
		t.Errorf("handler valid=%v status %d, stored verdict %s", r.Valid, x.Response.Status, x.Signature.Status)
	}

	// Another path: the URL the handler rebuilds changes, and swhook says
	// the captured signature will not do.
	p, err = Prepare(orig, Options{Key: key, Target: srv.URL + "/other"})
	if err != nil {
		t.Fatal(err)
	}
	want := "the original signature will not verify at http://127.0.0.1:4747/other?x=1 (it was made for http://127.0.0.1:4747/voice?x=1); use --resign"
	if len(p.Notes) != 1 || p.Notes[0] != want {
		t.Errorf("notes %q\nwant %q", p.Notes, want)
	}
	if x := p.Do(context.Background(), srv.Client()); h.Requests()[1].Valid || x.Response.Status != http.StatusForbidden {
		t.Errorf("moved replay accepted: %d", x.Response.Status)
	}
}
