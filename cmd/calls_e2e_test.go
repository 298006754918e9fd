package cmd

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect/exchange"
)

// ivrHandler answers a small IVR: a Gather, then a Dial whose number's
// status callbacks (a child leg, with ParentCallSid) go to /leg, then a
// goodbye; messages get a reply with a status callback. It records every
// request's CallSid/MessageSid.
type ivrHandler struct {
	mu   sync.Mutex
	seen []url.Values
}

func (h *ivrHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	v, _ := url.ParseQuery(string(b))
	h.mu.Lock()
	h.seen = append(h.seen, v)
	h.mu.Unlock()
	doc := ""
	switch r.URL.Path {
	case "/voice":
		doc = `<Response><Gather numDigits="1" action="/menu"><Say>Press 1</Say></Gather></Response>`
	case "/menu":
		doc = `<Response><Dial action="/dialed"><Number statusCallback="/leg" statusCallbackEvent="initiated ringing answered completed">+15550001111</Number></Dial></Response>`
	case "/dialed":
		doc = `<Response><Say>Goodbye</Say></Response>`
	case "/sms":
		doc = `<Response><Message statusCallback="/sms-status">Thanks</Message></Response>`
	default:
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	io.WriteString(w, doc)
}

func (h *ivrHandler) requests() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.seen)
}

// Issue 16: two calls played at once by `swhook call` (each with a Dial
// child leg whose status callbacks carry ParentCallSid) and a message with a reply
// are grouped: `list --call` gives exactly each call's webhooks, oldest first,
// legs naming their parent; `list --calls` gives one line per call.
func TestCallsGroupInListCall(t *testing.T) {
	h := &ivrHandler{}
	srv := httptest.NewServer(h)
	defer srv.Close()
	storePath := filepath.Join(t.TempDir(), "swhook.db")
	env := map[string]string{cmdutil.EnvSigningKey: testKey, cmdutil.EnvStore: storePath}

	var wg sync.WaitGroup
	outs := make([]string, 2)
	for i := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, stdout, stderr := runCmd(t, env, "", "call", "--to", srv.URL+"/voice", "--input", "1", "--dial", "completed",
				"--status-callback", srv.URL+"/status", "--json")
			if code != 0 {
				t.Errorf("call %d: exit %d %s", i, code, stderr)
			}
			outs[i] = stdout
		}()
	}
	wg.Wait()
	if code, _, stderr := runCmd(t, env, "", "message", "--to", srv.URL+"/sms", "--body", "hi"); code != 0 {
		t.Fatalf("message: %s", stderr)
	}

	code, stdout, stderr := runCmd(t, env, "", "list", "--calls", "--json")
	if code != 0 {
		t.Fatal(stderr)
	}
	var calls []struct {
		ID    string `json:"id"`
		Steps int    `json:"steps"`
		Final string `json:"final"`
	}
	if err := json.Unmarshal([]byte(stdout), &calls); err != nil {
		t.Fatal(err)
	}
	// The reply's status callbacks name only the reply's MessageSid (as
	// SignalWire's do): the reply is a line of its own.
	if len(calls) != 4 || calls[0].Final != "delivered" || calls[0].Steps != 3 || calls[1].Steps != 1 {
		t.Fatalf("list --calls: want the reply (3 callbacks), the message, 2 calls:\n%s", stdout)
	}
	total := 0
	for _, c := range calls {
		total += c.Steps
		code, stdout, _ := runCmd(t, env, "", "list", "--call", c.ID, "--json")
		if code != 0 {
			t.Fatalf("list --call %s: exit %d", c.ID, code)
		}
		var xs []exchange.Exchange
		if err := json.Unmarshal([]byte(stdout), &xs); err != nil {
			t.Fatal(err)
		}
		if len(xs) != c.Steps {
			t.Errorf("call %s: %d webhooks, --calls said %d", c.ID, len(xs), c.Steps)
		}
		legs := 0
		for i, x := range xs {
			if x.Call.Group() != c.ID {
				t.Errorf("call %s holds #%d of call %+v", c.ID, x.ID, x.Call)
			}
			if i > 0 && x.ID < xs[i-1].ID {
				t.Errorf("call %s: not oldest first", c.ID)
			}
			if x.Call.Parent != "" {
				legs++
			}
		}
		if strings.HasPrefix(string(xs[0].Event.Kind), "call") {
			// fetch, gather action, four leg callbacks, dial action, status
			if len(xs) != 8 || legs != 4 || c.Final != "completed" {
				t.Errorf("call %s: %d webhooks, %d on the leg, final %q", c.ID, len(xs), legs, c.Final)
			}
		}
	}
	if total != h.requests() {
		t.Errorf("the calls hold %d webhooks; the handler got %d", total, h.requests())
	}
	// One call as HAR, and again to the handler, in order.
	cid := calls[2].ID
	code, stdout, stderr = runCmd(t, env, "", "export", "--har", "-", "--call", cid)
	var har struct {
		Log struct {
			Entries []json.RawMessage `json:"entries"`
		} `json:"log"`
	}
	if code != 0 || json.Unmarshal([]byte(stdout), &har) != nil || len(har.Log.Entries) != calls[2].Steps {
		t.Errorf("export --call: exit %d, %d entries for %d webhooks (%s)", code, len(har.Log.Entries), calls[2].Steps, stderr)
	}
	before := h.requests()
	code, stdout, stderr = runCmd(t, env, "", "replay", "--call", cid, "--fast")
	if code != 0 || h.requests()-before != calls[2].Steps || !strings.Contains(stdout, "replayed call "+cid+": 8 webhooks, 8 ok") {
		t.Errorf("replay --call: exit %d, the handler got %d, %s %s", code, h.requests()-before, stdout, stderr)
	}
	h.mu.Lock()
	again := h.seen[before:]
	h.mu.Unlock()
	for i, v := range again {
		if i == 1 && v.Get("Digits") != "1" {
			t.Errorf("replayed out of order: the second webhook is %v", v)
		}
	}

	// The timeline as a person reads it.
	code, stdout, _ = runCmd(t, env, "", "list", "--call", calls[2].ID)
	for _, want := range []string{"gather action Digits=1", "↳ call.status ringing (leg ", "dial action completed", "call.status completed"} {
		if code != 0 || !strings.Contains(stdout, want) {
			t.Errorf("list --call: no %q in\n%s", want, stdout)
		}
	}
}

// Through a running listen, `swhook call` without --to goes to the
// listener, and every webhook of the call is one row, the listener's
// (source call): the store holds exactly what the handler received.
func TestCallThroughListenIsOneRowEach(t *testing.T) {
	h := &ivrHandler{}
	srv := httptest.NewServer(h)
	defer srv.Close()
	storePath := filepath.Join(t.TempDir(), "swhook.db")
	l := startListen(t, storePath, "--forward", srv.URL)
	env := map[string]string{cmdutil.EnvSigningKey: testKey, cmdutil.EnvStore: storePath}
	code, _, stderr := runCmd(t, env, "", "call", "--to", l.local+"/voice", "--input", "1", "--dial", "busy")
	if code != 0 {
		t.Fatalf("call: exit %d %s", code, stderr)
	}
	// The listener indexes its journal a few times a second.
	xs := listAll(t, storePath)
	for deadline := time.Now().Add(60 * time.Second); len(xs) < h.requests() && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		xs = listAll(t, storePath)
	}
	if len(xs) != h.requests() {
		t.Fatalf("%d rows for %d webhooks", len(xs), h.requests())
	}
	for _, x := range xs {
		if x.Source != exchange.SourceCall || x.Listener != l.local {
			t.Errorf("#%d: source %s listener %q", x.ID, x.Source, x.Listener)
		}
	}
}
