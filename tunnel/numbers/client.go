// Package numbers points a SignalWire phone number at swhook's tunnel and
// puts it back exactly as it was, even after a crash: it holds the REST
// client for phone numbers and Fabric webhook resources, the plan of which
// fields change, and the restore records written before anything changes.
package numbers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Environment variables the official SignalWire SDKs read too.
const (
	EnvProject = "SIGNALWIRE_PROJECT_ID"
	EnvToken   = "SIGNALWIRE_API_TOKEN"
	EnvSpace   = "SIGNALWIRE_SPACE_URL"
)

// DefaultTimeout bounds each REST call: a restore on exit must not hang
// the terminal on a silent network.
const DefaultTimeout = 20 * time.Second

// Credentials reach a project's REST API. Token is never printed, logged or
// stored; TokenSource names where it came from, for error messages.
type Credentials struct {
	Project     string
	Space       string // as given: example.signalwire.com, example, or a URL
	Token       string
	TokenSource string // "$SIGNALWIRE_API_TOKEN" or "the prompt"
}

// SpaceURL turns a Space as users write it (example, example.signalwire.com,
// https://example.signalwire.com) into the API's base URL. Credentials go
// only over https, except to a loopback address (a local fake in tests).
func SpaceURL(space string) (*url.URL, error) {
	s := strings.TrimSuffix(strings.TrimSpace(space), "/")
	if s == "" {
		return nil, fmt.Errorf("no SignalWire Space: set $%s (e.g. example.signalwire.com) or pass --space", EnvSpace)
	}
	if strings.Contains(s, "@") {
		// user:token@host: said without echoing what is before the @.
		return nil, fmt.Errorf("the SignalWire Space must be only a host name like example.signalwire.com, with no credentials in it (the project ID goes in $%s, the token in $%s)", EnvProject, EnvToken)
	}
	if !strings.Contains(s, "://") {
		if !strings.Contains(s, ".") && !strings.Contains(s, ":") {
			s += ".signalwire.com"
		}
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("SignalWire Space %q is not a host name like example.signalwire.com", space)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return nil, fmt.Errorf("SignalWire Space %q: the API token goes only over https (http is allowed to a loopback address only)", space)
		}
	default:
		return nil, fmt.Errorf("SignalWire Space %q: use https://", space)
	}
	u.Path = ""
	return u, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Client calls the Relay REST and Fabric APIs of one project.
type Client struct {
	base  *url.URL
	creds Credentials
	http  *http.Client
	// Timeout bounds each call (DefaultTimeout when 0).
	Timeout time.Duration
}

// NewClient checks the credentials are complete (naming what is missing)
// and returns a client that sends them with HTTP Basic auth over hc's
// transport (nil: the default one), never following a redirect.
func NewClient(c Credentials, hc *http.Client) (*Client, error) {
	base, err := SpaceURL(c.Space)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(c.Project) == "" {
		return nil, fmt.Errorf("no SignalWire project ID: set $%s or pass --project", EnvProject)
	}
	if c.Token == "" {
		return nil, fmt.Errorf("no SignalWire API token: set $%s (a token with the Numbers scope)", EnvToken)
	}
	if c.TokenSource == "" {
		c.TokenSource = "$" + EnvToken
	}
	// A copy that follows no redirect: the API never redirects, and Go
	// would carry the Basic auth to the same host over http too.
	var own http.Client
	if hc != nil {
		own = *hc
	}
	own.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{base: base, creds: c, http: &own}, nil
}

// Space is the API's base URL, e.g. https://example.signalwire.com.
func (c *Client) Space() string { return c.base.String() }

// Project is the project ID the client acts for.
func (c *Client) Project() string { return c.creds.Project }

// APIError is an answer other than success. Its message says what to do:
// a 401/403 names the credential refused and the scope needed.
type APIError struct {
	Method, Path string
	Status       int
	// Details are the API's own error texts (errors[].detail or .message).
	Details []string
	// Scope is the token permission the endpoint needs.
	Scope       string
	Project     string
	Space       string
	TokenSource string
}

func (e *APIError) Error() string {
	op := e.Method + " " + e.Path
	detail := ""
	if len(e.Details) > 0 {
		detail = ": " + strings.Join(e.Details, "; ")
	}
	switch {
	case e.Status == http.StatusUnauthorized:
		return fmt.Sprintf("SignalWire refused the credentials (401 Unauthorized): project ID %s with the API token from %s on %s — check both belong to this Space and the token is not revoked",
			e.Project, e.TokenSource, e.Space)
	case e.Status == http.StatusForbidden:
		return fmt.Sprintf("SignalWire refused the API token from %s (403 Forbidden) for %s: the token needs the %s scope (Space dashboard → API → edit the token's scopes)",
			e.TokenSource, op, e.Scope)
	case e.Status == http.StatusNotFound:
		return fmt.Sprintf("SignalWire has no such resource (404) at %s%s", op, detail)
	case e.Status == http.StatusUnprocessableEntity:
		return fmt.Sprintf("SignalWire refused the change (422) to %s%s", op, detail)
	case e.Status >= 500:
		return fmt.Sprintf("SignalWire failed (%d %s) on %s%s: try again in a moment", e.Status, http.StatusText(e.Status), op, detail)
	}
	return fmt.Sprintf("SignalWire answered %d %s to %s%s", e.Status, http.StatusText(e.Status), op, detail)
}

// IsNotFound says whether err is SignalWire's 404.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == http.StatusNotFound
}

// IsRefused says whether SignalWire answered and refused (4xx): nothing
// changed, and trying again unchanged will not help.
func IsRefused(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status >= 400 && ae.Status < 500
}

const (
	scopeNumbers = "Numbers"
	scopeFabric  = "Voice (or Messaging)"
)

// maxAnswer bounds what is read of one answer: a list page of 100 numbers
// is far below it.
const maxAnswer = 16 << 20

// do sends one request. body, when not nil, is sent as JSON; the answer is
// decoded into out.
func (c *Client) do(ctx context.Context, method, target string, body any, out any, scope string) error {
	u, err := c.resolve(target)
	if err != nil {
		return err
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode %s %s: %w", method, u.Path, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, u.Path, err)
	}
	req.SetBasicAuth(c.creds.Project, c.creds.Token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return fmt.Errorf("SignalWire did not answer %s %s within %s", method, u.Path, timeout)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is said once, without a query
		}
		return fmt.Errorf("cannot reach SignalWire at %s (%s %s): %w", c.base.Host, method, u.Path, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer))
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return fmt.Errorf("SignalWire did not finish answering %s %s within %s", method, u.Path, timeout)
		}
		return fmt.Errorf("read SignalWire's answer to %s %s: %w", method, u.Path, err)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return &APIError{Method: method, Path: u.Path, Status: res.StatusCode, Details: errorDetails(data),
			Scope: scope, Project: c.creds.Project, Space: c.base.Host, TokenSource: c.creds.TokenSource}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("SignalWire's answer to %s %s is not the JSON expected: %w", method, u.Path, err)
	}
	return nil
}

// resolve makes target (a path with query, or an absolute "next" link from
// a list answer) absolute, refusing any other host: the credentials go to
// the Space only.
func (c *Client) resolve(target string) (*url.URL, error) {
	u, err := c.base.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("bad API path %q: %w", target, err)
	}
	if u.Scheme != c.base.Scheme || u.Host != c.base.Host {
		return nil, fmt.Errorf("SignalWire sent a link to another host (%s); not following it with the credentials", u.Host)
	}
	return u, nil
}

// errorDetails reads both documented error shapes: the Relay REST
// {"errors":[{"detail",…}]}, Fabric's {"errors":[{"message","attribute",…}]}
// and the bare {"error":"Unauthorized"}.
func errorDetails(data []byte) []string {
	var e struct {
		Error  string `json:"error"`
		Errors []struct {
			Detail    string `json:"detail"`
			Message   string `json:"message"`
			Attribute string `json:"attribute"`
			Code      string `json:"code"`
		} `json:"errors"`
	}
	if json.Unmarshal(data, &e) != nil {
		return nil
	}
	var out []string
	for _, it := range e.Errors {
		msg := it.Detail
		if msg == "" {
			msg = it.Message
		}
		if it.Attribute != "" && !strings.Contains(msg, it.Attribute) {
			msg = it.Attribute + ": " + msg
		}
		if msg == "" {
			msg = it.Code
		}
		if msg != "" {
			out = append(out, msg)
		}
	}
	if len(out) == 0 && e.Error != "" {
		out = append(out, e.Error)
	}
	return out
}
