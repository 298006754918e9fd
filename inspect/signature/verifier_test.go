package signature

import (
	"encoding/base64"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// requireSame checks Verify, a throwaway Verifier and v against the
// reference path on r.
func requireSame(t *testing.T, v *Verifier, key string, r Request) Verdict {
	t.Helper()
	want := refVerify(key, r)
	if got := Verify(key, r); !reflect.DeepEqual(got, want) {
		t.Fatalf("Verify(%q, %+v)\n got %+v\nwant %+v", key, r, got, want)
	}
	if got := v.Verify(r); !reflect.DeepEqual(got, want) {
		t.Fatalf("Verifier(%q).Verify(%+v)\n got %+v\nwant %+v", key, r, got, want)
	}
	return want
}

// variantSigs are signatures a sender may really have made for r: every
// scheme over the URL and its port twin, form parameters in both orders.
func variantSigs(key string, r Request) []string {
	var out []string
	urls := urlForms(r.URL)
	params, _ := ParseForm(string(r.Body))
	for _, u := range urls {
		out = append(out,
			hexOf(rawDigest(false, key, u, r.Body)),
			hexOf(rawDigest(true, key, u, r.Body)),
			b64Of(formDigest(key, u, nil)),
			b64Of(formDigest(key, u, sortedParams(params))),
			b64Of(formDigest(key, u, valueSortedParams(params))))
	}
	return out
}

func FuzzVerifierMatchesReference(f *testing.F) {
	f.Add("12345", "POST", "https://mycompany.com/myapp.php?foo=1&bar=2", formCT,
		[]byte("CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212"),
		"RSOYDt4T1cUTdK1PDd93/VVr8B8=", uint8(1), false)
	f.Add("12345", "POST", "https://mycompany.com:443/myapp.php", "Application/X-WWW-Form-URLEncoded; charset=utf-8",
		[]byte("b=2&a=z&B=0&a=y&a=x&&c&d=%zz+%41"), "", uint8(7), true)
	f.Add("PSK_test", "POST", "https://example.com/swml", "application/json; charset=\"utf-8", []byte(`{"a":1}`),
		"25f6f20ad86185e740359fc565bcf0227c1505b6", uint8(2), false)
	f.Add("k", "GET", "http://h:80/x?a=%zz", "", []byte{}, "", uint8(4), false)
	f.Add("k", "POST", "https://[::1]:443/x?bodySHA256=00", "text/plain", []byte("A=100%&B=%zz%41&&=&x"), "====", uint8(3), true)
	f.Add("", "PUT", "\x1b[2J://\u202e", "multipart/form-data; boundary", []byte{0xff, 0xfe, '='}, "zz", uint8(5), false)
	f.Add("k", "HEAD", "ftp://h/x#frag", " application/vnd.api+json ", []byte("x=1&x=1&x=0"), " \t", uint8(6), true)
	f.Fuzz(func(t *testing.T, key, method, u, ct string, body []byte, sig string, which uint8, lower bool) {
		v := NewVerifier(key)
		build := func(sigs ...string) Request {
			h := http.Header{}
			if ct != "" {
				h.Set("Content-Type", ct)
			}
			for i, name := range sigHeaderNames {
				if which&(1<<i) == 0 || len(sigs) == 0 {
					continue
				}
				if lower {
					name = strings.ToLower(name) // a header map built by hand
				}
				h[name] = []string{sigs[i%len(sigs)]}
			}
			return Request{Method: method, URL: u, Header: h, Body: body}
		}
		requireSame(t, v, key, build(sig))
		if key == "" {
			return
		}
		// Real signatures, alone and next to a wrong one, so every valid
		// path and its note is compared too.
		for _, s := range variantSigs(key, build()) {
			requireSame(t, v, key, build(s))
			requireSame(t, v, key, build(sig, s))
			requireSame(t, v, key, build(s, sig, s))
		}
	})
}

func TestVerifierVectors(t *testing.T) {
	for _, vec := range vectors {
		v := NewVerifier(vec.key)
		r := req(vec.method, vec.url, vec.ct, vec.header, vec.sig, vec.body)
		for range 3 { // again, on a checker that has been used
			got := requireSame(t, v, vec.key, r)
			if !got.Valid() || got.Scheme != vec.wantScheme {
				t.Fatalf("%s: %+v", vec.name, got)
			}
		}
	}
}

// TestVerifierConcurrent shares one Verifier between goroutines checking
// different requests, valid and not: pooled scratch must never leak from
// one check into another (run with -race).
func TestVerifierConcurrent(t *testing.T) {
	const key = "PSK_concurrent"
	v := NewVerifier(key)
	type tc struct {
		r    Request
		want Verdict
	}
	var cases []tc
	for i, body := range []string{"b=2&a=1", "a=1&a=0&c=%2B1", `{"x":1}`, "", strings.Repeat("k=v&", 20000)} {
		u := "https://h.example/p" + strings.Repeat("x", i)
		ct := formCT
		scheme := SchemeForm
		if strings.HasPrefix(body, "{") {
			ct, scheme = jsonCT, SchemeJSONSHA1
		}
		good, err := Sign(key, scheme, u, []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{good, base64.StdEncoding.EncodeToString([]byte("01234567890123456789"))} {
			r := req("POST", u, ct, HeaderSignalWire, s, body)
			cases = append(cases, tc{r, refVerify(key, r)})
		}
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				c := cases[(g+i)%len(cases)]
				if got := v.Verify(c.r); !reflect.DeepEqual(got, c.want) {
					t.Errorf("got %+v, want %+v", got, c.want)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestMediaTypeMatchesParseMediaType(t *testing.T) {
	for _, ct := range []string{"", "application/json", "Application/JSON", "application/json; charset=utf-8",
		"application/json;charset=\"unterminated", " text/plain ", "a/b;;", "x\tY", "APPLICATION/X-WWW-FORM-URLENCODED ;", "\u212a/x; a=b", "bad type; q=1"} {
		h := http.Header{"Content-Type": {ct}}
		if got, want := mediaType(h), refMediaType(h); got != want {
			t.Errorf("mediaType(%q) = %q, want %q", ct, got, want)
		}
	}
}

func TestSignatureHeadersNonCanonical(t *testing.T) {
	// The canonical key present but empty: the others are looked for.
	h := http.Header{"x-twilio-signature": {" a "}, "X-SIGNALWIRE-SHA256-SIGNATURE": {"b"}, "X-Signalwire-Signature": {}, "x-signalwire-signature": {"c"}}
	got := signatureHeaders(h)
	want := []sigHeader{{HeaderSignalWire, "c"}, {HeaderTwilio, "a"}, {HeaderSignalWireSHA256, "b"}}
	if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(refSignatureHeaders(h), want) {
		t.Fatalf("got %v, reference %v, want %v", got, refSignatureHeaders(h), want)
	}
}

func BenchmarkVerifierFormRealistic(b *testing.B) {
	body := "AccountSid=0b4f5e9a-1c2d-4e5f-8a9b-0c1d2e3f4a5b&ApiVersion=2010-04-01&CallSid=4c2a8e1f-3b5d-4f6a-9c8e-1d2f3a4b5c6d" +
		"&CallStatus=ringing&Called=%2B15551234567&Caller=%2B15557654321&Direction=inbound&From=%2B15557654321" +
		"&ForwardedFrom=&CallerName=&To=%2B15551234567&Timestamp=Tue%2C+24+Nov+2026+17%3A00%3A00+%2B0000"
	u := "https://abc123.ngrok.app/voice"
	sig, _ := Sign("PSK_bench", SchemeForm, u, []byte(body))
	r := req("POST", u, formCT, HeaderSignalWire, sig, body)
	v := NewVerifier("PSK_bench")
	b.ReportAllocs()
	for b.Loop() {
		if !v.Verify(r).Valid() {
			b.Fatal("invalid")
		}
	}
}

func BenchmarkVerifierJSON(b *testing.B) {
	body := `{"call":{"call_id":"4c2a8e1f-3b5d-4f6a-9c8e-1d2f3a4b5c6d","node_id":"n1","segment_id":"s1","call_state":"created","direction":"inbound","type":"phone","from":"+15557654321","to":"+15551234567","headers":[]},"vars":{},"params":{}}`
	u := "https://abc123.ngrok.app/swml"
	sig, _ := Sign("PSK_bench", SchemeJSONSHA1, u, []byte(body))
	r := req("POST", u, jsonCT, HeaderSignalWire, sig, body)
	v := NewVerifier("PSK_bench")
	b.ReportAllocs()
	for b.Loop() {
		if !v.Verify(r).Valid() {
			b.Fatal("invalid")
		}
	}
}

func BenchmarkVerifierInvalid(b *testing.B) {
	body := "CallSid=CA1&From=%2B15557654321"
	r := req("POST", "https://abc123.ngrok.app/voice", formCT, HeaderSignalWire, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", body)
	v := NewVerifier("PSK_bench")
	b.ReportAllocs()
	for b.Loop() {
		if v.Verify(r).Valid() {
			b.Fatal("valid")
		}
	}
}

// BenchmarkVerifierParallel is the listen case: one Verifier, concurrent
// webhooks.
func BenchmarkVerifierParallel(b *testing.B) {
	body := "CallSid=CA0123456789abcdef&CallStatus=ringing&From=%2B15551230000&To=%2B15559870000"
	u := "http://127.0.0.1:4040/voice"
	sig, _ := Sign("PSK_bench", SchemeForm, u, []byte(body))
	r := req("POST", u, formCT, HeaderSignalWire, sig, body)
	v := NewVerifier("PSK_bench")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if !v.Verify(r).Valid() {
				b.Error("invalid")
				return
			}
		}
	})
}

// BenchmarkReferenceFormRealistic is the path Verifier replaced, for a
// before/after on the same machine at the same moment.
func BenchmarkReferenceFormRealistic(b *testing.B) {
	body := "AccountSid=0b4f5e9a-1c2d-4e5f-8a9b-0c1d2e3f4a5b&ApiVersion=2010-04-01&CallSid=4c2a8e1f-3b5d-4f6a-9c8e-1d2f3a4b5c6d" +
		"&CallStatus=ringing&Called=%2B15551234567&Caller=%2B15557654321&Direction=inbound&From=%2B15557654321" +
		"&ForwardedFrom=&CallerName=&To=%2B15551234567&Timestamp=Tue%2C+24+Nov+2026+17%3A00%3A00+%2B0000"
	u := "https://abc123.ngrok.app/voice"
	sig, _ := Sign("PSK_bench", SchemeForm, u, []byte(body))
	r := req("POST", u, formCT, HeaderSignalWire, sig, body)
	b.ReportAllocs()
	for b.Loop() {
		if !refVerify("PSK_bench", r).Valid() {
			b.Fatal("invalid")
		}
	}
}
