package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/store"
)

func TestShowGolden(t *testing.T) {
	env, _ := seedStore(t)
	for _, ref := range []string{"1", "2", "3", "4", "5", "6"} {
		t.Run(ref, func(t *testing.T) {
			code, stdout, stderr := storeRun{env: env}.run(t, "show", ref)
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			golden.RequireEqual(t, stdout)
			if strings.Contains(stdout+stderr, testSigningKeySecret) {
				t.Error("the signing key was printed")
			}
			if strings.ContainsAny(stdout, "\x1b\x07\r\x00") {
				t.Errorf("control bytes reached the terminal: %q", stdout)
			}
		})
	}
}

func TestShowLastAndHash(t *testing.T) {
	env, _ := seedStore(t)
	_, last, _ := storeRun{env: env}.run(t, "show", "last")
	_, six, _ := storeRun{env: env}.run(t, "show", "#6")
	if last == "" || last != six {
		t.Errorf("show last and show #6 differ:\n%s\n---\n%s", last, six)
	}
}

func TestShowColourIsOnlyColour(t *testing.T) {
	env, _ := seedStore(t)
	_, plain, _ := storeRun{env: env}.run(t, "show", "2")
	_, colour, _ := storeRun{env: env, stdoutTTY: true, color: true}.run(t, "show", "2")
	if colour == plain || stripSGR(colour) != plain {
		t.Errorf("colour output is not the plain output plus SGR codes:\n%s", colour)
	}
}

func TestShowJSONIsTheStoredExchange(t *testing.T) {
	env, saved := seedStore(t)
	for _, want := range saved {
		code, stdout, _ := storeRun{env: env}.run(t, "show", fmt.Sprint(want.ID), "--json")
		if code != 0 {
			t.Fatalf("#%d: exit %d", want.ID, code)
		}
		var got exchange.Exchange
		if err := json.Unmarshal([]byte(stdout), &got); err != nil {
			t.Fatalf("#%d: %v", want.ID, err)
		}
		if !got.Time.Equal(want.Time) {
			t.Errorf("#%d: time %v, want %v", want.ID, got.Time, want.Time)
		}
		w := *want
		got.Time = w.Time
		// JSON has no nil body: "" reads back as empty. Compare bytes.
		for _, b := range []*exchange.Body{&got.Request.Body, &got.Response.Body, &w.Request.Body, &w.Response.Body} {
			if len(*b) == 0 {
				*b = nil
			}
		}
		if !reflect.DeepEqual(&got, &w) {
			t.Errorf("#%d: --json differs from what was saved:\n%s", want.ID, stdout)
		}
	}
}

func TestShowRawWritesExactBytes(t *testing.T) {
	env, saved := seedStore(t)
	code, stdout, stderr := storeRun{env: env}.run(t, "show", "6", "--raw")
	if code != 0 || !bytes.Equal([]byte(stdout), saved[5].Request.Body) {
		t.Errorf("exit %d, raw %q, want %q", code, stdout, saved[5].Request.Body)
	}
	if !strings.Contains(stderr, "truncated") || !strings.Contains(stderr, "first 18 of 20971520 bytes") {
		t.Errorf("no truncation warning: %q", stderr)
	}
	code, stdout, stderr = storeRun{env: env}.run(t, "show", "2", "--raw")
	if code != 0 || stdout != string(saved[1].Request.Body) || stderr != "" {
		t.Errorf("exit %d, raw %q, stderr %q", code, stdout, stderr)
	}
	// On a terminal it refuses: raw bytes could carry escape sequences.
	code, stdout, stderr = storeRun{env: env, stdoutTTY: true}.run(t, "show", "6", "--raw")
	if code != 2 || stdout != "" || !strings.Contains(stderr, "pipe") || strings.Contains(stderr, "\x1b") {
		t.Errorf("raw on a terminal: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestShowErrors(t *testing.T) {
	env, _ := seedStore(t)
	missing := map[string]string{cmdutil.EnvStore: filepath.Join(t.TempDir(), "none.db")}
	for _, c := range []struct {
		env  map[string]string
		args []string
		code int
		msg  string
	}{
		{env, []string{"show", "99"}, 1, "no exchange #99"},
		{env, []string{"show", "abc"}, 2, "not an exchange"},
		{env, []string{"show", "0"}, 2, "not an exchange"},
		{env, []string{"show"}, 2, "takes 1 argument"},
		{env, []string{"show", "1", "--json", "--raw"}, 2, "cannot be used together"},
		{missing, []string{"show", "last"}, 1, "no exchanges yet"},
		{missing, []string{"show", "3"}, 1, "no exchanges yet"},
	} {
		code, stdout, stderr := storeRun{env: c.env}.run(t, c.args...)
		if code != c.code || stdout != "" || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d (want %d), stdout %q, stderr %q", c.args, code, c.code, stdout, stderr)
		}
	}
}

func TestShowFlagParsing(t *testing.T) {
	ios, _, _, _ := cmdutil.Test()
	f := &cmdutil.Factory{IOStreams: ios, Getenv: func(string) string { return "" }}
	var got *ShowOptions
	cmd := NewCmdShow(f, func(o *ShowOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"last", "--json", "--store", "/tmp/s.db"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Ref != "last" || !got.JSON || got.Raw || got.StorePath != "/tmp/s.db" {
		t.Errorf("%+v", got)
	}
}

// A form body with control bytes in a value is shown as its parameters,
// each sanitised, as the live view does — not as a hex dump (issue 11.12).
func TestShowFormWithControlBytesShowsParameters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	st, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	body := "CallSid=CA1&Note=ring\x07\x1b[2Jbell&Digits=12"
	x := &exchange.Exchange{Time: time.Now(), Source: exchange.SourceLocal,
		Request: exchange.Request{Method: "POST", Path: "/voice", URL: "http://127.0.0.1:4747/voice",
			Headers: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, Body: exchange.Body(body), BodySize: int64(len(body))},
		Event: exchange.Event{Kind: exchange.KindCallInbound}, Signature: exchange.Signature{Status: exchange.SigMissing},
		Response: exchange.Response{Status: 200}}
	if err := st.Save(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	st.Close()
	code, stdout, stderr := storeRun{env: map[string]string{cmdutil.EnvStore: path}}.run(t, "show", "last")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	params := stdout[strings.Index(stdout, "Parameters"):strings.Index(stdout, "Body")]
	if strings.Contains(params, "00000000") || !strings.Contains(params, "CallSid") || !strings.Contains(params, "Digits") || !strings.Contains(params, "bell") {
		t.Errorf("Parameters is not the parsed form:\n%s", params)
	}
	if strings.ContainsAny(stdout, "\x1b\x07") {
		t.Errorf("control bytes reached the terminal: %q", stdout)
	}
}
