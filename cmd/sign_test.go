package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/swhook/swhook/cmd/cmdutil"
)

// The published Compatibility vector (SignalWire's documentation; the
// README's `swhook sign` example).
const (
	pubKey  = "12345"
	pubURL  = "https://mycompany.com/myapp.php?foo=1&bar=2"
	pubBody = "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212"
	pubSig  = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
)

// secretKey is distinctive so a test can prove it never leaks.
const secretKey = "SW_SECRET_Zq9"

func assertNoKey(t *testing.T, key string, outputs ...string) {
	t.Helper()
	for _, o := range outputs {
		if strings.Contains(o, key) {
			t.Errorf("output contains the signing key: %q", o)
		}
	}
}

// Expected values computed with openssl (see inspect/signature's tests).
func TestSign(t *testing.T) {
	dir := t.TempDir()
	withNL := filepath.Join(dir, "nl.json")
	if err := os.WriteFile(withNL, []byte("{\"a\":1}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		env   map[string]string
		stdin string
		args  []string
		want  string
	}{
		{"published form vector", nil, "", []string{"--signing-key", pubKey, "--url", pubURL, "--content-type", "application/x-www-form-urlencoded", "--body", pubBody}, pubSig},
		{"key with a newline from $(cat keyfile)", map[string]string{cmdutil.EnvSigningKey: pubKey + "\n"}, "", []string{"--url", pubURL, "--body", pubBody}, pubSig},
		{"key pasted with spaces", nil, "", []string{"--signing-key", " " + pubKey + " ", "--url", pubURL, "--body", pubBody}, pubSig},
		{"form guessed from the body", nil, "", []string{"--signing-key", pubKey, "--url", pubURL, "--body", pubBody}, pubSig},
		{"JSON from stdin, key from env", map[string]string{cmdutil.EnvSigningKey: "k"}, `{"a":1}`, []string{"--url", "https://x.example/swml", "--body-file", "-"}, "f957be87dae00f94d7220abdbd967336fd10640c"},
		{"SHA-256", nil, "", []string{"--signing-key", "k", "--url", "https://x.example/swml", "--body", `{"a":1}`, "--sha256"}, "7154cf51d17fe5a88311b3dd4b61103c77274ae82cbfffa80032235fdabfe954"},
		{"file bytes kept exactly (trailing newline)", nil, "", []string{"--signing-key", "k", "--url", "https://x.example/swml", "--body-file", withNL, "--content-type", "application/json"}, "a66bb8d97fc3e6bc4d51c720042e1682dcb36973"},
		{"stdin bytes kept exactly", nil, "{\"a\":1}\n", []string{"--signing-key", "k", "--url", "https://x.example/swml", "--body-file", "-"}, "a66bb8d97fc3e6bc4d51c720042e1682dcb36973"},
		{"GET signs the URL", nil, "", []string{"--signing-key", "k", "--url", "https://x.example/hook?CallSid=CA1", "--method", "get"}, "p851xKwLyqF/3zARlucRgQWDgEA="},
		{"non-ASCII", nil, "", []string{"--signing-key", secretKey, "--url", "https://x.example/voice", "--body", "From=Jos%C3%A9&CallSid=CA1", "--content-type", "application/x-www-form-urlencoded; charset=utf-8"}, "F+lWsVnsHlQnp4cSCTNqdPxrWKg="},
		{"bodySHA256 URL", nil, "", []string{"--signing-key", pubKey, "--url", pubURL + "&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620", "--body", `{"property": "value", "boolean": true}`}, "a9nBmqA0ju/hNViExpshrM61xv4="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tt.env, tt.stdin, append([]string{"sign"}, tt.args...)...)
			if code != 0 || stdout != tt.want+"\n" || stderr != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want %q", code, stdout, stderr, tt.want)
			}
			assertNoKey(t, secretKey, stdout, stderr)
		})
	}
}

func TestSignErrors(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		code     int
		inStderr string
	}{
		{"no key", nil, []string{"--url", pubURL, "--body", pubBody}, 2, "no signing key"},
		{"no url", nil, []string{"--signing-key", "k", "--body", pubBody}, 2, "--url is required"},
		{"no body", nil, []string{"--signing-key", "k", "--url", pubURL}, 2, "--body STRING or --body-file"},
		{"both bodies", nil, []string{"--signing-key", "k", "--url", pubURL, "--body", "a", "--body-file", "-"}, 2, "cannot be used together"},
		{"GET with a body", nil, []string{"--signing-key", "k", "--url", pubURL, "--method", "GET", "--body", "a=1"}, 2, "no body"},
		{"missing file", nil, []string{"--signing-key", secretKey, "--url", pubURL, "--body-file", "/nonexistent/body.txt"}, 2, "--body-file: cannot read the body"},
		{"bodySHA256 mismatch", nil, []string{"--signing-key", secretKey, "--url", pubURL + "&bodySHA256=00", "--body", "{}"}, 1, "not the SHA-256 of this body"},
		{"positional argument", nil, []string{"--signing-key", "k", "--url", pubURL, "--body", "", "extra"}, 2, "takes no arguments"},
		{"path only", nil, []string{"--signing-key", secretKey, "--url", "/voice", "--body", pubBody}, 2, `--url "/voice" is not a full URL`},
		{"no scheme", nil, []string{"--signing-key", secretKey, "--url", "example.ngrok.app/voice", "--body", pubBody}, 2, "is not a full URL"},
		{"not http", nil, []string{"--signing-key", secretKey, "--url", "ftp://example.com/voice", "--body", pubBody}, 2, "is not a full URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tt.env, "", append([]string{"sign"}, tt.args...)...)
			if code != tt.code || !strings.Contains(stderr, tt.inStderr) || stdout != "" {
				t.Fatalf("exit %d (want %d), stdout %q, stderr %q (want %q)", code, tt.code, stdout, stderr, tt.inStderr)
			}
			if !strings.HasPrefix(stderr, "swhook: ") {
				t.Errorf("stderr %q does not start with swhook:", stderr)
			}
			assertNoKey(t, secretKey, stdout, stderr)
		})
	}
}

func TestSignStdinTerminalRefused(t *testing.T) {
	ios, _, out, _ := cmdutil.Test()
	ios.SetStdinTTY(true)
	f := &cmdutil.Factory{IOStreams: ios, Getenv: func(string) string { return "" }}
	cmd := NewCmdSign(f, nil)
	cmd.SetArgs([]string{"--signing-key", "k", "--url", pubURL, "--body-file", "-"})
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.Execute()
	if !cmdutil.IsUsage(err) || !strings.Contains(err.Error(), "terminal") || out.Len() != 0 {
		t.Fatalf("err %v, out %q", err, out)
	}
}

func TestSignFlagParsing(t *testing.T) {
	ios, _, _, _ := cmdutil.Test()
	f := &cmdutil.Factory{IOStreams: ios, Getenv: func(string) string { return "" }}
	var got *SignOptions
	cmd := NewCmdSign(f, func(o *SignOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--url", "https://x/y", "--body", "", "--content-type", "application/json", "--method", "put", "--sha256", "--signing-key", "kk"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.URL != "https://x/y" || !got.Body.TextSet || got.Body.Text != "" || got.ContentType != "application/json" ||
		got.Method != "PUT" || !got.SHA256 || got.SigningKey != "kk" {
		t.Errorf("%+v", got)
	}
}

func TestSignScheme(t *testing.T) {
	tests := []struct {
		method, ct, url, body string
		sha                   bool
		want                  string
	}{
		{"POST", "", "https://x/", `{"a":1}`, false, "json-sha1"},
		{"POST", "", "https://x/", `a=1&b=2`, false, "form"},
		{"POST", "", "https://x/", `hello`, false, "json-sha1"},
		{"POST", "", "https://x/", ``, false, "json-sha1"},
		{"POST", "application/x-www-form-urlencoded", "https://x/", `{"a":1}`, false, "form"},
		{"POST", "text/plain", "https://x/", `a=1`, false, "json-sha1"},
		{"GET", "", "https://x/?a=1", ``, false, "form"},
		{"POST", "", "https://x/?bodySHA256=ab", `{}`, false, "form-bodysha256"},
		{"POST", "application/x-www-form-urlencoded", "https://x/", `a=1`, true, "json-sha256"},
	}
	for _, tt := range tests {
		if got := signScheme(tt.method, tt.ct, tt.url, []byte(tt.body), tt.sha); string(got) != tt.want {
			t.Errorf("signScheme(%q, %q, %q, %q, %v) = %s, want %s", tt.method, tt.ct, tt.url, tt.body, tt.sha, got, tt.want)
		}
	}
}
