package cmd

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/signature/signaturetest"
)

// A signature over the URL alone — what SignalWire sends with a GET or an
// empty POST — signs no body: captured once, it must not carry a body of
// an attacker's choosing through --enforce-signature to the handler.
func TestListenE2EEnforceRejectsURLOnlySignatures(t *testing.T) {
	for _, public := range []string{"", "https://hooks.example.com"} {
		name := "local URL"
		if public != "" {
			name = "--public-url"
		}
		t.Run(name, func(t *testing.T) {
			var hits atomic.Int32
			target := handlerURL(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				hits.Add(1)
				w.Header().Set("Content-Type", "text/xml")
				io.WriteString(w, "<Response/>")
			}))
			args := []string{"--forward", target, "--enforce-signature"}
			if public != "" {
				args = append(args, "--public-url", public)
			}
			p := startListen(t, t.TempDir()+"/s.db", args...)
			signedBase := p.local
			if public != "" {
				signedBase = public
			}
			post := func(path, ct, sig string, body []byte) int {
				t.Helper()
				req, _ := http.NewRequest("POST", p.local+path, bytes.NewReader(body))
				req.Header.Set("Content-Type", ct)
				req.Header.Set("X-SignalWire-Signature", sig)
				resp, err := e2eClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				return resp.StatusCode
			}
			form := url.Values{"CallSid": {"CA1"}, "From": {"+15551230000"}, "To": {"+15559870000"}}
			forged := []struct {
				name, path, ct string
				body           []byte
				sig            string
			}{
				{"GET's signature on a form body", "/voice?CallSid=CA1", "application/x-www-form-urlencoded", []byte(form.Encode()),
					signaturetest.SignForm(testKey, signedBase+"/voice?CallSid=CA1", nil)},
				{"empty POST's signature on a form body", "/voice", "application/x-www-form-urlencoded", []byte("Digits=1234&CallSid=CA2"),
					signaturetest.SignForm(testKey, signedBase+"/voice", nil)},
				{"URL-only signature on a JSON body", "/swml", "application/json", []byte(`{"call":{"call_id":"x"}}`),
					signaturetest.SignForm(testKey, signedBase+"/swml", nil)},
			}
			for _, f := range forged {
				if code := post(f.path, f.ct, f.sig, f.body); code != http.StatusForbidden {
					t.Errorf("%s: answered %d, want 403", f.name, code)
				}
			}
			if n := hits.Load(); n != 0 {
				t.Fatalf("%d forged requests reached the handler", n)
			}
			// A genuine form webhook still gets through.
			if code := post("/voice", "application/x-www-form-urlencoded", signaturetest.SignForm(testKey, signedBase+"/voice", form), []byte(form.Encode())); code != http.StatusOK {
				t.Fatalf("genuine webhook answered %d", code)
			}
			if hits.Load() != 1 {
				t.Fatalf("genuine webhook: %d handler hits", hits.Load())
			}
			var hinted, seen int
			for seen < len(forged)+1 {
				var line string
				select {
				case line = <-p.lines:
				case <-time.After(30 * time.Second):
					t.Fatalf("only %d exchange lines", seen)
				}
				if !strings.Contains(line, `"type":"exchange"`) {
					continue
				}
				seen++
				if strings.Contains(line, `"hint":"the signature covers only the URL; the body is not signed"`) {
					hinted++
				}
			}
			if hinted != len(forged) {
				t.Errorf("%d of %d forged exchanges carry the URL-only hint", hinted, len(forged))
			}
		})
	}
}

// A signature made for the URL without its port is valid, as the official
// validators (@signalwire/compatibility-api, the Python SDK) accept it:
// --enforce-signature forwards it, and the verdict says which URL form
// matched (issue 11.2).
func TestListenE2EAcceptsThePortlessURLAsTheOfficialValidators(t *testing.T) {
	var hits atomic.Int32
	target := handlerURL(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		hits.Add(1)
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, "<Response/>")
	}))
	p := startListen(t, t.TempDir()+"/s.db", "--forward", target, "--enforce-signature", "--public-url", "https://hooks.example.com:8443")
	form := url.Values{"CallSid": {"CA1"}, "From": {"+15551230000"}}
	req, _ := http.NewRequest("POST", p.local+"/voice", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-SignalWire-Signature", signaturetest.SignForm(testKey, "https://hooks.example.com/voice", form))
	resp, err := e2eClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || hits.Load() != 1 {
		t.Fatalf("answered %d, %d handler hits; want 200 and 1", resp.StatusCode, hits.Load())
	}
	for {
		select {
		case line := <-p.lines:
			if !strings.Contains(line, `"type":"exchange"`) {
				continue
			}
			if !strings.Contains(line, `"status":"valid"`) || !strings.Contains(line, "the URL without its port :8443") {
				t.Fatalf("verdict: %s", line)
			}
			return
		case <-time.After(30 * time.Second):
			t.Fatal("no exchange line")
		}
	}
}
