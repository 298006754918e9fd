package numbers_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/swhook/swhook/tunnel/numbers"
	"github.com/swhook/swhook/tunnel/numbers/numberstest"
)

const (
	project = "0b8c54a1-6d2c-4a54-9a8e-5a7c3a1d2e3f"
	token   = "PTtestTOKENabcdef0123456789secret"
)

type env struct {
	fake *numberstest.Fake
	c    *numbers.Client
	recs numbers.Records
}

func setup(t *testing.T) *env {
	t.Helper()
	fake := numberstest.New(project, token)
	t.Cleanup(fake.Close)
	c, err := numbers.NewClient(numbers.Credentials{Project: project, Space: fake.URL(), Token: token}, &http.Client{})
	if err != nil {
		t.Fatal(err)
	}
	return &env{fake: fake, c: c, recs: numbers.Records{Dir: filepath.Join(t.TempDir(), "numbers")}}
}

func (e *env) session(t *testing.T, nums []string, o numbers.Options) (*numbers.Session, *numbers.Plan) {
	t.Helper()
	plan, err := numbers.Prepare(t.Context(), e.c, nums, o)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Refused) > 0 {
		t.Fatalf("refused: %v", plan.Refused)
	}
	return &numbers.Session{Client: e.c, Records: e.recs, Plan: plan, PID: os.Getpid(), Host: "testhost"}, plan
}

func (e *env) records(t *testing.T) []*numbers.Record {
	t.Helper()
	rs, err := e.recs.List()
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func cxmlNumber() map[string]any {
	return numberstest.Number("11111111-1111-4111-8111-111111111111", "+15551230001", map[string]any{
		"name": "Main", "call_handler": "laml_webhooks",
		"call_request_url":         "https://prod.example.com/voice/inbound?tenant=7#rt=3000",
		"call_fallback_url":        "https://backup.example.com/fallback",
		"call_status_callback_url": "https://prod.example.com/status",
		"message_handler":          "laml_webhooks", "message_request_url": "https://prod.example.com/sms",
	})
}

// A cXML number is pointed at the tunnel keeping path, query and fragment
// (only scheme and host change), its fallback stays, and the restore puts
// every field back exactly.
func TestPointAndRestoreCXML(t *testing.T) {
	e := setup(t)
	e.fake.AddNumber(cxmlNumber())
	before := e.fake.Snapshot()
	s, plan := e.session(t, []string{"+15551230001"}, numbers.Options{})
	if len(plan.Targets) != 1 || plan.Targets[0].Kind != numbers.KindNumber {
		t.Fatalf("targets %+v", plan.Targets)
	}
	notes, err := s.Point(t.Context(), "https://abc.ngrok-free.app")
	if err != nil {
		t.Fatal(err)
	}
	for field, want := range map[string]string{
		"call_request_url":         "https://abc.ngrok-free.app/voice/inbound?tenant=7#rt=3000",
		"call_status_callback_url": "https://abc.ngrok-free.app/status",
		"message_request_url":      "https://abc.ngrok-free.app/sms",
		"call_fallback_url":        "https://backup.example.com/fallback",
		"call_handler":             "laml_webhooks",
	} {
		if got := e.fake.Field("+15551230001", field); got != want {
			t.Errorf("%s = %v, want %s", field, got, want)
		}
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "pointed +15551230001") {
		t.Errorf("notes %q", notes)
	}
	if len(e.records(t)) != 1 {
		t.Fatalf("want one record")
	}
	notes, err = s.Restore(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if after := e.fake.Snapshot(); stripUpdated(after) != stripUpdated(before) {
		t.Errorf("not restored exactly:\nbefore %s\nafter  %s", before, after)
	}
	if len(e.records(t)) != 0 {
		t.Error("the record is still there after a successful restore")
	}
	if !strings.Contains(strings.Join(notes, "\n"), "restored +15551230001") {
		t.Errorf("notes %q", notes)
	}
}

func stripUpdated(s string) string {
	var v any
	json.Unmarshal([]byte(s), &v)
	var walk func(any)
	walk = func(x any) {
		switch m := x.(type) {
		case map[string]any:
			delete(m, "updated_at")
			for _, c := range m {
				walk(c)
			}
		case []any:
			for _, c := range m {
				walk(c)
			}
		}
	}
	walk(v)
	b, _ := json.Marshal(v)
	return string(b)
}

func TestPointAndRestoreSWML(t *testing.T) {
	e := setup(t)
	e.fake.AddNumber(numberstest.Number("22222222-2222-4222-8222-222222222222", "+15551230002", map[string]any{
		"call_handler": "relay_script", "call_relay_script_url": "https://swml.example.com/agent.json",
		"capabilities": []any{"voice"},
	}))
	before := e.fake.Snapshot()
	s, _ := e.session(t, []string{"+15551230002"}, numbers.Options{})
	if _, err := s.Point(t.Context(), "https://x.ngrok.app"); err != nil {
		t.Fatal(err)
	}
	if got := e.fake.Field("+15551230002", "call_relay_script_url"); got != "https://x.ngrok.app/agent.json" {
		t.Errorf("call_relay_script_url = %v", got)
	}
	if w := e.fake.Writes(); len(w) != 1 || len(w[0].Body) != 1 {
		t.Errorf("writes %+v: want one PUT of call_relay_script_url only", w)
	}
	if _, err := s.Restore(t.Context()); err != nil {
		t.Fatal(err)
	}
	if stripUpdated(e.fake.Snapshot()) != stripUpdated(before) {
		t.Error("not restored exactly")
	}
}

// --voice-path and friends replace the original paths.
func TestPointWithPaths(t *testing.T) {
	e := setup(t)
	e.fake.AddNumber(cxmlNumber())
	s, _ := e.session(t, []string{"+15551230001"}, numbers.Options{VoicePath: "/calls/in?x=1", MessagePath: "/m", StatusPath: "/cb"})
	if _, err := s.Point(t.Context(), "https://h.ngrok.app"); err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]string{"call_request_url": "https://h.ngrok.app/calls/in?x=1",
		"message_request_url": "https://h.ngrok.app/m", "call_status_callback_url": "https://h.ngrok.app/cb"} {
		if got := e.fake.Field("+15551230001", f); got != want {
			t.Errorf("%s = %v, want %s", f, got, want)
		}
	}
}

// A number with nothing configured gets the default paths, and the
// restore clears the URLs again and says the handler cannot go back to none.
func TestPointUnconfigured(t *testing.T) {
	e := setup(t)
	e.fake.AddNumber(numberstest.Number("33333333-3333-4333-8333-333333333333", "+15551230003", nil))
	s, _ := e.session(t, []string{"+15551230003"}, numbers.Options{})
	if _, err := s.Point(t.Context(), "https://h.ngrok.app"); err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]string{"call_handler": "laml_webhooks", "call_request_url": "https://h.ngrok.app/voice",
		"call_status_callback_url": "https://h.ngrok.app/status", "message_handler": "laml_webhooks",
		"message_request_url": "https://h.ngrok.app/message"} {
		if got := e.fake.Field("+15551230003", f); got != want {
			t.Errorf("%s = %v, want %s", f, got, want)
		}
	}
	notes, err := s.Restore(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"call_request_url", "call_status_callback_url", "message_request_url"} {
		if got := e.fake.Field("+15551230003", f); got != "" && got != nil {
			t.Errorf("%s = %v after restore, want empty", f, got)
		}
	}
	if j := strings.Join(notes, "\n"); !strings.Contains(j, "call_handler stays laml_webhooks") || !strings.Contains(j, "message_handler stays laml_webhooks") {
		t.Errorf("notes %q", notes)
	}
}

// A number routed to a Fabric cXML webhook has the resource changed; when
// the resource serves another number too, the plan names it.
func TestPointFabricSharedResource(t *testing.T) {
	e := setup(t)
	const rid = "99999999-9999-4999-8999-999999999999"
	e.fake.AddWebhook("cxml_webhook", rid, "Booking", map[string]any{
		"primary_request_url": "https://app.example.com/book?v=2", "fallback_request_url": "https://fb.example.com/",
		"status_callback_url": "https://app.example.com/cb"})
	e.fake.AddNumber(numberstest.Number("44444444-4444-4444-8444-444444444444", "+15551230004", map[string]any{
		"call_handler": "laml_webhooks", "calling_handler_resource_id": rid, "capabilities": []any{"voice"}}))
	e.fake.AddNumber(numberstest.Number("55555555-5555-4555-8555-555555555555", "+15551230005", map[string]any{
		"call_handler": "laml_webhooks", "calling_handler_resource_id": rid, "capabilities": []any{"voice"}}))
	before := e.fake.Snapshot()
	s, plan := e.session(t, []string{"+15551230004"}, numbers.Options{})
	shared := plan.Shared()
	if len(shared) != 1 || !slices.Equal(shared[0].Others, []string{"+15551230005"}) {
		t.Fatalf("shared %+v", shared)
	}
	if title := shared[0].Title(); !strings.Contains(title, `cXML webhook "Booking"`) || !strings.Contains(title, "also serves +15551230005") {
		t.Errorf("title %q", title)
	}
	if _, err := s.Point(t.Context(), "https://h.ngrok.app"); err != nil {
		t.Fatal(err)
	}
	if got := e.fake.WebhookField(rid, "primary_request_url"); got != "https://h.ngrok.app/book?v=2" {
		t.Errorf("primary_request_url = %v", got)
	}
	if got := e.fake.WebhookField(rid, "fallback_request_url"); got != "https://fb.example.com/" {
		t.Errorf("fallback changed: %v", got)
	}
	for _, w := range e.fake.Writes() {
		if w.Method != "PATCH" || w.Path != "/api/fabric/resources/cxml_webhooks/"+rid {
			t.Errorf("write %s %s", w.Method, w.Path)
		}
	}
	if _, err := s.Restore(t.Context()); err != nil {
		t.Fatal(err)
	}
	if stripUpdated(e.fake.Snapshot()) != stripUpdated(before) {
		t.Error("not restored exactly")
	}
}

func TestPointFabricSWML(t *testing.T) {
	e := setup(t)
	const rid = "88888888-8888-4888-8888-888888888888"
	e.fake.AddWebhook("swml_webhook", rid, "Agent", map[string]any{"primary_request_url": "https://app.example.com/swml"})
	e.fake.AddNumber(numberstest.Number("66666666-6666-4666-8666-666666666666", "+15551230006", map[string]any{
		"call_handler": "relay_script", "calling_handler_resource_id": rid, "capabilities": []any{"voice"}}))
	before := e.fake.Snapshot()
	s, plan := e.session(t, []string{"+15551230006"}, numbers.Options{})
	if len(plan.Shared()) != 0 {
		t.Errorf("not shared, but %+v", plan.Shared())
	}
	if _, err := s.Point(t.Context(), "https://h.ngrok.app"); err != nil {
		t.Fatal(err)
	}
	if got := e.fake.WebhookField(rid, "primary_request_url"); got != "https://h.ngrok.app/swml" {
		t.Errorf("primary_request_url = %v", got)
	}
	if got := e.fake.WebhookField(rid, "status_callback_url"); got != nil {
		t.Errorf("status_callback_url set to %v; it had none", got)
	}
	if _, err := s.Restore(t.Context()); err != nil {
		t.Fatal(err)
	}
	if stripUpdated(e.fake.Snapshot()) != stripUpdated(before) {
		t.Error("not restored exactly")
	}
}

// Numbers whose handler cannot be pointed (and put back) are refused with
// the reason, and nothing is written.
func TestRefusedHandlers(t *testing.T) {
	e := setup(t)
	e.fake.AddResource("77777777-7777-4777-8777-777777777777", "ai_agent", "Receptionist", map[string]any{"id": "x"})
	e.fake.AddNumber(numberstest.Number("a1", "+15551230011", map[string]any{"call_handler": "ai_agent", "calling_handler_resource_id": "77777777-7777-4777-8777-777777777777"}))
	e.fake.AddNumber(numberstest.Number("a2", "+15551230012", map[string]any{"call_handler": "relay_context", "call_relay_context": "office", "capabilities": []any{"voice"}}))
	e.fake.AddNumber(numberstest.Number("a3", "+15551230013", map[string]any{"call_handler": "laml_webhooks", "call_request_url": "https://a/b",
		"calling_handler_resource_id": "77777777-7777-4777-8777-777777777777", "capabilities": []any{"voice"}}))
	e.fake.AddNumber(numberstest.Number("a4", "+15551230014", map[string]any{"call_handler": "call_flow"}))
	plan, err := numbers.Prepare(t.Context(), e.c, []string{"+15551230011", "+15551230012", "+15551230013", "+15551230014"}, numbers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Refused) != 4 {
		t.Fatalf("refused %v", plan.Refused)
	}
	for i, want := range []string{"a ai_agent, a handler only Fabric can set", "relay_context (office), not to a URL",
		`the Fabric ai_agent "Receptionist"`, "a call_flow, a handler only Fabric can set"} {
		if !strings.Contains(plan.Refused[i].String(), want) {
			t.Errorf("refusal %d: %q, want %q", i, plan.Refused[i], want)
		}
	}
	if len(e.fake.Writes()) != 0 {
		t.Error("a refused number was written")
	}
}

// filter_number matches substrings: only the exact number counts.
func TestNotInProject(t *testing.T) {
	e := setup(t)
	e.fake.AddNumber(numberstest.Number("b1", "+155512300011", nil))
	_, err := numbers.Prepare(t.Context(), e.c, []string{"+15551230001"}, numbers.Options{})
	var nf *numbers.NotInProjectError
	if !errors.As(err, &nf) || !strings.Contains(err.Error(), "+15551230001 is not a phone number of project "+project) {
		t.Fatalf("err %v", err)
	}
	if q := e.fake.Requests()[0].RawQuery; !strings.Contains(q, "filter_number=%2B15551230001") {
		t.Errorf("query %q", q)
	}
}

// Lists follow the "next" links through every page.
func TestListPages(t *testing.T) {
	e := setup(t)
	for i := range 250 {
		e.fake.AddNumber(numberstest.Number("id"+itoa(i), "+1555000"+pad(i), nil))
	}
	all, err := e.c.ListNumbers(t.Context(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 250 {
		t.Errorf("%d numbers, want 250", len(all))
	}
	if n := len(e.fake.Requests()); n != 3 {
		t.Errorf("%d requests, want 3 pages", n)
	}
}

func itoa(i int) string {
	return strings.TrimLeft(pad(i), "0") + map[bool]string{true: "0", false: ""}[i == 0]
}
func pad(i int) string {
	s := ""
	for range 4 {
		s = string(rune('0'+i%10)) + s
		i /= 10
	}
	return s
}

// 401 and 403 say which credential was refused and the scope needed,
// without the token.
func TestAuthErrors(t *testing.T) {
	e := setup(t)
	e.fake.AddNumber(cxmlNumber())
	bad, _ := numbers.NewClient(numbers.Credentials{Project: project, Space: e.fake.URL(), Token: "wrong-" + token}, nil)
	_, err := bad.FindNumber(t.Context(), "+15551230001")
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "project ID "+project) ||
		!strings.Contains(err.Error(), "$SIGNALWIRE_API_TOKEN") || strings.Contains(err.Error(), token) {
		t.Errorf("401: %v", err)
	}
	e.fake.Scopes = []string{"Voice"}
	_, err = e.c.FindNumber(t.Context(), "+15551230001")
	if err == nil || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "needs the Numbers scope") {
		t.Errorf("403: %v", err)
	}
}

// The restore record is on disk, complete, before the first write reaches
// SignalWire.
func TestRecordBeforeFirstWrite(t *testing.T) {
	e := setup(t)
	e.fake.AddNumber(cxmlNumber())
	s, _ := e.session(t, []string{"+15551230001"}, numbers.Options{})
	checked := false
	e.fake.Before(func(r *http.Request, body map[string]any) int {
		if r.Method != "PUT" {
			return 0
		}
		checked = true
		rs, err := e.recs.List()
		if err != nil || len(rs) != 1 {
			t.Errorf("at the first write: records %v, %v", rs, err)
			return 0
		}
		info, err := os.Stat(rs[0].Path())
		if err != nil || info.Mode().Perm() != 0o600 {
			t.Errorf("record mode %v, %v", info, err)
		}
		if rs[0].Read.Str("call_request_url") != "https://prod.example.com/voice/inbound?tenant=7#rt=3000" || rs[0].PID != os.Getpid() || rs[0].TunnelURL != "https://h.ngrok.app" {
			t.Errorf("record %+v", rs[0])
		}
		b, _ := os.ReadFile(rs[0].Path())
		if strings.Contains(string(b), token) {
			t.Error("the token is in the record")
		}
		return 0
	})
	if _, err := s.Point(t.Context(), "https://h.ngrok.app"); err != nil {
		t.Fatal(err)
	}
	if !checked {
		t.Fatal("no write")
	}
}

// A write SignalWire refuses (422) or fails (500) puts back what was
// changed already and leaves no record.
func TestPointFailureUndoes(t *testing.T) {
	for _, status := range []int{422, 500} {
		e := setup(t)
		e.fake.AddNumber(cxmlNumber())
		e.fake.AddNumber(numberstest.Number("22222222-2222-4222-8222-222222222222", "+15551230002", map[string]any{
			"call_handler": "relay_script", "call_relay_script_url": "https://swml.example.com/a", "capabilities": []any{"voice"}}))
		before := e.fake.Snapshot()
		s, _ := e.session(t, []string{"+15551230001", "+15551230002"}, numbers.Options{})
		e.fake.Before(func(r *http.Request, body map[string]any) int {
			if r.Method == "PUT" && strings.HasSuffix(r.URL.Path, "/22222222-2222-4222-8222-222222222222") {
				return status
			}
			return 0
		})
		_, err := s.Point(t.Context(), "https://h.ngrok.app")
		if err == nil || !strings.Contains(err.Error(), "point +15551230002") {
			t.Fatalf("%d: err %v", status, err)
		}
		if status == 422 && !strings.Contains(err.Error(), "Call request url is invalid") {
			t.Errorf("422 detail missing: %v", err)
		}
		if stripUpdated(e.fake.Snapshot()) != stripUpdated(before) {
			t.Errorf("%d: the first number was not put back", status)
		}
		if rs := e.records(t); len(rs) != 0 {
			t.Errorf("%d: records left %v", status, rs)
		}
	}
}

// A slow API times out with a clear message; a restore that cannot reach
// SignalWire keeps the record and says how to retry.
func TestSlowAnswerKeepsRecord(t *testing.T) {
	e := setup(t)
	e.fake.AddNumber(cxmlNumber())
	s, _ := e.session(t, []string{"+15551230001"}, numbers.Options{})
	if _, err := s.Point(t.Context(), "https://h.ngrok.app"); err != nil {
		t.Fatal(err)
	}
	e.c.Timeout = 50 * time.Millisecond
	e.fake.Delay(2 * time.Second)
	_, err := s.Restore(t.Context())
	if err == nil || !strings.Contains(err.Error(), "did not answer GET /api/relay/rest/phone_numbers/") ||
		!strings.Contains(err.Error(), "retry with `swhook numbers restore`") {
		t.Fatalf("err %v", err)
	}
	if len(e.records(t)) != 1 {
		t.Fatal("the record is gone after a failed restore")
	}
	e.fake.Delay(0)
	e.c.Timeout = 0
	if _, err := s.Restore(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := e.fake.Field("+15551230001", "call_request_url"); got != "https://prod.example.com/voice/inbound?tenant=7#rt=3000" {
		t.Errorf("call_request_url = %v", got)
	}
}

// A field changed in the dashboard while swhook had the number is left as
// it is, and said; the others are restored.
func TestRestoreLeavesChangedFields(t *testing.T) {
	e := setup(t)
	e.fake.AddNumber(cxmlNumber())
	s, _ := e.session(t, []string{"+15551230001"}, numbers.Options{})
	if _, err := s.Point(t.Context(), "https://h.ngrok.app"); err != nil {
		t.Fatal(err)
	}
	e.fake.SetField("+15551230001", "message_request_url", "https://new.example.com/sms")
	notes, err := s.Restore(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := e.fake.Field("+15551230001", "message_request_url"); got != "https://new.example.com/sms" {
		t.Errorf("message_request_url = %v: the dashboard's change was overwritten", got)
	}
	if got := e.fake.Field("+15551230001", "call_request_url"); got != "https://prod.example.com/voice/inbound?tenant=7#rt=3000" {
		t.Errorf("call_request_url = %v", got)
	}
	if j := strings.Join(notes, "\n"); !strings.Contains(j, "left +15551230001's message_request_url as it is") {
		t.Errorf("notes %q", notes)
	}
}

// A new tunnel URL re-points every field still holding swhook's value,
// after the record learned the new value; the restore then still works.
func TestRepoint(t *testing.T) {
	e := setup(t)
	e.fake.AddNumber(cxmlNumber())
	before := e.fake.Snapshot()
	s, _ := e.session(t, []string{"+15551230001"}, numbers.Options{})
	if _, err := s.Point(t.Context(), "https://one.ngrok-free.app"); err != nil {
		t.Fatal(err)
	}
	e.fake.SetField("+15551230001", "call_status_callback_url", "https://mine.example.com/st")
	notes, err := s.Point(t.Context(), "https://two.ngrok-free.app")
	if err != nil {
		t.Fatal(err)
	}
	if got := e.fake.Field("+15551230001", "call_request_url"); got != "https://two.ngrok-free.app/voice/inbound?tenant=7#rt=3000" {
		t.Errorf("call_request_url = %v", got)
	}
	if got := e.fake.Field("+15551230001", "call_status_callback_url"); got != "https://mine.example.com/st" {
		t.Errorf("call_status_callback_url = %v", got)
	}
	j := strings.Join(notes, "\n")
	if !strings.Contains(j, "re-pointed +15551230001 at the new URL") || !strings.Contains(j, "left +15551230001's call_status_callback_url") {
		t.Errorf("notes %q", notes)
	}
	rs := e.records(t)
	if len(rs) != 1 || rs[0].TunnelURL != "https://two.ngrok-free.app" || len(rs[0].Changes[0].Set) != 2 {
		t.Fatalf("record %+v", rs)
	}
	e.fake.SetField("+15551230001", "call_status_callback_url", "https://two.ngrok-free.app/status")
	if _, err := s.Restore(t.Context()); err != nil {
		t.Fatal(err)
	}
	if stripUpdated(e.fake.Snapshot()) != stripUpdated(before) {
		t.Error("not restored exactly")
	}
}

// A record left by a crashed run is restored from the file alone; one
// whose number is gone (404) is done with.
func TestRestoreRecordFromDisk(t *testing.T) {
	e := setup(t)
	e.fake.AddNumber(cxmlNumber())
	before := e.fake.Snapshot()
	s, _ := e.session(t, []string{"+15551230001"}, numbers.Options{})
	if _, err := s.Point(t.Context(), "https://h.ngrok.app"); err != nil {
		t.Fatal(err)
	}
	// The process "dies": a new client restores from the records.
	rs := e.records(t)
	if len(rs) != 1 || rs[0].OwnerAlive("testhost") {
		t.Fatalf("records %+v (our own PID counts as not alive)", rs)
	}
	if _, err := numbers.RestoreRecord(context.Background(), e.c, rs[0]); err != nil {
		t.Fatal(err)
	}
	if stripUpdated(e.fake.Snapshot()) != stripUpdated(before) {
		t.Error("not restored exactly")
	}
	gone := &numbers.Record{Kind: numbers.KindNumber, ID: "00000000-0000-4000-8000-000000000000", Name: "+15550000000", Project: project, Space: e.fake.URL()}
	notes, err := numbers.RestoreRecord(t.Context(), e.c, gone)
	if err != nil || !strings.Contains(strings.Join(notes, ""), "no longer in the project") {
		t.Errorf("404: %q, %v", notes, err)
	}
	other := &numbers.Record{Kind: numbers.KindNumber, ID: "x", Name: "+1", Project: "another", Space: e.fake.URL()}
	if _, err := numbers.RestoreRecord(t.Context(), e.c, other); err == nil || !strings.Contains(err.Error(), "is for project another") {
		t.Errorf("other project: %v", err)
	}
}

// A second listen cannot take a number a first one holds.
func TestRecordExists(t *testing.T) {
	e := setup(t)
	e.fake.AddNumber(cxmlNumber())
	s, _ := e.session(t, []string{"+15551230001"}, numbers.Options{})
	if _, err := s.Point(t.Context(), "https://h.ngrok.app"); err != nil {
		t.Fatal(err)
	}
	s2, _ := e.session(t, []string{"+15551230001"}, numbers.Options{})
	_, err := s2.Point(t.Context(), "https://other.ngrok.app")
	var ex *numbers.ExistsError
	if !errors.As(err, &ex) {
		t.Fatalf("err %v", err)
	}
	if got := e.fake.Field("+15551230001", "call_request_url"); got != "https://h.ngrok.app/voice/inbound?tenant=7#rt=3000" {
		t.Errorf("the second session changed the number: %v", got)
	}
}

func TestSpaceURL(t *testing.T) {
	for in, want := range map[string]string{
		"example":                         "https://example.signalwire.com",
		"example.signalwire.com":          "https://example.signalwire.com",
		"https://example.signalwire.com/": "https://example.signalwire.com",
		"http://127.0.0.1:8080":           "http://127.0.0.1:8080",
		"http://localhost:1":              "http://localhost:1",
	} {
		u, err := numbers.SpaceURL(in)
		if err != nil || u.String() != want {
			t.Errorf("%q: %v, %v; want %s", in, u, err, want)
		}
	}
	for _, in := range []string{"", "http://example.signalwire.com", "ftp://x", "https://x/api", "https://u:p@x"} {
		if _, err := numbers.SpaceURL(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

// TestSpaceURLHidesCredentials: a Space written with the project and token
// in it (https://project:token@host) is refused without echoing them.
func TestSpaceURLHidesCredentials(t *testing.T) {
	for _, in := range []string{"https://proj:PTsecret42@example.signalwire.com", "proj:PTsecret42@example.signalwire.com",
		"http://proj:PTsecret42@example.signalwire.com", "ftp://proj:PTsecret42@x", "https://proj:PTsecret42@x/api"} {
		_, err := numbers.SpaceURL(in)
		if err == nil || strings.Contains(err.Error(), "PTsecret42") || strings.Contains(err.Error(), "proj:") {
			t.Errorf("%q: %v", in, err)
		}
	}
}

func TestE164(t *testing.T) {
	if n, err := numbers.E164("+1 (555) 123-4567"); err != nil || n != "+15551234567" {
		t.Errorf("%q %v", n, err)
	}
	for _, in := range []string{"5551234567", "+1555abc", "+12"} {
		if _, err := numbers.E164(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
