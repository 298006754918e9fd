package swml

import (
	"errors"
	"strings"
	"testing"
)

func TestParseCalling(t *testing.T) {
	tests := []struct {
		name, body, code, msg string
	}{
		{"json", `{"version":"1.0.0","sections":{"main":[{"answer":{}},{"play":{"url":"say:hi ${call.from}"}},"hangup"]}}`, "", ""},
		{"yaml", "version: 1.0.0\nsections:\n  main:\n    - prompt:\n        play: 'say:Press 1'\n    - switch:\n        variable: prompt_value\n        case:\n          1:\n            - hangup: {}\n        default:\n          - transfer:\n              dest: main\n", "", ""},
		{"broken json", `{"version":"1.0.0","sections":{"main":[}`, ErrParse, "malformed JSON"},
		{"broken yaml", "version: 1.0.0\nsections:\n\tmain: []\n", ErrParse, "malformed YAML"},
		{"a list", `[1]`, ErrParse, "not a list"},
		{"no version (it defaults to 1.0.0)", `{"sections":{"main":[{"answer":{}}]}}`, "", ""},
		{"list-form transfer (transfer.mdx)", "version: 1.0.0\nsections:\n  main:\n    - transfer:\n        - dest: 'https://example.com/next'\n        - params:\n            - foo: bar\n", "", ""},
		{"goto from a nested list to the section's label", "sections:\n  main:\n    - label: top\n    - cond:\n        - when: '${prompt_value} == 1'\n          then:\n            - goto:\n                label: top\n", "", ""},
		{"ai templates are the AI engine's", `{"sections":{"main":[{"ai":{"SWAIG":{"functions":[{"data_map":{"expressions":[{"string":"${meta.${lc:args.x}}"}]}}]}}}]}}`, "", ""},
		{"other version", `{"version":"2.0.0","sections":{"main":[{"answer":{}}]}}`, ErrVersionInvalid, `"2.0.0"`},
		{"no sections", `{"version":"1.0.0"}`, ErrSectionsMissing, "no sections"},
		{"no main", `{"version":"1.0.0","sections":{"start":[{"answer":{}}]}}`, ErrMainSectionMissing, "no sections.main"},
		{"empty main", `{"version":"1.0.0","sections":{"main":[]}}`, ErrSectionCodeMissing, `"main" has no steps`},
		{"main an object", `{"version":"1.0.0","sections":{"main":{"answer":{}}}}`, ErrElementWrongType, "not an object"},
		{"extra element", `{"version":"1.0.0","sections":{"main":[{"answer":{}}]},"meta":1}`, ErrElementUndefined, `"meta"`},
		{"unknown method", `{"version":"1.0.0","sections":{"main":[{"answer":{}},{"plya":{"url":"x"}}]}}`, ErrMethodUndefined, `sections.main[1]: unknown method "plya"`},
		{"unknown nested", "version: 1.0.0\nsections:\n  main:\n    - switch:\n        variable: x\n        case:\n          a:\n            - hangupp: {}\n", ErrMethodUndefined, "sections.main[0].switch.case.a[0]"},
		{"two methods in a step", `{"version":"1.0.0","sections":{"main":[{"answer":{},"hangup":{}}]}}`, ErrElementInvalidValue, "answer, hangup"},
		{"empty step", `{"version":"1.0.0","sections":{"main":[{}]}}`, ErrMethodMissingName, "method name"},
		{"transfer without dest", `{"version":"1.0.0","sections":{"main":[{"transfer":{}}]}}`, ErrMethodParameterMissing, "transfer needs dest"},
		{"execute to no section", `{"version":"1.0.0","sections":{"main":[{"execute":{"dest":"sub"}}]}}`, ErrSectionUndefined, `"sub"`},
		{"request bad method", `{"version":"1.0.0","sections":{"main":[{"request":{"url":"https://x","method":"FETCH"}}]}}`, ErrMethodParameterInvalid, "FETCH"},
		{"goto no label", `{"version":"1.0.0","sections":{"main":[{"goto":{"label":"top"}}]}}`, ErrMethodParameterInvalid, `no label "top"`},
		{"goto max", `{"version":"1.0.0","sections":{"main":[{"label":"top"},{"goto":{"label":"top","max":500}}]}}`, ErrMethodParameterInvalid, "1 to 100"},
		{"unterminated expression", `{"version":"1.0.0","sections":{"main":[{"play":{"url":"say:${call.from"}}]}}`, ErrJSEval, "unterminated"},
		{"bad js", `{"version":"1.0.0","sections":{"main":[{"set":{"a":"${call.from +* 2}"}}]}}`, ErrJSEval, "sections.main[0].set.a"},
		{"bad cond", `{"version":"1.0.0","sections":{"main":[{"cond":[{"when":"a ==","then":[{"hangup":{}}]}]}]}}`, ErrJSEval, "when"},
		{"play both", `{"version":"1.0.0","sections":{"main":[{"play":{"url":"a","urls":["b"]}}]}}`, ErrMethodParameterConflict, "not both"},
		{"inline transfer", `{"version":"1.0.0","sections":{"main":[{"transfer":{"dest":"{\"version\":\"1.0.0\",\"sections\":{\"main\":[{\"hangup\":{}}]}}"}}]}}`, "", ""},
		{"bad inline transfer", `{"version":"1.0.0","sections":{"main":[{"transfer":{"dest":"{\"version\":\"1.0.0\"}"}}]}}`, ErrSectionsMissing, "inline SWML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse([]byte(tt.body), Calling)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if len(d.Sections["main"]) == 0 {
					t.Fatal("no main steps")
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse error = %v, want a *Error %s", err, tt.code)
			}
			if e.Code != tt.code || !strings.Contains(e.Error(), tt.msg) {
				t.Errorf("Parse error = %q, want code %s and %q", e.Error(), tt.code, tt.msg)
			}
		})
	}
}

func TestParseMessaging(t *testing.T) {
	tests := []struct{ name, body, code string }{
		{"sections", `{"version":"1.0.0","sections":{"main":[{"reply":"hi %{message.from}"}]}}`, ""},
		{"top reply", "reply: Thanks!\n", ""},
		{"receive", `{"receive":{}}`, ""},
		{"nothing", `{"version":"1.0.0"}`, MsgMissingEntryPoint},
		{"two entries", `{"reply":"a","receive":{}}`, MsgInvalidDocument},
		{"main not a list", `{"sections":{"main":{}}}`, MsgInvalidSectionFormat},
		{"calling method", `{"sections":{"main":[{"play":{"url":"say:hi"}}]}}`, MsgUnsupportedMethod},
		{"reply without body", `{"sections":{"main":[{"reply":{"to":"+1555"}}]}}`, MsgReplyBodyOrMedia},
		{"transfer to a section", `{"sections":{"main":[{"transfer":{"dest":"main"}}]}}`, MsgTransferFailed},
		{"bad transform", `{"sections":{"main":[{"switch":{"variable":"message.body","transform":"rot13","case":{}}}]}}`, MsgSwitchInvalidTransform},
		{"broken", `{"sections":`, MsgJSONOrYAMLRequired},
		{"js is text", `{"sections":{"main":[{"reply":"${1 +* 2}"}]}}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.body), Messaging)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Code != tt.code {
				t.Fatalf("Parse error = %v, want %s", err, tt.code)
			}
		})
	}
}

func TestSplitTemplate(t *testing.T) {
	parts, err := SplitTemplate(`say: ${call.from} has ${ items.join("}") } and %{vars.a[0].b}`, Calling)
	if err != nil {
		t.Fatal(err)
	}
	want := []Part{{Lit: "say: "}, {Expr: "call.from", Path: true}, {Lit: " has "}, {Expr: `items.join("}")`}, {Lit: " and "}, {Expr: "vars.a[0].b", Path: true}}
	if len(parts) != len(want) {
		t.Fatalf("parts = %+v", parts)
	}
	for i := range want {
		if parts[i] != want[i] {
			t.Errorf("part %d = %+v, want %+v", i, parts[i], want[i])
		}
	}
	m, _ := SplitTemplate(`%{message.from} ${x}`, Messaging)
	if len(m) != 2 || m[0].Expr != "message.from" || m[1].Lit != " ${x}" {
		t.Errorf("messaging parts = %+v", m)
	}
	for s, want := range map[string]bool{"a": true, "a.b-c[2].d": true, "request_response_headers.content-type": true, "a.": false, "a+b": false, "1a": false, "a[x]": false, "": false, "a.b()": false} {
		if IsPath(s) != want {
			t.Errorf("IsPath(%q) = %v", s, !want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"version":"1.0.0","sections":{"main":[{"answer":{}},{"switch":{"variable":"x","case":{"1":[{"hangup":{}}]}}}]}}`))
	f.Add([]byte("version: 1.0.0\nsections:\n  main:\n    - cond:\n        - when: a == 1\n          then: [hangup]\n        - else: [{play: {url: 'say:${x}'}}]\n"))
	f.Add([]byte("reply: hi %{message.body}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, fl := range []Flavor{Calling, Messaging} {
			d, err := Parse(body, fl)
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Code == "" {
					t.Fatalf("error without a SignalWire code: %v", err)
				}
				continue
			}
			if fl == Calling && len(d.Sections["main"]) == 0 {
				t.Fatal("valid calling document without main steps")
			}
		}
	})
}
