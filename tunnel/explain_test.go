package tunnel

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
)

// codeErr has the public ngrok.Error shape (Code).
type codeErr struct{ code, msg string }

func (e codeErr) Error() string { return e.msg + "\n\n" + e.code }
func (e codeErr) Code() string  { return e.code }

// legacyErr has the shape of the errors on ngrok-go's disconnect events
// (ErrorCode and Msg), which do not implement the public interface.
type legacyErr struct{ text string }

func (e legacyErr) Error() string { return e.text }
func (e legacyErr) ErrorCode() string {
	return ngrokCode.FindString(e.text)
}
func (e legacyErr) Msg() string {
	var out []string
	for _, l := range strings.Split(e.text, "\n") {
		if l = strings.TrimSpace(l); l != "" && !ngrokCode.MatchString(l) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// authFailed mirrors ngrok-go's errAuthFailed wrapping the server's text.
type authFailed struct{ inner error }

func (e authFailed) Error() string { return "authentication failed: " + e.inner.Error() }
func (e authFailed) Unwrap() error { return e.inner }

// Texts as ngrok's servers send them (ngrok.com/docs/errors), with the
// token quoted back as the real service does.
var (
	text105  = "The authtoken you specified does not look like a proper ngrok authtoken.\nYour authtoken: " + testToken + "\nInstructions to install your authtoken are on your ngrok dashboard:\nhttps://dashboard.ngrok.com/get-started/your-authtoken\n\nERR_NGROK_105\n"
	text107  = "The authtoken you specified is properly formed, but it is invalid.\nYour authtoken: " + testToken + "\nThis usually happens when:\n    - You reset your authtoken\nGo to your ngrok dashboard and double check that your authtoken is correct:\nhttps://dashboard.ngrok.com/get-started/your-authtoken\n\nERR_NGROK_107"
	text4018 = "Usage of ngrok requires a verified account and authtoken.\n\nSign up for an account: https://dashboard.ngrok.com/signup\nInstall your authtoken: https://dashboard.ngrok.com/get-started/your-authtoken\n\nERR_NGROK_4018"
	text320  = "This domain is reserved for another account.\nFailed to create an endpoint with the domain hooks.example.com for the account Someone.\n\nERR_NGROK_320"
	text7118 = "The domain hooks.example.com is not reserved by your account.\n\nERR_NGROK_7118"
	text334  = "The endpoint 'https://hooks.example.com' is already online. Either\n1. stop your existing endpoint first, or\n2. start both endpoints with `--pooling-enabled`\n\nERR_NGROK_334"
	text108  = "Your account is limited to 3 simultaneous ngrok agent sessions.\n\nERR_NGROK_108"
)

func dialErr(inner error) error {
	return fmt.Errorf("failed to dial ngrok server with address \"connect.ngrok-agent.com:443\": %w",
		&net.OpError{Op: "dial", Net: "tcp", Err: inner})
}

func TestExplain(t *testing.T) {
	c := ExplainContext{TokenSource: "$NGROK_AUTHTOKEN", Domain: "hooks.example.com", Secret: testToken}
	tests := []struct {
		name      string
		err       error
		code      string
		want      string
		permanent bool
	}{
		{"malformed token on a disconnect event", authFailed{legacyErr{text105}}, "ERR_NGROK_105",
			"ngrok rejected the ngrok authtoken from $NGROK_AUTHTOKEN (ERR_NGROK_105): it is mistyped, reset or revoked", true},
		{"revoked token from Listen", fmt.Errorf("failed to connect: %w", codeErr{"ERR_NGROK_107", "The authtoken you specified is properly formed, but it is invalid."}), "ERR_NGROK_107",
			"ngrok rejected the ngrok authtoken from $NGROK_AUTHTOKEN (ERR_NGROK_107)", true},
		{"revoked token as plain text", errors.New("authentication failed: " + text107), "ERR_NGROK_107",
			"copy the current one from https://dashboard.ngrok.com/get-started/your-authtoken", true},
		{"no account", authFailed{legacyErr{text4018}}, "ERR_NGROK_4018", "sign up at https://dashboard.ngrok.com/signup", true},
		{"domain of another account", legacyErr{text320}, "ERR_NGROK_320", "hooks.example.com belongs to another ngrok account", true},
		{"domain not reserved", codeErr{"ERR_NGROK_7118", text7118}, "ERR_NGROK_7118",
			"hooks.example.com is not reserved for your ngrok account (ERR_NGROK_7118): reserve it at https://dashboard.ngrok.com/domains, or drop --domain", true},
		{"domain already online", legacyErr{text334}, "ERR_NGROK_334", "already online in another ngrok agent", true},
		{"too many agents", legacyErr{text108}, "ERR_NGROK_108", "stop another ngrok agent", true},
		{"no DNS", dialErr(&net.DNSError{Err: "no such host", Name: "connect.ngrok-agent.com", IsNotFound: true}), "",
			"cannot look up ngrok's servers (connect.ngrok-agent.com): no network or no DNS", false},
		{"refused", dialErr(os.NewSyscallError("connect", syscall.ECONNREFUSED)), "", "cannot reach ngrok's servers", false},
		{"unreachable", dialErr(os.NewSyscallError("connect", syscall.ENETUNREACH)), "", "cannot reach ngrok's servers", false},
		{"TLS intercepted", fmt.Errorf("failed to send authentication request: %w", x509.UnknownAuthorityError{}), "",
			"the TLS connection to ngrok was intercepted", false},
		{"silent", context.DeadlineExceeded, "", "no answer from ngrok's servers", false},
		{"dropped session", io.EOF, "", "lost the connection to ngrok (EOF); reconnecting", false},
		{"unknown ngrok code keeps ngrok's words, one line, no token, no escapes",
			legacyErr{"Something new \x1b[31mhappened\x1b[0m for " + testToken + ".\nMore.\n\nERR_NGROK_99999"}, "ERR_NGROK_99999",
			"ngrok refused (ERR_NGROK_99999): Something new", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := Explain(tc.err, c)
			if p.Code != tc.code {
				t.Errorf("code %q, want %q", p.Code, tc.code)
			}
			if !strings.Contains(p.Message, tc.want) {
				t.Errorf("message %q\nwant it to contain %q", p.Message, tc.want)
			}
			if p.Permanent != tc.permanent {
				t.Errorf("permanent %v, want %v", p.Permanent, tc.permanent)
			}
			if strings.Contains(p.Message, testToken) || strings.ContainsAny(p.Message, "\n\r\x1b") {
				t.Errorf("message leaks the token or is not one clean line: %q", p.Message)
			}
			if p.String() != p.Message {
				t.Errorf("String %q", p.String())
			}
		})
	}
	if p := Explain(nil, c); p != (Problem{}) {
		t.Errorf("nil error explained as %+v", p)
	}
}

func TestErrorCode(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{codeErr{"ERR_NGROK_9037", "x"}, "ERR_NGROK_9037"},
		{fmt.Errorf("wrapped: %w", legacyErr{"x\n\nERR_NGROK_105"}), "ERR_NGROK_105"},
		{errors.New("see https://ngrok.com/docs/errors/err_ngrok_3200 ERR_NGROK_3200"), "ERR_NGROK_3200"},
		{errors.New("no code here"), ""},
		{nil, ""},
	} {
		if got := ErrorCode(tc.err); got != tc.want {
			t.Errorf("ErrorCode(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

// Whatever ngrok answers, the user reads one clean line without the token.
func FuzzExplain(f *testing.F) {
	f.Add(text105, "")
	f.Add(text334, "ERR_NGROK_1")
	f.Add("x\x1b]0;pwned\x07 "+testToken+"\n\nERR_NGROK_42", "")
	f.Add("", "ERR_NGROK_107")
	f.Fuzz(func(t *testing.T, text, code string) {
		var err error = legacyErr{text}
		if code != "" {
			err = codeErr{code, text}
		}
		p := Explain(err, ExplainContext{Secret: testToken, TokenSource: "$NGROK_AUTHTOKEN"})
		if p.Message == "" || strings.Contains(p.Message, testToken) || strings.ContainsAny(p.Message, "\n\r\x1b\x07") {
			t.Errorf("Explain(%q, %q) = %q", text, code, p.Message)
		}
	})
}
