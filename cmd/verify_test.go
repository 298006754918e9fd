package cmd

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/swhook/swhook/cmd/cmdutil"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/store"
)

func TestVerifyExplicit(t *testing.T) {
	formCT := "application/x-www-form-urlencoded"
	tests := []struct {
		name  string
		env   map[string]string
		stdin string
		args  []string
		code  int
		want  []string // substrings of stdout
	}{
		{"published vector", nil, "", []string{"--signing-key", pubKey, "--url", pubURL, "--signature", pubSig, "--body", pubBody}, 0,
			[]string{"valid: form signature in X-SignalWire-Signature"}},
		{"published vector with content type and Twilio header", nil, "", []string{"--signing-key", pubKey, "--url", pubURL, "--signature", pubSig, "--body", pubBody, "--content-type", formCT, "--header", "x-twilio-signature"}, 0,
			[]string{"valid: form signature in X-Twilio-Signature"}},
		{"published vector checked with :443", nil, "", []string{"--signing-key", pubKey, "--url", "https://mycompany.com:443/myapp.php?foo=1&bar=2", "--signature", pubSig, "--body", pubBody}, 0,
			[]string{"valid", "for " + pubURL}},
		{"JSON from stdin, key from env", map[string]string{cmdutil.EnvSigningKey: "k"}, `{"a":1}`, []string{"--url", "https://x.example/swml", "--signature", "f957be87dae00f94d7220abdbd967336fd10640c", "--body-file", "-"}, 0,
			[]string{"valid: json-sha1 signature"}},
		{"SHA-256 recognised by its length", nil, "", []string{"--signing-key", "k", "--url", "https://x.example/swml", "--signature", "7154cf51d17fe5a88311b3dd4b61103c77274ae82cbfffa80032235fdabfe954", "--body", `{"a":1}`}, 0,
			[]string{"valid: json-sha256 signature in X-SignalWire-Sha256-Signature"}},
		{"SHA-256 in the SHA-1 header", nil, "", []string{"--signing-key", "k", "--url", "https://x.example/swml", "--signature", "7154cf51d17fe5a88311b3dd4b61103c77274ae82cbfffa80032235fdabfe954", "--body", `{"a":1}`, "--header", "X-SignalWire-Signature"}, 1,
			[]string{"invalid: valid as hex HMAC-SHA256", "belongs in X-SignalWire-Sha256-Signature"}},
		{"GET", nil, "", []string{"--signing-key", "k", "--url", "https://x.example/hook?CallSid=CA1", "--signature", "p851xKwLyqF/3zARlucRgQWDgEA=", "--method", "GET"}, 0,
			[]string{"valid: form"}},
		{"URL-only signature over a body", nil, "", []string{"--signing-key", "k", "--url", "https://x.example/hook?CallSid=CA1", "--signature", "p851xKwLyqF/3zARlucRgQWDgEA=", "--body", `{"x":2}`}, 1,
			[]string{"invalid: the signature covers only the URL; the body is not signed"}},
		{"a GET's signature on a form POST", nil, "", []string{"--signing-key", "k", "--url", "https://x.example/hook?CallSid=CA1", "--signature", "p851xKwLyqF/3zARlucRgQWDgEA=", "--body", "CallSid=CA2", "--content-type", formCT}, 1,
			[]string{"invalid: the signature covers only the URL; the body is not signed"}},
		{"signed without the port, checked with it", nil, "", []string{"--signing-key", "12345", "--url", "https://mycompany.com:4747/myapp", "--signature", "HCyJe3BDCw5EPPrNypnoITgZweg=", "--body", "CallSid=CA1234567890ABCDE&From=%2B14158675309&To=%2B18005551212"}, 0,
			[]string{"valid: form", "the URL without its port :4747"}},
		{"http instead of https", nil, "", []string{"--signing-key", pubKey, "--url", "http://mycompany.com/myapp.php?foo=1&bar=2", "--signature", pubSig, "--body", pubBody}, 1,
			[]string{"invalid: valid for " + pubURL + " — ", "X-Forwarded-Proto"}},
		{"trailing newline from a file", nil, pubBody + "\n", []string{"--signing-key", pubKey, "--url", pubURL, "--signature", "f957be87dae00f94d7220abdbd967336fd10640c", "--body-file", "-"}, 1,
			[]string{"invalid: "}},
		{"JSON body with an added newline", nil, "{\"a\":1}\n", []string{"--signing-key", "k", "--url", "https://x.example/swml", "--signature", "f957be87dae00f94d7220abdbd967336fd10640c", "--body-file", "-"}, 1,
			[]string{"invalid: valid for the body without its trailing newline"}},
		{"local URL", nil, "", []string{"--signing-key", pubKey, "--url", "https://abc.ngrok.app/myapp.php?foo=1&bar=2", "--signature", pubSig, "--body", pubBody, "--local-url", pubURL}, 1,
			[]string{"signed for the local URL"}},
		{"wrong key", nil, "", []string{"--signing-key", secretKey, "--url", pubURL, "--signature", pubSig, "--body", pubBody}, 1,
			[]string{"invalid: ", "key is probably not the one", "Signing Key"}},
		{"garbage signature", nil, "", []string{"--signing-key", secretKey, "--url", pubURL, "--signature", "\x1b]0;pwned\x07", "--body", pubBody}, 1,
			[]string{"invalid: the X-SignalWire-Signature value is not a signature"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tt.env, tt.stdin, append([]string{"verify"}, tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stdout %q, stderr %q", code, tt.code, stdout, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout %q lacks %q", stdout, w)
				}
			}
			if strings.Count(stdout, "\n") != 1 || !strings.HasSuffix(stdout, "\n") {
				t.Errorf("want exactly one line, got %q", stdout)
			}
			if stderr != "" {
				t.Errorf("stderr %q", stderr)
			}
			if strings.ContainsAny(stdout, "\x1b\x07") {
				t.Errorf("control characters reach the terminal: %q", stdout)
			}
			assertNoKey(t, secretKey, stdout, stderr)
		})
	}
}

func TestVerifyUsageErrors(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		inStderr string
	}{
		{"no key", nil, []string{"--url", pubURL, "--signature", pubSig, "--body", pubBody}, "no signing key"},
		{"no url", nil, []string{"--signing-key", secretKey, "--signature", pubSig, "--body", pubBody}, "--url is required"},
		{"no signature", nil, []string{"--signing-key", secretKey, "--url", pubURL, "--body", pubBody}, "--signature is required"},
		{"no body", nil, []string{"--signing-key", secretKey, "--url", pubURL, "--signature", pubSig}, "--body STRING or --body-file"},
		{"both bodies", nil, []string{"--signing-key", secretKey, "--url", pubURL, "--signature", pubSig, "--body", "", "--body-file", "x"}, "cannot be used together"},
		{"bad header", nil, []string{"--signing-key", secretKey, "--url", pubURL, "--signature", pubSig, "--body", "", "--header", "X-Hub-Signature"}, "not a signature header"},
		{"ID with a body", nil, []string{"last", "--signing-key", secretKey, "--body", "x"}, "--body is for checking a request you give"},
		{"bad ID", nil, []string{"nope", "--signing-key", secretKey}, "is not an exchange"},
		{"two IDs", nil, []string{"1", "2"}, "at most 1 argument"},
		{"ID without key", nil, []string{"last"}, "no signing key"},
		{"missing body file", nil, []string{"--signing-key", secretKey, "--url", pubURL, "--signature", pubSig, "--body-file", "/nonexistent/body.txt"}, "--body-file: cannot read the body"},
		{"path only", nil, []string{"--signing-key", secretKey, "--url", "/voice", "--signature", pubSig, "--body", pubBody}, `--url "/voice" is not a full URL`},
		{"local URL without scheme", nil, []string{"--signing-key", secretKey, "--url", pubURL, "--signature", pubSig, "--body", pubBody, "--local-url", "localhost:3000/voice"}, "--local-url"},
		{"ID with a path as URL", nil, []string{"last", "--signing-key", secretKey, "--url", "/voice"}, "is not a full URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tt.env, "", append([]string{"verify"}, tt.args...)...)
			if code != 2 || !strings.Contains(stderr, tt.inStderr) || stdout != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q (want %q)", code, stdout, stderr, tt.inStderr)
			}
			assertNoKey(t, secretKey, stdout, stderr)
		})
	}
}

func TestVerifyJSON(t *testing.T) {
	code, stdout, _ := runCmd(t, nil, "", "verify", "--json", "--signing-key", pubKey, "--url", pubURL, "--signature", pubSig, "--body", pubBody)
	var res map[string]any
	if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil {
		t.Fatalf("exit %d, %q", code, stdout)
	}
	if res["status"] != "valid" || res["scheme"] != "form" || res["header"] != "X-SignalWire-Signature" || res["url"] != pubURL {
		t.Errorf("%v", res)
	}
	code, stdout, _ = runCmd(t, nil, "", "verify", "--json", "--signing-key", pubKey, "--url", "https://mycompany.com/myapp.php/?foo=1&bar=2", "--signature", pubSig, "--body", pubBody)
	res = nil
	if code != 1 || json.Unmarshal([]byte(stdout), &res) != nil {
		t.Fatalf("exit %d, %q", code, stdout)
	}
	if res["status"] != "invalid" || !strings.Contains(res["hint"].(string), "valid for") || res["url"] != pubURL {
		t.Errorf("%v", res)
	}
}

func TestVerifyFlagParsing(t *testing.T) {
	ios, _, _, _ := cmdutil.Test()
	f := &cmdutil.Factory{IOStreams: ios, Getenv: func(string) string { return "" }}
	var got *VerifyOptions
	cmd := NewCmdVerify(f, func(o *VerifyOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--url", "https://x/y", "--signature", "s", "--body-file", "-", "--header", "x-signalwire-sha256-signature", "--method", "put", "--json", "--local-url", "http://localhost:3000/y"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.URL != "https://x/y" || got.Signature != "s" || got.Body.File != "-" || got.Body.TextSet ||
		got.Header != "X-SignalWire-Sha256-Signature" || got.Method != "PUT" || !got.JSON || got.LocalURL != "http://localhost:3000/y" || got.Ref != "" {
		t.Errorf("%+v", got)
	}
	cmd = NewCmdVerify(f, func(o *VerifyOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"#42", "--url", "https://other/y", "--store", "/tmp/s.db"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Ref != "#42" || got.URL != "https://other/y" || got.StorePath != "/tmp/s.db" {
		t.Errorf("%+v", got)
	}
}

// saveExchanges writes exchanges to a fresh store and returns its path.
func saveExchanges(t *testing.T, xs ...*exchange.Exchange) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "swhook.db")
	ctx := context.Background()
	st, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range xs {
		if err := st.Save(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func captured(url, sigHeader, sig, body string, truncatedTo int) *exchange.Exchange {
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	if sigHeader != "" {
		h.Set(sigHeader, sig)
	}
	x := &exchange.Exchange{
		Time:   time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC),
		Source: exchange.SourceTunnel,
		Request: exchange.Request{Method: "POST", URL: url, Path: "/myapp.php", Headers: h,
			Body: exchange.Body(body), BodySize: int64(len(body))},
	}
	if truncatedTo > 0 {
		x.Request.Body = x.Request.Body[:truncatedTo]
		x.Request.Truncated = true
	}
	return x
}

func TestVerifyCaptured(t *testing.T) {
	path := saveExchanges(t,
		captured(pubURL, "X-SignalWire-Signature", pubSig, pubBody, 0),                                   // 1 valid
		captured("http://mycompany.com/myapp.php?foo=1&bar=2", "X-Twilio-Signature", pubSig, pubBody, 0), // 2 wrong scheme
		captured(pubURL, "", "", pubBody, 0),                                                             // 3 unsigned
		captured(pubURL, "X-SignalWire-Signature", pubSig, pubBody, 10),                                  // 4 truncated
	)
	env := map[string]string{cmdutil.EnvStore: path, cmdutil.EnvSigningKey: pubKey}
	tests := []struct {
		args   []string
		env    map[string]string
		code   int
		stdout []string
		stderr string
	}{
		{[]string{"1"}, env, 0, []string{"#1 valid: form signature in X-SignalWire-Signature"}, ""},
		{[]string{"#1", "--signing-key", secretKey}, env, 1, []string{"#1 invalid:", "key is probably not"}, ""},
		{[]string{"2"}, env, 1, []string{"#2 invalid: valid for " + pubURL, "X-Forwarded-Proto"}, ""},
		{[]string{"2", "--url", pubURL}, env, 0, []string{"#2 valid: form signature in X-Twilio-Signature"}, ""},
		{[]string{"3"}, env, 1, []string{"#3 missing: the request carries no X-SignalWire-Signature"}, ""},
		{[]string{"last"}, env, 1, nil, "cannot be checked on a truncated body (10 of 97 bytes"},
		{[]string{"9"}, env, 1, nil, "no exchange #9"},
		{[]string{"1", "--json"}, env, 0, []string{`"id":1`, `"status":"valid"`}, ""},
		{[]string{"1", "--store", path}, map[string]string{cmdutil.EnvSigningKey: pubKey}, 0, []string{"#1 valid"}, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tt.env, "", append([]string{"verify"}, tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stdout %q, stderr %q", code, tt.code, stdout, stderr)
			}
			for _, w := range tt.stdout {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout %q lacks %q", stdout, w)
				}
			}
			if tt.stderr != "" && !strings.Contains(stderr, tt.stderr) || tt.stderr == "" && stderr != "" {
				t.Errorf("stderr %q, want %q", stderr, tt.stderr)
			}
			assertNoKey(t, secretKey, stdout, stderr)
		})
	}
}

func TestVerifyEmptyStore(t *testing.T) {
	path := saveExchanges(t)
	code, _, stderr := runCmd(t, map[string]string{cmdutil.EnvStore: path, cmdutil.EnvSigningKey: "k"}, "", "verify", "last")
	if code != 1 || !strings.Contains(stderr, "the store is empty") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}
