package swml

import (
	"context"
	"strings"
	"testing"

	"github.com/swhook/swhook/replay/call"
)

func TestExecuteURLTransferInlineAndMore(t *testing.T) {
	site := newSite(t)
	site.docs["/sub"] = func(body map[string]any) (string, string) {
		p, _ := body["params"].(map[string]any)
		return "application/json", `{"version":"1.0.0","sections":{"main":[{"play":{"url":"say: sub got ` + text(p["who"]) + `"}},{"return":"${params.who + '!'}"}]}}`
	}
	site.docs["/broken"] = func(map[string]any) (string, string) { return "application/json", `{"error":"nope"}` }
	site.docs["/api500"] = func(map[string]any) (string, string) { return "text/plain", "" }
	inline := `{\"version\":\"1.0.0\",\"sections\":{\"main\":[{\"play\":{\"url\":\"say: inline ${vars.k}\"}}]}}`
	site.json("/voice", `{"version":"1.0.0","sections":{"main":[
	  {"execute":{"dest":"`+site.url("/sub")+`","params":{"who":"${call.to}"},"on_return":[{"play":{"url":"say: back with %{return_value}"}}]}},
	  {"set":{"k":"v","gone":1}},
	  {"unset":["gone"]},
	  {"cond":[{"when":"vars.gone !== undefined","then":[{"play":{"url":"say: wrong"}}]},{"else":[{"play":{"url":"say: gone is gone"}}]}]},
	  {"prompt":{"play":["say: PIN?","silence:2"],"max_digits":6,"terminators":"#"}},
	  {"play":{"url":"say: pin ${prompt_value} by ${prompt_digit_terminator}","status_url":"`+site.url("/playstatus")+`"}},
	  {"prompt":{"play":"say: say something","speech_hints":["yes"]}},
	  {"play":{"url":"say: heard ${prompt_value} at ${prompt_speech_confidence}"}},
	  {"request":{"url":"`+site.url("/fail500")+`","method":"GET","save_variables":true}},
	  {"play":{"url":"say: request ${request_result} ${request_response_code}"}},
	  {"send_digits":{"digits":"1w2"}},
	  {"sleep":{"duration":1500}},
	  {"transfer":{"dest":"`+inline+`"}},
	  {"play":{"url":"say: never after a transfer"}}
	]}}`)
	r := playCall(t, site.url("/voice"), []string{"1234#", "speech:yes please"}, nil, -1)
	want := []string{"sub got +15557654321", "back with +15557654321!", "gone is gone", "PIN?", "pin 1234 by #", "say something", "heard yes please at 0.95", "request failed 500", "inline v"}
	if !equal(r.said(), want) || r.s.Failed() {
		t.Errorf("said %q (errors %q), want %q", r.said(), r.errors(), want)
	}
	if p := r.ev.Of(call.EvPause); len(p) != 2 || p[0].Seconds != 2 || p[1].Seconds != 1.5 {
		t.Errorf("pauses %+v", p)
	}
	if d := r.ev.Of(call.EvPlay); len(d) != 1 || d[0].Digits != "1w2" {
		t.Errorf("digits %+v", d)
	}
	ps := site.requests("/playstatus")
	if len(ps) != 2 || ps[0].body["event_type"] != "calling.call.play" || ps[1].body["params"].(map[string]any)["state"] != "finished" {
		t.Errorf("play status events %+v", ps)
	}
	sub := site.requests("/sub")
	if len(sub) != 1 || !sub[0].valid || sub[0].body["params"].(map[string]any)["who"] != "+15557654321" {
		t.Errorf("execute fetch %+v", sub)
	}
}

func TestRunTimeErrors(t *testing.T) {
	site := newSite(t)
	site.json("/nomatch", `{"version":"1.0.0","sections":{"main":[{"switch":{"variable":"call.type","case":{"sip":[{"hangup":{}}]}}},{"play":{"url":"say: no"}}]}}`)
	site.json("/selfloop", `{"version":"1.0.0","sections":{"main":[{"transfer":{"dest":"main"}}]}}`)
	site.json("/recurse", `{"version":"1.0.0","sections":{"main":[{"execute":{"dest":"main"}}]}}`)
	site.json("/badfetch", `{"version":"1.0.0","sections":{"main":[{"transfer":{"dest":"`+site.url("/broken")+`"}}]}}`)
	site.docs["/broken"] = func(map[string]any) (string, string) { return "application/json", `{"error":"nope"}` }
	site.json("/hangup", `{"version":"1.0.0","sections":{"main":[{"hangup":{"reason":"busy"}},{"play":{"url":"say: after"}}]}}`)
	for _, c := range []struct{ path, want string }{
		{"/nomatch", `relay_script_method_no_matching_condition: sections.main[0].switch: call.type is "phone"`},
		{"/selfloop", "relay_script_too_many_transfers"},
		{"/recurse", "relay_script_nested_too_deep"},
		{"/badfetch", `relay_script_element_undefined: error: unknown top-level element "error"`},
	} {
		r := playCall(t, site.url(c.path), nil, nil, -1)
		if errs := r.errors(); !r.s.Failed() || len(errs) != 1 || !strings.HasPrefix(errs[0], c.want) || len(r.said()) != 0 {
			t.Errorf("%s: errors %q, said %q; want %q", c.path, errs, r.said(), c.want)
		}
	}
	r := playCall(t, site.url("/hangup"), nil, nil, -1)
	if len(r.said()) != 0 || r.s.Failed() || len(r.ev.Of(call.EvHangup)) != 1 || !strings.Contains(r.ev.Of(call.EvHangup)[0].Text, "busy") {
		t.Errorf("hangup: said %q, hangups %+v", r.said(), r.ev.Of(call.EvHangup))
	}
}

func TestMessagingTransferRequestAndTopLevelReply(t *testing.T) {
	site := newSite(t)
	site.docs["/lookup"] = func(map[string]any) (string, string) { return "application/json", `{"name":"Ada"}` }
	site.yaml("/sms", `sections:
  main:
    - request:
        url: `+site.url("/lookup")+`
        save_variables: true
    - transfer:
        dest: `+site.url("/second")+`
        params:
          n: 1
`)
	site.docs["/second"] = func(body map[string]any) (string, string) {
		vars, _ := body["vars"].(map[string]any)
		rr, _ := vars["request_response"].(map[string]any)
		return "application/yaml", "reply: 'Hi " + text(rr["name"]) + " %{params.n}'\n"
	}
	s, ev := newSession(t, site.url("/sms"), nil, nil, -1)
	if err := Message(context.Background(), s, Inbound{Body: "x"}, Options{}); err != nil {
		t.Fatal(err)
	}
	sms := ev.Of(call.EvSMS)
	if len(sms) != 1 || sms[0].Text != "Hi Ada 1" || s.Failed() {
		t.Errorf("replies %+v, errors %+v", sms, ev.Of(call.EvError))
	}
	second := site.requests("/second")
	if len(second) != 1 || !second[0].valid || second[0].body["message"] == nil {
		t.Errorf("transfer fetch %+v", second)
	}
	if got := site.requests("/lookup"); len(got) != 1 {
		t.Errorf("request sent %d times", len(got))
	}
}

func TestSkippedAndRecordCall(t *testing.T) {
	site := newSite(t)
	site.yaml("/voice", `version: 1.0.0
sections:
  main:
    - record_call:
        format: mp3
        status_url: `+site.url("/rc")+`
    - ai:
        prompt:
          text: You are a helpful agent
        SWAIG:
          functions:
            - function: lookup
              web_hook_url: `+site.url("/swaig")+`
    - play:
        url: 'say: recording to ${record_call_url}'
    - stop_record_call: {}
`)
	r := playCall(t, site.url("/voice"), nil, nil, -1)
	if r.s.Failed() || len(r.said()) != 1 || !strings.HasPrefix(r.said()[0], "recording to https://") {
		t.Errorf("said %q, errors %q", r.said(), r.errors())
	}
	skips := r.ev.Of(call.EvSkip)
	if len(skips) != 1 || skips[0].Verb != "ai" || call.Line(skips[0]) == "" || strings.Contains(call.Line(skips[0]), "<ai>") {
		t.Errorf("skips %+v", skips)
	}
	if n := len(site.requests("/swaig")); n != 0 {
		t.Errorf("the SWAIG web_hook_url was called %d times; ai is skipped", n)
	}
	rc := site.requests("/rc")
	if len(rc) != 2 || rc[0].body["params"].(map[string]any)["state"] != "recording" || rc[1].body["params"].(map[string]any)["state"] != "finished" {
		t.Errorf("record_call events %+v", rc)
	}
}

func TestCXMLAnswerToSWMLCall(t *testing.T) {
	site := newSite(t)
	site.docs["/voice"] = func(map[string]any) (string, string) { return "text/xml", "<Response><Say>hi</Say></Response>" }
	r := playCall(t, site.url("/voice"), nil, nil, -1)
	if errs := r.errors(); len(errs) != 1 || !strings.HasPrefix(errs[0], "relay_script_parse_error") || !strings.Contains(errs[0], "run without --swml") {
		t.Errorf("errors %q", errs)
	}
}
