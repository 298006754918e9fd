package delivery

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseURL(t *testing.T) {
	cases := []struct {
		in, base string
		want     Timeouts
		err      string
	}{
		{"https://x.example/v", "https://x.example/v", Defaults(), ""},
		{"https://x.example/v#rt=8000", "https://x.example/v", Timeouts{2 * time.Second, 8 * time.Second, 15 * time.Second}, ""},
		{"https://x.example/v?a=1#ot=100&rt=15000&tt=9000", "https://x.example/v?a=1", Timeouts{100 * time.Millisecond, 15 * time.Second, 9 * time.Second}, ""},
		{"https://x.example/v#top", "https://x.example/v", Defaults(), ""},
		{"https://x.example/v#rt=20000", "https://x.example/v", Defaults(), "100 to 15000"},
		{"https://x.example/v#ot=50", "https://x.example/v", Defaults(), "100 to 10000"},
		{"https://x.example/v#rt=abc", "https://x.example/v", Defaults(), "rt=abc"},
	}
	for _, c := range cases {
		base, got, err := ParseURL(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || base != c.base || got != c.want {
			t.Errorf("%s: %q %+v %v, want %q %+v", c.in, base, got, err, c.base, c.want)
		}
	}
}

func TestJudge(t *testing.T) {
	d := Defaults()
	cases := []struct {
		name string
		p    Purpose
		a    Answer
		code int
	}{
		{"ok", Action, Answer{Status: 200, ContentType: "text/xml", Elapsed: time.Second}, 0},
		{"slow", Action, Answer{Status: 200, ContentType: "text/xml", Elapsed: 6 * time.Second}, CodeTimeout},
		{"refused", Action, Answer{Err: errors.New("connection refused"), ConnectFailed: true}, CodeTimeout},
		{"502", Action, Answer{Status: 502, ContentType: "text/html"}, CodeTimeout},
		{"404", Action, Answer{Status: 404, ContentType: "text/html"}, CodeHTTPStatus},
		{"500 callback", StatusCallback, Answer{Status: 500}, CodeHTTPStatus},
		{"big", Action, Answer{Status: 200, ContentType: "text/xml", BodySize: MaxAnswer + 1}, CodeTooLarge},
		{"exactly 64k", Action, Answer{Status: 200, ContentType: "text/xml", BodySize: MaxAnswer}, 0},
		{"no content type", Action, Answer{Status: 200}, CodeContentType},
		{"octet-stream", Action, Answer{Status: 200, ContentType: "application/octet-stream"}, CodeContentType},
		{"callback without type", StatusCallback, Answer{Status: 204}, 0},
		{"redirects", Action, Answer{Status: 200, ContentType: "text/xml", Redirects: 4}, CodeTooManyRedirects},
	}
	for _, c := range cases {
		e := Judge(c.p, d, c.a)
		got := 0
		if e != nil {
			got = e.Code
		}
		if got != c.code {
			t.Errorf("%s: %v, want %d", c.name, e, c.code)
		}
	}
	if e := Judge(Action, Timeouts{Read: 8 * time.Second}, Answer{Status: 200, ContentType: "text/xml", Elapsed: 6 * time.Second}); e != nil {
		t.Errorf("rt=8000 and a 6 s answer: %v", e)
	}
}

func TestCatalogue(t *testing.T) {
	for _, c := range Codes() {
		if Name(c) == "" || Why(c) == "" {
			t.Errorf("%d has no name or why", c)
		}
	}
	e := Errorf(CodeParse, "line %d", 3)
	if got := e.Error(); got != "12100 document parse error: line 3" {
		t.Errorf("Error() = %q", got)
	}
	if !Retry(StatusCallback, e, 2) || Retry(StatusCallback, e, 3) || Retry(Action, e, 1) {
		t.Error("retry rule: status callbacks up to 3 attempts, actions once")
	}
	if !UsesFallback(Action, e) || UsesFallback(StatusCallback, e) {
		t.Error("fallback rule: actions only")
	}
}

func TestNamedError(t *testing.T) {
	e := &Error{Named: "relay_script_main_section_missing", Detail: "no sections.main"}
	if e.Error() != "relay_script_main_section_missing: no sections.main" || e.Name() != e.Named || e.Why() != "" {
		t.Errorf("named error reads %q / %q / %q", e.Error(), e.Name(), e.Why())
	}
}

func TestContentTypeProblem(t *testing.T) {
	for ct, ok := range map[string]bool{
		"text/xml": true, "application/json": true, "Text/XML": true, "text/xml; charset=utf-8": true,
		"application/soap+xml": true, "application/yaml": true, " text/xml ": true,
		"text/xml; =bad": false, "text/xml;;": false, "image/png": false, "application/octet-stream": false,
		"": false, "text/xml/": false,
	} {
		if got := ContentTypeProblem(ct) == ""; got != ok {
			t.Errorf("ContentTypeProblem(%q) = %q, want accepted=%v", ct, ContentTypeProblem(ct), ok)
		}
	}
}
