package signature_test

import (
	"fmt"
	"net/http"

	"github.com/swhook/swhook/inspect/signature"
)

func ExampleVerify() {
	h := http.Header{}
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	h.Set(signature.HeaderSignalWire, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
	v := signature.Verify("12345", signature.Request{
		Method: "POST",
		URL:    "https://mycompany.com/myapp.php?foo=1&bar=2",
		Header: h,
		Body:   []byte("CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212"),
	})
	fmt.Println(v.Status, v.Scheme, v.Header)
	// Output: valid form X-SignalWire-Signature
}

func ExampleDiagnose() {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(signature.HeaderSignalWire, "f957be87dae00f94d7220abdbd967336fd10640c") // signed for https://x.example/swml
	d := signature.Diagnose("k", signature.Request{
		Method: "POST",
		URL:    "http://x.example/swml", // what a handler behind a tunnel rebuilds
		Header: h,
		Body:   []byte(`{"a":1}`),
	}, signature.DiagnoseOptions{})
	fmt.Println(d.Sentence)
	// Output: valid for https://x.example/swml — the URL was checked as http:// but signed as https://: a handler behind a tunnel or proxy must rebuild the URL with X-Forwarded-Proto
}

func ExampleResign() {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(signature.HeaderSignalWire, "stale")
	h.Set(signature.HeaderSignalWireSHA256, "stale")
	out, err := signature.Resign("k", signature.Request{Method: "POST", URL: "https://x.example/swml", Header: h, Body: []byte(`{"a":1}`)})
	if err != nil {
		panic(err)
	}
	fmt.Println(out.Get(signature.HeaderSignalWire))
	fmt.Println(out.Get(signature.HeaderSignalWireSHA256))
	// Output:
	// f957be87dae00f94d7220abdbd967336fd10640c
	// 7154cf51d17fe5a88311b3dd4b61103c77274ae82cbfffa80032235fdabfe954
}
