package cmd

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/signature/signaturetest"
)

// swmlServer serves SWML documents by path to requests the independent
// signer finds validly signed (403 otherwise).
func swmlServer(t *testing.T, docs map[string]string) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !signaturetest.Valid(e2eKey, r.Method, "http://"+r.Host+r.URL.RequestURI(), r.Header, body) {
			http.Error(w, "bad signature", 403)
			return
		}
		d, ok := docs[r.URL.Path]
		if !ok {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		d = strings.ReplaceAll(d, "BASE", srv.URL)
		if strings.HasPrefix(d, "{") {
			w.Header().Set("Content-Type", "application/json")
		} else {
			w.Header().Set("Content-Type", "application/yaml")
		}
		io.WriteString(w, d)
	}))
	t.Cleanup(srv.Close)
	return srv
}

const swmlMenu = `version: 1.0.0
sections:
  main:
    - answer: {}
    - set:
        area: '${call.from.substring(2, 5)}'
    - prompt:
        play: 'say: Calling from area ${area}. Press 1 for sales, 2 for support'
    - switch:
        variable: prompt_value
        case:
          '1':
            - transfer:
                dest: BASE/sales
        default:
          - play:
              url: 'say: Goodbye'
  `

var (
	uuidRE  = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	portRE  = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	msRE    = regexp.MustCompile(`\d[\d.]* ?(ns|µs|ms|s)  #`)
	clockRE = regexp.MustCompile(`(?m)^ *\d+\.\ds  `)
)

// normalise hides what differs between runs: IDs, ports, timings.
func normalise(s string) string {
	s = uuidRE.ReplaceAllString(s, "UUID")
	s = portRE.ReplaceAllString(s, "127.0.0.1:PORT")
	s = msRE.ReplaceAllString(s, "DURATION  #")
	return clockRE.ReplaceAllString(s, "  T.Ts  ")
}

func TestCallSWMLMenu(t *testing.T) {
	srv := swmlServer(t, map[string]string{
		"/voice": swmlMenu,
		"/sales": `{"version":"1.0.0","sections":{"main":[{"play":{"url":"say: Sales here; you pressed %{vars.prompt_value}"}},{"hangup":{}}]}}`,
	})
	env := e2eEnv(t)
	code, stdout, stderr := swhook(t, env, "call", "--swml", "--to", srv.URL+"/voice", "--input", "1", "--from", "+15551234567", "--to-number", "+15557654321")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	golden.RequireEqual(t, normalise(stdout))
	xs := storedExchanges(t, env)
	if len(xs) != 2 {
		t.Fatalf("stored %d exchanges, want the two document fetches", len(xs))
	}
	for _, x := range xs {
		if x.Source != exchange.SourceCall || x.Signature.Status != exchange.SigValid || x.Request.Headers.Get("X-SignalWire-Sha256-Signature") == "" {
			t.Errorf("stored %s: source %s, signature %s", x.Request.Path, x.Source, x.Signature.Status)
		}
	}
}

func TestCallSWMLErrors(t *testing.T) {
	srv := swmlServer(t, map[string]string{
		"/nomain": `{"version":"1.0.0","sections":{"start":[{"answer":{}}]}}`,
		"/loop":   "version: 1.0.0\nsections:\n  main:\n    - set:\n        x: '${(() => { while (true) {} })()}'\n",
	})
	env := e2eEnv(t)
	code, stdout, stderr := swhook(t, env, "call", "--swml", "--to", srv.URL+"/nomain")
	if code != 1 || !strings.Contains(stdout, "✗ relay_script_main_section_missing: no sections.main; execution starts there") || !strings.Contains(stdout, "call ended: failed") {
		t.Errorf("no sections.main: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = swhook(t, env, "call", "--swml", "--to", srv.URL+"/loop")
	if code != 1 || !strings.Contains(stdout, "✗ relay_script_js_eval_error: sections.main[0].set.x: expression ran too long: stopped after 150ms") {
		t.Errorf("looping expression: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func TestMessageSWML(t *testing.T) {
	srv := swmlServer(t, map[string]string{
		"/sms": "version: 1.0.0\nsections:\n  main:\n    - reply: 'Got %{message.body}, thanks'\n",
	})
	env := e2eEnv(t)
	code, stdout, stderr := swhook(t, env, "message", "--swml", "--to", srv.URL+"/sms", "--body", "hello", "--from", "+15551234567", "--to-number", "+15557654321")
	if code != 0 || !strings.Contains(stdout, `✉ +15557654321 → +15551234567: "Got hello, thanks"`) {
		t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func TestCallSWMLStoredKind(t *testing.T) {
	srv := swmlServer(t, map[string]string{"/voice": swmlMenu, "/nomain": `{"version":"1.0.0","sections":{"start":[{"answer":{}}]}}`})
	env := e2eEnv(t)
	swhook(t, env, "call", "--swml", "--to", srv.URL+"/voice", "--input", "2")
	swhook(t, env, "call", "--swml", "--to", srv.URL+"/nomain")
	xs := storedExchanges(t, env)
	if len(xs) != 2 {
		t.Fatalf("stored %d exchanges", len(xs))
	}
	// The store holds the fetches as listen would have seen them: a SWML
	// call webhook, its answer graded by the same SWML rules.
	byPath := map[string]*exchange.Exchange{}
	for _, x := range xs {
		byPath[x.Request.Path] = x
	}
	if x := byPath["/voice"]; x.Event.Kind != exchange.KindSWMLCall || x.ResponseCheck.Status != exchange.CheckOK {
		t.Errorf("/voice stored as %s, check %+v", x.Event.Kind, x.ResponseCheck)
	}
	if x := byPath["/nomain"]; x.ResponseCheck.Status != exchange.CheckError || !strings.Contains(x.ResponseCheck.Message, "relay_script_main_section_missing") {
		t.Errorf("/nomain check %+v", x.ResponseCheck)
	}
}
