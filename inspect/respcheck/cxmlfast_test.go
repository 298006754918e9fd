package respcheck

import (
	"testing"

	"github.com/swhook/swhook/inspect/exchange"
)

var domains = []domain{domainVoice, domainMessaging, domainFax}

// requirePlainAgrees is the property the fast path rests on: whenever
// plainCXMLOK vouches for a document, the decoder grades it OK too, cut
// short or not.
func requirePlainAgrees(t *testing.T, body []byte) {
	t.Helper()
	for _, d := range domains {
		if !plainCXMLOK(d, body) {
			continue
		}
		for _, truncated := range []bool{false, true} {
			if c := decodeCXML(d, body, truncated); c.Status != exchange.CheckOK {
				t.Fatalf("plainCXMLOK(%s, %q) but the decoder says %+v", d.name(), body, c)
			}
		}
	}
}

func TestPlainCXMLTakesCommonAnswers(t *testing.T) {
	for _, tt := range []struct {
		d   domain
		doc string
	}{
		{domainVoice, `<Response></Response>`},
		{domainVoice, `<Response/>`},
		{domainVoice, `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`},
		{domainVoice, "<?xml version=\"1.0\"?>\n<Response>\n  <Say voice=\"alice\" loop='2'>Hello, world.</Say>\n  <Hangup/>\n</Response>\n"},
		{domainVoice, `<Response><Say>Hello</Say><Dial callerId="+15551230000"><Number>+15557654321</Number></Dial></Response>`},
		{domainVoice, `<Response><Gather input="speech dtmf" action="/next?step=2"><Say>Press 1</Say></Gather><Redirect method="POST">/voice</Redirect ></Response >`},
		{domainMessaging, `<Response><Message><Body>hi</Body><Media>https://x/y.png</Media></Message></Response>`},
		{domainFax, `<Response><Receive action="/fax"/></Response>`},
	} {
		body := []byte(tt.doc)
		if !plainCXMLOK(tt.d, trimBOM(body)) {
			t.Errorf("plainCXMLOK(%s, %q) = false; the fast path misses a common answer", tt.d.name(), tt.doc)
		}
		requirePlainAgrees(t, trimBOM(body))
	}
}

func TestPlainCXMLDeclines(t *testing.T) {
	for _, doc := range []string{
		``, `<Response>`, `<Response></Response><Response/>`, `<response></response>`, `<Response><say>x</say></Response>`,
		`<Response><Sms>x</Sms></Response ` /* cut */, `<Response><Foo/></Response>`, `<Response><Dial><Sip>a</Sip><Numbr/></Dial></Response>`,
		`<Response><Say>a &amp; b</Say></Response>`, `<Response><!-- c --></Response>`, `<Response><![CDATA[x]]></Response>`,
		`<x:Response xmlns:x="u"></x:Response>`, `<Response><Say>café</Say></Response>`, `<Response><Say loop>x</Say></Response>`,
		`<Response><Say a="1"b="2">x</Say></Response>`, `<Response></Say>`, `<Response>text</Response>x`, `x<Response/>`,
		`<?xml version="1.1"?><Response/>`, `<?xml version="1.0" encoding="ISO-8859-1"?><Response/>`, `<Response><Message>hi</Message></Response>`,
		`<Response><Say>a ]]> b</Say></Response>`, `<Response><Say a="<">x</Say></Response>`, `<!DOCTYPE x><Response/>`,
	} {
		if plainCXMLOK(domainVoice, []byte(doc)) {
			t.Errorf("plainCXMLOK(voice, %q) = true; it must leave this to the decoder", doc)
		}
	}
}

// fragments build documents that are mostly well formed, so the fuzzer
// reaches the fast path's acceptances rather than only its refusals.
var fragments = []string{
	`<Response>`, `</Response>`, `<Response/>`, `<Say>`, `</Say>`, `<Dial>`, `</Dial>`, `<Number>`, `</Number>`, `Hello`, ` `, "\n", "\t",
	`<Hangup/>`, `<Say voice="alice">`, `&amp;`, `<!-- c -->`, `<say>`, `<?xml version="1.0" encoding="UTF-8"?>`, `<Message>`, `</Message>`,
	`<Body>`, `</Body>`, `<Pause length='2'/>`, `]]>`, `>`, "é", `<a:Say>`, `<Gather input="speech">`, `</Gather>`, `<Receive/>`,
	`<Foo>`, `</Foo>`, ` x="1"`, `<Say a="1" a="2">`, `<Sip>`, `</Sip>`, `<`, `/>`, `</ Say>`, `<Say >`, `</Say >`, "\x00", `'`, `"`, `&`, `&#0;`, `&lt`, `<Say a="&">`, `<Say a=">">`,
}

func FuzzPlainCXMLAgreesWithDecoder(f *testing.F) {
	f.Add([]byte(`<Response><Say>Hello</Say></Response>`), []byte{})
	f.Add([]byte{}, []byte{18, 0, 3, 4, 1})
	f.Add([]byte{}, []byte{0, 5, 7, 8, 6, 9, 10, 1})
	f.Add([]byte{}, []byte{0, 19, 20, 21, 22, 23, 20, 1})
	f.Add([]byte{}, []byte{0, 34, 9, 4, 1, 11})
	f.Add([]byte(`<Response><Dial><Number>1</Number></Dial></Response>`), []byte{0, 28, 29, 1})
	f.Fuzz(func(t *testing.T, raw, picks []byte) {
		requirePlainAgrees(t, raw)
		var doc []byte
		for _, p := range picks {
			doc = append(doc, fragments[int(p)%len(fragments)]...)
		}
		requirePlainAgrees(t, doc)
	})
}

func BenchmarkDecodeCXML(b *testing.B) {
	body := []byte(`<?xml version="1.0" encoding="UTF-8"?><Response><Say>Hello</Say><Dial><Number>+15557654321</Number></Dial></Response>`)
	b.ReportAllocs()
	for b.Loop() {
		decodeCXML(domainVoice, body, false)
	}
}
