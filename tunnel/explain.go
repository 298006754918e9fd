package tunnel

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"regexp"
	"strings"
	"syscall"

	"golang.ngrok.com/ngrok/v2"

	"github.com/swhook/swhook/inspect/termsafe"
)

// Problem is what went wrong with the tunnel, said for a person.
type Problem struct {
	// Code is ngrok's ERR_NGROK_n code when there is one.
	Code string
	// Message is one sentence: what is wrong and what to do.
	Message string
	// Permanent is true when retrying cannot help until the user changes
	// something (token, domain, plan); swhook still retries, but slowly.
	Permanent bool
}

// ExplainContext is what the explanation may name: where the token came
// from (never the token itself) and the domain asked for.
type ExplainContext struct {
	TokenSource string
	Domain      string
	// Secret is removed from any text taken from ngrok's answer: ngrok's
	// own auth errors quote the token back ("Your authtoken: …").
	Secret string
}

var (
	ngrokCode = regexp.MustCompile(`ERR_NGROK_\d+`)
	onlyCode  = regexp.MustCompile(`^ERR_NGROK_\d+$`)
)

// ErrorCode extracts ngrok's error code from err, whatever layer of
// ngrok-go produced it: the public ngrok.Error (Code), the internal error
// types seen on disconnect events (ErrorCode), or the text itself.
func ErrorCode(err error) string {
	var pub interface{ Code() string }
	if errors.As(err, &pub) && onlyCode.MatchString(pub.Code()) {
		return pub.Code()
	}
	var legacy interface{ ErrorCode() string }
	if errors.As(err, &legacy) && onlyCode.MatchString(legacy.ErrorCode()) {
		return legacy.ErrorCode()
	}
	if err == nil {
		return ""
	}
	return ngrokCode.FindString(err.Error())
}

// Explain turns an error from ngrok (a failed connect, a refused endpoint,
// a disconnect, a failed diagnosis) into a Problem a developer can act on
// without reading ngrok's documentation.
func Explain(err error, c ExplainContext) Problem {
	if err == nil {
		return Problem{}
	}
	token := "the ngrok authtoken"
	if c.TokenSource != "" {
		token = "the ngrok authtoken from " + c.TokenSource
	}
	domain := "the domain"
	if c.Domain != "" {
		domain = c.Domain
	}
	code := ErrorCode(err)
	p := Problem{Code: code, Permanent: true}
	with := func(msg string) Problem {
		if code != "" {
			msg = strings.Replace(msg, ": ", " ("+code+"): ", 1)
		}
		p.Message = msg
		return p
	}
	switch code {
	case "ERR_NGROK_105", "ERR_NGROK_106", "ERR_NGROK_107":
		return with("ngrok rejected " + token + ": it is mistyped, reset or revoked; copy the current one from https://dashboard.ngrok.com/get-started/your-authtoken")
	case "ERR_NGROK_4018":
		return with("ngrok needs an account and an authtoken: sign up at https://dashboard.ngrok.com/signup, then set $NGROK_AUTHTOKEN")
	case "ERR_NGROK_108":
		return with("your ngrok account already has as many agents online as its plan allows: stop another ngrok agent (or swhook listen) and this one will connect")
	case "ERR_NGROK_320", "ERR_NGROK_414":
		return with(domain + " belongs to another ngrok account: use the authtoken of the account that reserved it, or drop --domain")
	case "ERR_NGROK_7117", "ERR_NGROK_7118", "ERR_NGROK_319":
		return with(domain + " is not reserved for your ngrok account: reserve it at https://dashboard.ngrok.com/domains, or drop --domain")
	case "ERR_NGROK_314", "ERR_NGROK_401", "ERR_NGROK_412":
		return with(domain + " needs a paid ngrok plan: use the free domain shown at https://dashboard.ngrok.com/domains, or drop --domain")
	case "ERR_NGROK_15002":
		return with("your ngrok plan needs a registered domain: register one at https://dashboard.ngrok.com/domains and pass it with --domain")
	case "ERR_NGROK_334":
		return with(domain + " is already online in another ngrok agent (another swhook listen?): stop that one first")
	case "ERR_NGROK_9037", "ERR_NGROK_9021":
		return with("ngrok refused --domain " + c.Domain + ": give a bare host name such as name.ngrok-free.app")
	}
	p.Permanent = false
	var dns *net.DNSError
	var x509Unknown x509.UnknownAuthorityError
	var x509Host x509.HostnameError
	var tlsRecord tls.RecordHeaderError
	switch {
	case ngrok.IsMuxadoDiagnoseFailure(err):
		return with("connect.ngrok-agent.com:443 answers but does not speak ngrok's protocol (a proxy in the way?); still trying")
	case ngrok.IsTLSDiagnoseFailure(err) && !errors.Is(err, context.DeadlineExceeded):
		return with("the TLS connection to ngrok failed (a proxy, firewall or antivirus in the way?): allow connect.ngrok-agent.com:443; still trying")
	case errors.Is(err, context.DeadlineExceeded):
		return with("no answer from ngrok's servers: the network may be down or a firewall may block connect.ngrok-agent.com:443; still trying")
	case errors.As(err, &dns):
		return with("cannot look up ngrok's servers (" + dns.Name + "): no network or no DNS; serving locally and still trying")
	case errors.As(err, &x509Unknown), errors.As(err, &x509Host), errors.As(err, &tlsRecord):
		return with("the TLS connection to ngrok was intercepted (a proxy or antivirus?): allow connect.ngrok-agent.com:443; still trying")
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ECONNRESET), isDialError(err):
		return with("cannot reach ngrok's servers: the network may be down or a firewall may block connect.ngrok-agent.com:443; still trying")
	case code != "":
		p.Permanent = true
		return with("ngrok refused: " + firstLine(ngrokText(err), c.Secret))
	}
	return with("lost the connection to ngrok (" + firstLine(err.Error(), c.Secret) + "); reconnecting")
}

func isDialError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	s := err.Error()
	return ngrok.IsTCPDiagnoseFailure(err) || strings.Contains(s, "failed to dial ngrok server")
}

// ngrokText is ngrok's message without the "authentication failed:"-style
// prefix that ngrok-go adds.
func ngrokText(err error) string {
	var m interface{ Msg() string }
	if errors.As(err, &m) {
		return m.Msg()
	}
	return err.Error()
}

// firstLine keeps one line of a foreign error, without the secret and
// without anything a terminal would interpret.
func firstLine(s, secret string) string {
	if secret != "" {
		s = strings.ReplaceAll(s, secret, "[redacted]")
	}
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !ngrokCode.MatchString(l) {
			s = l
			break
		}
	}
	s = termsafe.String(s)
	if secret != "" {
		// Again: removing control characters may have joined it up.
		s = strings.ReplaceAll(s, secret, "[redacted]")
	}
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}

// String is the message alone, so a Problem prints as its sentence.
func (p Problem) String() string { return p.Message }
