package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandlerAnswersEmptyCXML(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(handle))
	defer srv.Close()

	resp, err := http.Post(srv.URL+"/voice", "application/x-www-form-urlencoded", strings.NewReader("CallSid=CA1&CallStatus=ringing"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "<Response></Response>" || resp.Header.Get("Content-Type") != "application/xml" {
		t.Fatalf("got %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}

	resp, err = http.Get(srv.URL + "/voice")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET: got %d, want 405", resp.StatusCode)
	}
}

func BenchmarkHandle(b *testing.B) {
	body := "CallSid=CA1&CallStatus=ringing"
	b.ReportAllocs()
	for b.Loop() {
		r := httptest.NewRequest("POST", "/voice", strings.NewReader(body))
		handle(httptest.NewRecorder(), r)
	}
}
