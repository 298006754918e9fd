package respcheck

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/exchange"
)

var (
	callInbound = exchange.Event{Kind: exchange.KindCallInbound, Detail: "ringing"}
	msgInbound  = exchange.Event{Kind: exchange.KindMessageInbound, Detail: "received"}
	faxInbound  = exchange.Event{Kind: exchange.KindFaxInbound}
	swmlCall    = exchange.Event{Kind: exchange.KindSWMLCall, Detail: "created"}
	swmlMessage = exchange.Event{Kind: exchange.KindSWMLMessage, Detail: "inbound"}
)

const (
	xmlCT  = "application/xml"
	jsonCT = "application/json"
	yamlCT = "application/yaml"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		ev     exchange.Event
		resp   Response
		status exchange.CheckStatus
		msg    string
	}{
		// Good answers.
		{"empty Response", callInbound, Response{Status: 200, ContentType: "text/xml", Body: []byte(`<?xml version="1.0" encoding="UTF-8"?><Response></Response>`)}, exchange.CheckOK, ""},
		{"Say and Dial", callInbound, Response{Status: 200, ContentType: "application/xml; charset=utf-8", Body: []byte(`<?xml version="1.0" encoding="UTF-8"?>
<!-- greet, then connect -->
<Response>
  <Say voice="woman">Hello &amp; welcome</Say>
  <Gather action="/menu" numDigits="1"><Say>Press 1</Say><Pause length="1"/></Gather>
  <Dial callerId="+15551234567"><Number>+15557654321</Number><Sip>sip:a@b.example</Sip></Dial>
  <Hangup/>
</Response>
`)}, exchange.CheckOK, ""},
		{"SSML inside Say is not checked", callInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte(`<Response><Say>Hi <break time="1s"/><prosody rate="slow">there</prosody></Say></Response>`)}, exchange.CheckOK, ""},
		{"BOM and leading blank lines", callInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte("\xef\xbb\xbf\n\n<Response/>")}, exchange.CheckOK, ""},
		{"BOM before the declaration", callInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte("\xef\xbb\xbf<?xml version=\"1.0\"?><Response/>")}, exchange.CheckOK, ""},
		{"trailing newline", callInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte("<?xml version=\"1.0\"?><Response/>\n\n")}, exchange.CheckOK, ""},
		{"latin-1 declaration", callInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte(`<?xml version="1.0" encoding="ISO-8859-1"?><Response><Say>caf` + "\xe9" + `</Say></Response>`)}, exchange.CheckOK, ""},
		{"Connect Stream", callInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte(`<Response><Connect><Stream url="wss://x.example/s"><Parameter name="a" value="b"/></Stream></Connect></Response>`)}, exchange.CheckOK, ""},
		{"default namespace", callInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte(`<Response xmlns="http://example.com/cxml"><Say>hi</Say></Response>`)}, exchange.CheckOK, ""},
		{"message reply", msgInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte(`<Response><Message to="+15557654321"><Body>Thanks!</Body><Media>https://x.example/a.jpg</Media></Message></Response>`)}, exchange.CheckOK, ""},
		{"message no reply", msgInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte(`<Response/>`)}, exchange.CheckOK, ""},
		{"fax receive", faxInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte(`<Response><Receive action="/fax/done" mediaType="application/pdf"/></Response>`)}, exchange.CheckOK, ""},
		{"fax reject", faxInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte(`<Response><Reject/></Response>`)}, exchange.CheckOK, ""},
		{"SWML JSON", swmlCall, Response{Status: 200, ContentType: jsonCT, Body: []byte(`{"version":"1.0.0","sections":{"main":[{"answer":{}},{"play":{"url":"say:Hello"}},"hangup"]}}`)}, exchange.CheckOK, ""},
		{"SWML YAML", swmlCall, Response{Status: 200, ContentType: yamlCT, Body: []byte("version: 1.0.0\nsections:\n  main:\n    - answer: {}\n    - play:\n        url: 'say:Hello'\n")}, exchange.CheckOK, ""},
		{"SWML YAML as text/plain", swmlCall, Response{Status: 200, ContentType: "text/plain", Body: []byte("version: 1.0.0\nsections:\n  main:\n    - hangup: {}\n")}, exchange.CheckOK, ""},
		{"SWML with more sections", swmlCall, Response{Status: 200, ContentType: jsonCT, Body: []byte(`{"version":"1.0.0","sections":{"main":[{"transfer":{"dest":"sub"}}],"sub":[{"hangup":{}}]}}`)}, exchange.CheckOK, ""},
		{"SWML answering a cXML call webhook", callInbound, Response{Status: 200, ContentType: jsonCT, Body: []byte(`{"version":"1.0.0","sections":{"main":[{"hangup":{}}]}}`)}, exchange.CheckOK, ""},
		{"SWML message", swmlMessage, Response{Status: 200, ContentType: jsonCT, Body: []byte(`{"version":"1.0.0","sections":{"main":[{"reply":{"body":"hi"}}]}}`)}, exchange.CheckOK, ""},
		{"201 is a 2xx", callInbound, Response{Status: 201, ContentType: xmlCT, Body: []byte(`<Response/>`)}, exchange.CheckOK, ""},

		// The case mistakes SignalWire users hit.
		{"lower-case response", callInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte(`<response><Say>hi</Say></response>`)},
			exchange.CheckError, "root element is <response>; cXML verbs are case-sensitive: use <Response>"},
		{"upper-case RESPONSE", callInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte(`<RESPONSE/>`)},
			exchange.CheckError, "root element is <RESPONSE>; cXML verbs are case-sensitive: use <Response>"},
		{"lower-case say", callInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte(`<Response><say>hi</say></Response>`)},
			exchange.CheckError, "<say> is not a cXML verb; verbs are case-sensitive: use <Say>"},
		{"lower-case message in a message reply", msgInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte(`<Response><message>hi</message></Response>`)},
			exchange.CheckError, "<message> is not a cXML verb; verbs are case-sensitive: use <Message>"},
		{"lower-case voice verb in a message reply", msgInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte(`<Response><say>hi</say></Response>`)},
			exchange.CheckError, "<say> is not a cXML verb; verbs are case-sensitive: use <Say>"},
		{"lower-case number inside Dial", callInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte(`<Response><Dial><number>+1555</number></Dial></Response>`)},
			exchange.CheckError, "<number> inside <Dial> is case-sensitive: use <Number>"},

		// Warnings: works, probably not as meant.
		{"unknown verb", callInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte(`<Response><Speak>hi</Speak></Response>`)},
			exchange.CheckWarning, "unknown verb <Speak>; SignalWire has no such voice verb and may reject the document"},
		{"voice verb in a message reply", msgInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte(`<Response><Say>hi</Say></Response>`)},
			exchange.CheckWarning, "<Say> is not a messaging verb; a messaging answer uses <Message>, <Redirect>"},
		{"message verb in a voice answer", callInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte(`<Response><Message>hi</Message></Response>`)},
			exchange.CheckWarning, "<Message> is not a voice verb; a voice answer uses <Sms> to send a message"},
		{"unknown noun inside Dial", callInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte(`<Response><Dial><Phone>+1555</Phone></Dial></Response>`)},
			exchange.CheckWarning, "unknown <Phone> inside <Dial>; it takes <Client>, <Conference>, <Number>, <Queue>, <Sip>, <Verto>"},
		{"an error after a warning wins", callInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte(`<Response><Speak/><say/></Response>`)},
			exchange.CheckError, "<say> is not a cXML verb; verbs are case-sensitive: use <Say>"},
		{"cXML served as text/html", callInbound, Response{Status: 200, ContentType: "text/html; charset=utf-8", Body: []byte(`<Response/>`)},
			exchange.CheckWarning, "cXML served as text/html; send Content-Type: application/xml"},
		{"cXML without a content type", callInbound, Response{Status: 200, Body: []byte(`<Response/>`)},
			exchange.CheckError, "SignalWire would reject the answer (12300): the answer has no Content-Type; send text/xml (cXML) or application/json (SWML)"},
		{"SWML JSON served as text/html", swmlCall, Response{Status: 200, ContentType: "text/html", Body: []byte(`{"version":"1.0.0","sections":{"main":["hangup"]}}`)},
			exchange.CheckWarning, "SWML JSON served as text/html; send Content-Type: application/json"},
		{"SWML YAML served as text/html", swmlCall, Response{Status: 200, ContentType: "text/html", Body: []byte("version: 1.0.0\nsections:\n  main: [hangup]\n")},
			exchange.CheckWarning, "SWML YAML served as text/html; send Content-Type: application/yaml"},
		{"SWML other version", swmlCall, Response{Status: 200, ContentType: jsonCT, Body: []byte(`{"version":"2.0.0","sections":{"main":["hangup"]}}`)},
			exchange.CheckError, `SWML: version is "2.0.0"; the only supported version is "1.0.0" (relay_script_version_invalid); the call will fail with a document parse error`},
		{"empty message reply", msgInbound, Response{Status: 200, ContentType: "text/plain"},
			exchange.CheckWarning, "empty answer; reply <Response></Response> to send no message"},
		{"truncated capture", callInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte(`<Response><Say>very lo`), Truncated: true},
			exchange.CheckWarning, "answer is larger than the capture limit; only its start was checked"},

		// Errors: the call (or fax) fails.
		{"empty 200 for a call", callInbound, Response{Status: 200, ContentType: "text/html"},
			exchange.CheckError, "empty answer; SignalWire expects cXML or SWML: the call will fail with a document parse error"},
		{"whitespace only for a call", callInbound, Response{Status: 200, Body: []byte(" \r\n\t")},
			exchange.CheckError, "empty answer; SignalWire expects cXML or SWML: the call will fail with a document parse error"},
		{"empty 200 for a fax", faxInbound, Response{Status: 200},
			exchange.CheckError, "empty answer; SignalWire expects cXML or SWML: the fax will not be received"},
		{"empty 204 for a SWML fetch", swmlCall, Response{Status: 204},
			exchange.CheckError, "empty answer; SignalWire expects cXML or SWML: the call will fail with a document parse error"},
		{"handler down", callInbound, Response{Status: 502, Err: "dial tcp 127.0.0.1:3000: connect: connection refused"},
			exchange.CheckError, "the handler could not be reached (dial tcp 127.0.0.1:3000: connect: connection refused), so swhook answered 502: the call will fail with a document parse error"},
		{"handler down, no status recorded", callInbound, Response{Err: "dial tcp 127.0.0.1:3000: connect: connection refused"},
			exchange.CheckError, "the handler could not be reached (dial tcp 127.0.0.1:3000: connect: connection refused): the call will fail with a document parse error"},
		{"handler down on a status callback", exchange.Event{Kind: exchange.KindCallStatus}, Response{Status: 504, Err: "timeout after 10s\nsecond line"},
			exchange.CheckError, "the handler could not be reached (timeout after 10s), so swhook answered 504: SignalWire may retry or log an error"},
		{"handler down on a message", msgInbound, Response{Status: 502, Err: "refused"},
			exchange.CheckError, "the handler could not be reached (refused), so swhook answered 502: the message gets no reply and SignalWire logs an error"},
		{"handler down, unknown webhook", exchange.Event{Kind: exchange.KindUnknown}, Response{Status: 502, Err: "refused"},
			exchange.CheckError, "the handler could not be reached (refused), so swhook answered 502"},
		{"500 for a call", callInbound, Response{Status: 500, ContentType: "text/html", Body: []byte("<html>Internal Server Error</html>")},
			exchange.CheckError, "handler answered 500; the call will fail with a document parse error"},
		{"404 for a message", msgInbound, Response{Status: 404},
			exchange.CheckError, "handler answered 404; the message gets no reply and SignalWire logs an error"},
		{"302 for a call", callInbound, Response{Status: 302},
			exchange.CheckError, "handler answered 302; the call will fail with a document parse error"},
		{"HTML page", callInbound, Response{Status: 200, ContentType: "text/html", Body: []byte("<!DOCTYPE html>\n<html><body>Welcome</body></html>")},
			exchange.CheckError, "answer is an HTML page, not cXML; the call will fail with a document parse error"},
		{"newline before the XML declaration", callInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte("\n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response/>")},
			exchange.CheckError, "text before <?xml ...?>; the XML declaration must come first: the call will fail with a document parse error"},
		{"another root", callInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte(`<Say>hi</Say>`)},
			exchange.CheckError, "root element is <Say>; cXML needs a <Response> root"},
		{"malformed XML", callInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte("<Response>\n<Say>hi</Sya>\n</Response>")},
			exchange.CheckError, "malformed cXML: line 2: element <Say> closed by </Sya>; the call will fail with a document parse error"},
		{"unclosed Response", callInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte("<Response><Say>hi</Say>")},
			exchange.CheckError, "malformed cXML: line 1: unexpected EOF; the call will fail with a document parse error"},
		{"unescaped ampersand", callInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte("<Response><Say>Tom & Jerry</Say></Response>")},
			exchange.CheckError, "malformed cXML: line 1: invalid character entity & (no semicolon); the call will fail with a document parse error"},
		{"two roots", callInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte("<Response/><Response/>")},
			exchange.CheckError, "element <Response> after </Response>; a cXML document has one root: the call will fail with a document parse error"},
		{"text after the root", callInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte("<Response/>\nOK")},
			exchange.CheckError, "text outside the <Response> element; the call will fail with a document parse error"},
		{"plain text", callInbound, Response{Status: 200, ContentType: "text/plain", Body: []byte("OK")},
			exchange.CheckError, "answer is neither cXML (<Response>) nor SWML (version and sections.main); the call will fail with a document parse error"},
		{"JSON that is not SWML", swmlCall, Response{Status: 200, ContentType: jsonCT, Body: []byte(`{"ok":true}`)},
			exchange.CheckError, "answer is neither cXML (<Response>) nor SWML (version and sections.main); the call will fail with a document parse error"},
		{"broken JSON", swmlCall, Response{Status: 200, ContentType: jsonCT, Body: []byte(`{"version":"1.0.0","sections":{"main":[}`)},
			exchange.CheckError, "malformed SWML JSON (relay_script_parse_error): invalid character '}' looking for beginning of value; the call will fail with a document parse error"},
		{"SWML without main", swmlCall, Response{Status: 200, ContentType: jsonCT, Body: []byte(`{"version":"1.0.0","sections":{"start":[]}}`)},
			exchange.CheckError, "SWML: no sections.main; execution starts there (relay_script_main_section_missing); the call will fail with a document parse error"},
		{"SWML without sections", swmlCall, Response{Status: 200, ContentType: jsonCT, Body: []byte(`{"version":"1.0.0"}`)},
			exchange.CheckError, "SWML: no sections; add sections.main, where execution starts (relay_script_sections_missing); the call will fail with a document parse error"},
		{"SWML main is an object", swmlCall, Response{Status: 200, ContentType: jsonCT, Body: []byte(`{"version":"1.0.0","sections":{"main":{"answer":{}}}}`)},
			exchange.CheckError, "SWML: a section must be a list of methods, not an object (relay_script_element_wrong_type); the call will fail with a document parse error"},
		{"SWML other section not a list", swmlCall, Response{Status: 200, ContentType: jsonCT, Body: []byte(`{"version":"1.0.0","sections":{"main":["hangup"],"sub":"x"}}`)},
			exchange.CheckError, `SWML: a section must be a list of methods, not a string (relay_script_element_wrong_type); the call will fail with a document parse error`},
		{"SWML without version (it defaults to 1.0.0)", swmlCall, Response{Status: 200, ContentType: jsonCT, Body: []byte(`{"sections":{"main":[{"answer":{}}]}}`)},
			exchange.CheckOK, ""},
		{"SWML with an empty main", swmlCall, Response{Status: 200, ContentType: jsonCT, Body: []byte(`{"version":"1.0.0","sections":{"main":[]}}`)},
			exchange.CheckError, `SWML: section "main" has no steps (relay_script_section_code_missing); the call will fail with a document parse error`},
		{"SWML numeric version", swmlCall, Response{Status: 200, ContentType: jsonCT, Body: []byte(`{"version":1,"sections":{"main":[]}}`)},
			exchange.CheckError, `SWML: version must be the string "1.0.0", not a number (relay_script_version_invalid); the call will fail with a document parse error`},
		{"SWML sections a list", swmlCall, Response{Status: 200, ContentType: jsonCT, Body: []byte(`{"version":"1.0.0","sections":[]}`)},
			exchange.CheckError, "SWML: sections must be an object of named method lists, not a list (relay_script_element_wrong_type); the call will fail with a document parse error"},
		{"YAML main is a string", swmlCall, Response{Status: 200, ContentType: yamlCT, Body: []byte("version: 1.0.0\nsections:\n  main: answer\n")},
			exchange.CheckError, "SWML: a section must be a list of methods, not a string (relay_script_element_wrong_type); the call will fail with a document parse error"},
		{"YAML without main", swmlCall, Response{Status: 200, ContentType: yamlCT, Body: []byte("version: 1.0.0\nsections:\n  start:\n    - answer: {}\n")},
			exchange.CheckError, "SWML: no sections.main; execution starts there (relay_script_main_section_missing); the call will fail with a document parse error"},
		{"YAML without version", swmlCall, Response{Status: 200, ContentType: yamlCT, Body: []byte("sections:\n  main:\n    - answer: {}\n")},
			exchange.CheckOK, ""},
		{"SWML unknown method", swmlCall, Response{Status: 200, ContentType: jsonCT, Body: []byte(`{"version":"1.0.0","sections":{"main":[{"answer":{}},{"plya":{"url":"say:hi"}}]}}`)},
			exchange.CheckError, `SWML at sections.main[1]: unknown method "plya" (relay_script_method_undefined); the call will fail with a document parse error`},
		{"SWML malformed expression", swmlCall, Response{Status: 200, ContentType: yamlCT, Body: []byte("version: 1.0.0\nsections:\n  main:\n    - play:\n        url: 'say: ${call.from'\n")},
			exchange.CheckError, `SWML at sections.main[0].play.url: unterminated ${ (no closing }) (relay_script_js_eval_error); the call will fail with a document parse error`},
		{"SWML message with a calling method", swmlMessage, Response{Status: 200, ContentType: jsonCT, Body: []byte(`{"version":"1.0.0","sections":{"main":[{"play":{"url":"say:hi"}}]}}`)},
			exchange.CheckError, `SWML at sections.main[0]: "play" is not a messaging SWML method (swml_unsupported_method); the message gets no reply and SignalWire logs an error`},
		{"YAML with a tab", swmlCall, Response{Status: 200, ContentType: yamlCT, Body: []byte("version: 1.0.0\nsections:\n\tmain: []\n")},
			exchange.CheckError, "answer is neither cXML (<Response>) nor SWML (version and sections.main); the call will fail with a document parse error"},

		// Status callbacks want a 2xx, whatever the body.
		{"status callback 200", exchange.Event{Kind: exchange.KindCallStatus, Detail: "completed"}, Response{Status: 200}, exchange.CheckOK, ""},
		{"status callback 204", exchange.Event{Kind: exchange.KindMessageStatus, Detail: "delivered"}, Response{Status: 204}, exchange.CheckOK, ""},
		{"status callback with an odd body", exchange.Event{Kind: exchange.KindRecordingStatus}, Response{Status: 200, ContentType: "text/html", Body: []byte("<response>")}, exchange.CheckOK, ""},
		{"status callback 500", exchange.Event{Kind: exchange.KindCallStatus, Detail: "completed"}, Response{Status: 500},
			exchange.CheckWarning, "status callback answered 500; SignalWire wants a 2xx and may retry or log an error"},
		{"fax status 404", exchange.Event{Kind: exchange.KindFaxStatus}, Response{Status: 404},
			exchange.CheckWarning, "status callback answered 404; SignalWire wants a 2xx and may retry or log an error"},
		{"transcription 301", exchange.Event{Kind: exchange.KindTranscription}, Response{Status: 301},
			exchange.CheckWarning, "status callback answered 301; SignalWire wants a 2xx and may retry or log an error"},
		{"relay 403", exchange.Event{Kind: exchange.KindRelayCallState, Detail: "ended"}, Response{Status: 403},
			exchange.CheckWarning, "status callback answered 403; SignalWire wants a 2xx and may retry or log an error"},

		// Unknown webhooks: no expectation to grade against.
		{"unknown", exchange.Event{Kind: exchange.KindUnknown}, Response{Status: 500}, exchange.CheckNA, ""},
		{"empty kind", exchange.Event{}, Response{Status: 200}, exchange.CheckNA, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Check(tt.ev, tt.resp)
			if got.Status != tt.status || got.Message != tt.msg {
				t.Errorf("Check = %s %q\n          want %s %q", got.Status, got.Message, tt.status, tt.msg)
			}
		})
	}
}

// Every kind gets an answer; a kind added to exchange.Kinds without a rule
// here shows up as n/a and is caught by this list.
func TestCheckGradesEveryKind(t *testing.T) {
	ok := Response{Status: 200, ContentType: xmlCT, Body: []byte("<Response/>")}
	want := map[exchange.Kind]exchange.CheckStatus{
		exchange.KindUnknown: exchange.CheckNA,
	}
	for _, k := range exchange.Kinds {
		w, found := want[k]
		if !found {
			w = exchange.CheckOK
		}
		if got := Check(exchange.Event{Kind: k}, ok); got.Status != w {
			t.Errorf("%s: %s %q, want %s", k, got.Status, got.Message, w)
		}
	}
}

// Messages are one line: the list view and plain log print them as is.
func TestCheckMessagesAreOneLine(t *testing.T) {
	for _, body := range []string{"<Response>\n<Say>\n", "{\n\"version\":\n", "a:\n  - b\n\t- c"} {
		c := Check(callInbound, Response{Status: 200, Body: []byte(body)})
		if strings.ContainsAny(c.Message, "\r\n") {
			t.Errorf("%q: message spans lines: %q", body, c.Message)
		}
	}
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{
		`<Response><Say>hi</Say></Response>`, `<response/>`, `<Response><Dial><Number>1</Number></Dial></Response>`,
		`{"version":"1.0.0","sections":{"main":[]}}`, "version: 1.0.0\nsections:\n  main: []\n",
		"a: &a [*a, *a]\nb: *a\n", "<!DOCTYPE x [<!ENTITY a \"b\">]><Response>&a;</Response>", "", "\xff\xfe",
	} {
		f.Add(s, "application/xml", 200)
	}
	f.Fuzz(func(t *testing.T, body, ct string, status int) {
		in := []byte(body)
		for _, k := range exchange.Kinds {
			c := Check(exchange.Event{Kind: k}, Response{Status: status, ContentType: ct, Body: in})
			switch c.Status {
			case exchange.CheckOK, exchange.CheckNA:
				if c.Message != "" {
					t.Fatalf("%s with a message %q", c.Status, c.Message)
				}
			case exchange.CheckWarning, exchange.CheckError:
				if c.Message == "" {
					t.Fatalf("%s without a message", c.Status)
				}
			default:
				t.Fatalf("status %q", c.Status)
			}
		}
		if !bytes.Equal(in, []byte(body)) {
			t.Fatal("Check changed the body")
		}
	})
}

// benchSWMLYAML is a menu with expressions: the parser's path, not the
// fast one.
const benchSWMLYAML = `version: 1.0.0
sections:
  main:
    - answer: {}
    - prompt:
        play: 'say: Hello ${call.from}, press 1 or 2'
    - switch:
        variable: prompt_value
        case:
          '1':
            - set:
                total: '${vars.price * parseInt(vars.qty)}'
            - play:
                url: 'say: ${total.toFixed(2)}'
        default:
          - transfer:
              dest: https://example.com/next
`

func BenchmarkCheck(b *testing.B) {
	cases := []struct {
		name string
		ev   exchange.Event
		resp Response
	}{
		{"cxml", callInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte(`<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hello</Say><Dial><Number>+15557654321</Number></Dial></Response>`)}},
		{"empty-response", callInbound, Response{Status: 200, ContentType: xmlCT, Body: []byte(`<Response></Response>`)}},
		{"swml-json", swmlCall, Response{Status: 200, ContentType: jsonCT, Body: []byte(`{"version":"1.0.0","sections":{"main":[{"answer":{}},{"play":{"url":"say:Hello"}}]}}`)}},
		{"swml-yaml-expressions", swmlCall, Response{Status: 200, ContentType: yamlCT, Body: []byte(benchSWMLYAML)}},
		{"status-callback", exchange.Event{Kind: exchange.KindCallStatus}, Response{Status: 200}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Check(c.ev, c.resp)
			}
		})
	}
}

// TestDeliveryRules: an answer SignalWire would not have waited for, or
// one too big for it to read, is marked with SignalWire's code whatever
// it said.
func TestDeliveryRules(t *testing.T) {
	doc := []byte("<Response><Say>hi</Say></Response>")
	call := exchange.Event{Kind: exchange.KindCallInbound}
	status := exchange.Event{Kind: exchange.KindCallStatus}
	cases := []struct {
		name string
		ev   exchange.Event
		r    Response
		want string
	}{
		{"6 s document", call, Response{Status: 200, ContentType: "text/xml", Body: doc, Duration: 6 * time.Second}, "SignalWire would have given up (11200)"},
		{"6 s status callback", status, Response{Status: 204, Duration: 6 * time.Second}, "SignalWire would have given up (11200)"},
		{"4.9 s", call, Response{Status: 200, ContentType: "text/xml", Body: doc, Duration: 4900 * time.Millisecond}, ""},
		{"70 kB", call, Response{Status: 200, ContentType: "text/xml", Body: doc, BodySize: 70 << 10, Truncated: true}, "(11750)"},
		{"70 kB to a status callback", status, Response{Status: 200, BodySize: 70 << 10}, ""},
	}
	for _, c := range cases {
		got := Check(c.ev, c.r)
		if c.want == "" {
			if got.Status != exchange.CheckOK {
				t.Errorf("%s: %+v, want ok", c.name, got)
			}
			continue
		}
		if got.Status != exchange.CheckError || !strings.Contains(got.Message, c.want) {
			t.Errorf("%s: %+v, want an error with %q", c.name, got, c.want)
		}
	}
}
