package numbers_test

import (
	"context"
	"testing"
	"time"

	"github.com/swhook/swhook/tunnel/numbers"
	"github.com/swhook/swhook/tunnel/numbers/numberstest"
)

// TestList: each number's routes as SignalWire holds them (webhook URLs,
// a Fabric resource read once however many numbers use it, another
// target), and the record that marks a re-pointed one.
func TestList(t *testing.T) {
	e := setup(t)
	const res = "99999999-9999-4999-8999-999999999999"
	e.fake.AddWebhook("swml_webhook", res, "Bot", map[string]any{"primary_request_url": "https://app.example.com/bot"})
	e.fake.AddNumber(numberstest.Number("11111111-1111-4111-8111-111111111111", "+15551230001", map[string]any{
		"call_handler": "laml_webhooks", "call_request_url": "https://app.example.com/voice", "call_request_method": "GET",
		"message_handler": "relay_context", "message_relay_context": "office"}))
	for _, n := range []string{"+15551230002", "+15551230003"} {
		e.fake.AddNumber(numberstest.Number("2222222"+n[len(n)-1:]+"-2222-4222-8222-222222222222", n, map[string]any{
			"call_handler": "relay_script", "calling_handler_resource_id": res, "capabilities": []any{"voice"}}))
	}
	rec := &numbers.Record{Kind: numbers.KindNumber, ID: "11111111-1111-4111-8111-111111111111", Name: "+15551230001",
		Numbers: []string{"+15551230001"}, Project: project, Space: e.fake.URL(), Created: time.Unix(0, 0), TunnelURL: "https://t.example", PID: 999999999, Host: "elsewhere"}
	other := *rec
	other.Project = "another project"
	list, err := e.c.List(context.Background(), []*numbers.Record{&other, rec}, "here")
	if err != nil || len(list) != 3 {
		t.Fatalf("%d numbers, %v", len(list), err)
	}
	byNumber := map[string]numbers.Listed{}
	for _, l := range list {
		byNumber[l.Number] = l
	}
	one := byNumber["+15551230001"]
	if c := one.Calls; c == nil || c.URL != "https://app.example.com/voice" || c.Method != "GET" {
		t.Errorf("calls %+v", one.Calls)
	}
	if m := one.Messages; m == nil || m.Handler != "relay_context" || m.Target != "office" {
		t.Errorf("messages %+v", one.Messages)
	}
	if p := one.Repointed; p == nil || p.TunnelURL != "https://t.example" || p.Running {
		t.Errorf("repointed %+v", one.Repointed)
	}
	two := byNumber["+15551230002"]
	if two.Messages != nil || two.Repointed != nil || two.Calls.Resource == nil ||
		*two.Calls.Resource != (numbers.Resource{ID: res, Type: "swml_webhook", Name: "Bot", URL: "https://app.example.com/bot"}) {
		t.Errorf("%+v %+v", two, two.Calls)
	}
	reads := 0
	for _, r := range e.fake.Requests() {
		if r.Method == "GET" && r.Path == "/api/fabric/resources/"+res {
			reads++
		}
	}
	if reads != 1 {
		t.Errorf("the shared resource was read %d times", reads)
	}
}
