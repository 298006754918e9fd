package cmd

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/signature/signaturetest"
)

// cxmlServer answers every request with doc, after checking its signature
// with the independent signer.
func cxmlServer(t *testing.T, delay time.Duration, doc string) (*httptest.Server, *int) {
	t.Helper()
	n := new(int)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !signaturetest.Valid(e2eKey, r.Method, "http://"+r.Host+r.URL.RequestURI(), r.Header, body) {
			http.Error(w, "bad signature", 403)
			return
		}
		*n++
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-r.Context().Done():
			}
		}
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, doc)
	}))
	t.Cleanup(srv.Close)
	return srv, n
}

// TestCallCommandInvalidXML: exit 1, the 12100 line, and the request kept
// (source call).
func TestCallCommandInvalidXML(t *testing.T) {
	srv, _ := cxmlServer(t, 0, "<Response><Say>hi</Response>")
	env := e2eEnv(t)
	code, stdout, stderr := swhook(t, env, "call", "--to", srv.URL+"/voice")
	if code != 1 || !strings.Contains(stdout, "12100 document parse error") || !strings.Contains(stdout, "call ended: failed") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	xs := storedExchanges(t, env)
	if len(xs) != 1 || xs[0].Source != exchange.SourceCall || xs[0].Signature.Status != exchange.SigValid {
		t.Fatalf("stored %+v", xs)
	}
}

// TestCallCommandJSON: every line is an object with a type; a good call
// exits 0.
func TestCallCommandJSON(t *testing.T) {
	srv, n := cxmlServer(t, 0, `<Response><Gather numDigits="1" action="/next"><Say>Press 1</Say></Gather></Response>`)
	env := e2eEnv(t)
	code, stdout, stderr := swhook(t, env, "call", "--to", srv.URL+"/voice", "--json", "--input", "1", "--input", "1", "--max-steps", "2")
	// The Gather's action answers the same menu: the second step of two
	// is allowed, the third is stopped.
	if code != 1 || *n != 2 {
		t.Fatalf("exit %d, %d requests\n%s\n%s", code, *n, stdout, stderr)
	}
	types := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var ev struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.Type == "" {
			t.Fatalf("line %q: %v", line, err)
		}
		types[ev.Type]++
	}
	for _, want := range []string{"call", "request", "say", "gather", "input", "stop", "hangup", "end"} {
		if types[want] == 0 {
			t.Errorf("no %q event in\n%s", want, stdout)
		}
	}
}

func TestCallCommandUsage(t *testing.T) {
	env := e2eEnv(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"call"}, "--to URL is required"},
		{[]string{"call", "--to", "http://127.0.0.1:1/", "--input", "abc"}, `--input "abc"`},
		{[]string{"call", "--to", "http://127.0.0.1:1/", "--dial", "maybe"}, `--dial "maybe"`},
		{[]string{"call", "--to", "http://127.0.0.1:1/#rt=99999"}, "100 to 15000"},
		{[]string{"call", "--to", "http://127.0.0.1:1/", "--status-events", "rang"}, `--status-events "rang"`},
		{[]string{"message", "--to", "http://127.0.0.1:1/"}, "--body TEXT is required"},
		{[]string{"call", "--to", "http://127.0.0.1:1/", "--from", "5551234"}, `--from "5551234" is not an E.164 number`},
		{[]string{"message", "--to", "http://127.0.0.1:1/", "--body", "x", "--from", "sip:a@b.example"}, "message takes phone numbers"},
		{[]string{"message", "--to", "http://127.0.0.1:1/", "--body", "x", "--outcome", "lost"}, `--outcome "lost"`},
	} {
		code, _, stderr := swhook(t, env, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
}

// TestMessageCommand: the reply is printed with its final status.
func TestMessageCommand(t *testing.T) {
	srv, n := cxmlServer(t, 0, `<Response><Message statusCallback="/status">Got it</Message></Response>`)
	env := e2eEnv(t)
	code, stdout, stderr := swhook(t, env, "message", "--to", srv.URL+"/sms", "--body", "hi", "--from", "+15551230000", "--to-number", "+15557654321")
	if code != 0 || *n != 4 || !strings.Contains(stdout, `+15557654321 → +15551230000: "Got it" (delivered)`) {
		t.Fatalf("exit %d, %d requests\n%s\n%s", code, *n, stdout, stderr)
	}
	if xs := storedExchanges(t, env); len(xs) != 4 {
		t.Errorf("stored %d, want 4", len(xs))
	}
}

// TestListenMarksSlowAnswer: listen waits for a 6-second answer but marks
// it as SignalWire would log it: 11200.
func TestListenMarksSlowAnswer(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 6 s")
	}
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(6 * time.Second)
		w.Header().Set("Content-Type", "text/xml")
		io.WriteString(w, "<Response/>")
	}))
	defer slow.Close()
	p := startListen(t, filepath.Join(t.TempDir(), "swhook.db"), "--forward", slow.URL)
	req, _ := webhook(p.local, 0)
	resp, err := e2eClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	deadline := time.After(60 * time.Second)
	for {
		select {
		case line := <-p.lines:
			var x struct {
				Type          string         `json:"type"`
				ResponseCheck exchange.Check `json:"response_check"`
			}
			if json.Unmarshal([]byte(line), &x) != nil || x.Type != "exchange" {
				continue
			}
			if x.ResponseCheck.Status != exchange.CheckError || !strings.Contains(x.ResponseCheck.Message, "SignalWire would have given up (11200)") {
				t.Fatalf("response check %+v", x.ResponseCheck)
			}
			return
		case <-deadline:
			t.Fatal("no exchange line")
		}
	}
}

// TestCallThroughListenOneRow: a call sent through a running listen on the
// same store is one row per request — the listener's, marked source call.
func TestCallThroughListenOneRow(t *testing.T) {
	storePath := filepath.Join(t.TempDir(), "swhook.db")
	handler := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !signaturetest.Valid(testKey, r.Method, "http://"+r.Host+r.URL.RequestURI(), r.Header, body) {
			http.Error(w, "bad signature", 403)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		switch r.URL.Path {
		case "/voice":
			io.WriteString(w, `<Response><Gather action="/menu" numDigits="1"><Say>Press 1</Say></Gather></Response>`)
		case "/menu":
			io.WriteString(w, `<Response><Say>Bye</Say><Hangup/></Response>`)
		default:
			w.WriteHeader(204)
		}
	}))
	defer handler.Close()
	l := startListen(t, storePath, "--forward", handler.URL)
	env := map[string]string{"SIGNALWIRE_SIGNING_KEY": testKey, "SWHOOK_STORE": storePath}
	code, stdout, stderr := runCmd(t, env, "", "call", "--to", l.local+"/voice", "--input", "1", "--status-callback", l.local+"/status")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, id := range []string{"#1", "#2", "#3"} {
		if !strings.Contains(stdout, id) {
			t.Errorf("transcript lacks the listener's row %s:\n%s", id, stdout)
		}
	}
	xs := listAll(t, storePath)
	if len(xs) != 3 {
		t.Fatalf("%d rows, want 3 (one per request):\n%s", len(xs), stdout)
	}
	for _, x := range xs {
		if x.Source != exchange.SourceCall || x.Listener != l.local || x.Signature.Status != exchange.SigValid {
			t.Errorf("#%d: source %s, listener %q, signature %s", x.ID, x.Source, x.Listener, x.Signature.Status)
		}
	}
}
