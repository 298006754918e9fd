// Package replay sends a captured webhook again — byte for byte, or edited,
// or re-signed for the URL the handler checks against — so a developer who
// has just fixed a failing callback can have that exact callback again
// without placing another phone call. It never stores anything: the caller
// loads the original and stores the exchange Send returns, so the command
// line, the live view and tests all share one path.
package replay

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/swhook/swhook/inspect/classify"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/respcheck"
	"github.com/swhook/swhook/inspect/signature"
	"github.com/swhook/swhook/inspect/termsafe"
)

// DefaultMaxBody bounds how much of a handler's answer is kept; the full
// size is still recorded.
const DefaultMaxBody = 1 << 20

// ErrNoTarget means the exchange does not say where it was forwarded and no
// target was given; the command turns it into "pass --to URL".
var ErrNoTarget = errors.New("no target: the exchange was not forwarded anywhere; pass --to URL")

// ErrNoKey means re-signing was asked for without a signing key.
var ErrNoKey = errors.New("--resign needs the signing key: pass --signing-key or set $SIGNALWIRE_SIGNING_KEY")

// ErrTruncated means the captured body is incomplete, so sending it again
// would not be the same request.
var ErrTruncated = errors.New("the captured body was truncated, so it cannot be sent again byte for byte")

// Options say where and how to send an exchange again.
type Options struct {
	// Target is where to send: a base URL (scheme://host[:port]) to which
	// the original path and query are appended, or a full URL whose path
	// (and query, if it has one) replace the original's. Empty means the
	// exchange's recorded forward target.
	Target string
	// Resign recomputes the signature for SignURL with Key.
	Resign bool
	// SignURL is the URL the handler verifies against (typically the public
	// URL it is configured with): re-signing signs for it, and the captured
	// signature is checked at it. Empty means the target URL.
	SignURL string
	// Key is the signing key; empty means unknown. It never appears in
	// notes, errors or the returned exchange.
	Key string
	// Set edits the body: a form parameter, a JSON field by dotted path, or
	// (for GET webhooks) a query parameter.
	Set []Assignment
	// Headers set request headers; an empty value removes the header.
	Headers []Assignment
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// MaxBody bounds the captured answer; 0 means DefaultMaxBody.
	MaxBody int64
}

// Plan is a replay ready to go: what will be sent, where, and what swhook
// has to say about its signature. Commands print Notes before sending.
type Plan struct {
	Orig    *exchange.Exchange
	Method  string
	URL     string // where the request is sent
	SignURL string // the URL the signature is made for and checked against
	// Host is the Host header sent. Like listen's forward, a replay presents
	// the URL the handler should verify against — in Host and
	// X-Forwarded-Proto/-Host — so a handler that rebuilds its URL from them
	// rebuilds that one: the original URL when sent as captured, SignURL when
	// re-signed.
	Host   string
	Header http.Header
	Body   []byte
	// BodyEdited says --set changed the body (or query).
	BodyEdited bool
	// Resigned says the signature headers were recomputed.
	Resigned bool
	// Verdict is the signature of what will be sent, checked at SignURL
	// (StatusUnchecked without a key).
	Verdict signature.Verdict
	// Notes are sentences for the user about the signature, terminal-safe.
	Notes []string

	key     string
	rebuilt bool // SignURL is the URL presented to the handler, not one it was told
	now     func() time.Time
	maxBody int64
}

// Send prepares and sends orig again and returns the new exchange (source
// replay, replay_of orig.ID) for the caller to store. A target that does
// not answer is not an error: the exchange records it in Response.Error.
func Send(ctx context.Context, client *http.Client, orig *exchange.Exchange, opts Options) (*exchange.Exchange, error) {
	p, err := Prepare(orig, opts)
	if err != nil {
		return nil, err
	}
	return p.Do(ctx, client), nil
}

// Prepare works out what a replay will send without sending it.
func Prepare(orig *exchange.Exchange, opts Options) (*Plan, error) {
	if orig == nil {
		return nil, errors.New("replay: no exchange")
	}
	if orig.Request.Truncated {
		return nil, fmt.Errorf("exchange #%d: %w", orig.ID, ErrTruncated)
	}
	if opts.Resign && opts.Key == "" {
		return nil, ErrNoKey
	}
	target := opts.Target
	if target == "" && orig.Forward == "" {
		return nil, ErrNoTarget
	}
	method := orig.Request.Method
	if method == "" {
		method = http.MethodPost
	}
	p := &Plan{
		Orig:    orig,
		Method:  method,
		Header:  orig.Request.ResendHeaders(),
		Body:    append([]byte(nil), orig.Request.Body...),
		key:     opts.Key,
		now:     opts.Now,
		maxBody: opts.MaxBody,
	}
	if p.now == nil {
		p.now = time.Now
	}
	if p.maxBody <= 0 {
		p.maxBody = DefaultMaxBody
	}

	// Edits to a GET webhook's parameters change the query, so they must be
	// applied before the URLs are worked out.
	query := orig.Request.Query
	if len(opts.Set) > 0 {
		body, q, err := applySets(method, headerContentType(p.Header), p.Body, query, opts.Set)
		if err != nil {
			return nil, err
		}
		p.BodyEdited = string(body) != string(p.Body) || q != query
		p.Body, query = body, q
		if p.BodyEdited {
			query = refreshBodyHash(query, p.Body)
		}
	}
	req := orig.Request
	req.Query = query
	var err error
	if target != "" {
		p.URL, err = TargetURL(target, req)
	} else {
		p.URL, err = ForwardURL(orig.Forward, req)
	}
	if err != nil {
		return nil, err
	}
	p.SignURL = p.URL
	if opts.SignURL != "" {
		if p.SignURL, err = TargetURL(opts.SignURL, req); err != nil {
			return nil, fmt.Errorf("--sign-url: %w", err)
		}
	}

	resign := opts.Resign || (p.BodyEdited && opts.Key != "")
	presented := p.SignURL
	asCaptured := !resign && opts.SignURL == "" && orig.Request.URL != ""
	if asCaptured {
		presented = orig.Request.URL
	}
	p.present(presented, orig.Request.RemoteAddr)
	if asCaptured {
		// The handler checks the URL it rebuilds from what it is sent: the
		// presented scheme and host, the path and query it was sent to.
		// That, not the target URL, is where the captured signature must
		// verify — so a plain "replay last" is not reported as failing.
		if u, ok := rebuiltURL(presented, p.URL); ok {
			p.SignURL, p.rebuilt = u, true
		}
	}
	explicit := applyHeaders(p.Header, opts.Headers)
	if h := explicit.Get("Host"); h != "" {
		p.Host = h
		p.Header.Del("Host")
		explicit.Del("Host")
	}

	switch {
	case resign:
		h, err := signature.Resign(opts.Key, p.sigRequest())
		if err != nil {
			return nil, fmt.Errorf("re-sign: %w", err)
		}
		p.Header = h
		for name, v := range explicit { // what the user set wins
			p.Header[name] = v
		}
		p.Resigned = true
		if opts.Resign {
			p.note("re-signed for %s", p.SignURL)
		} else {
			p.note("the body was edited, so it was re-signed for %s", p.SignURL)
		}
	case p.BodyEdited:
		p.note("the body was edited and no signing key is known: its signature will not verify (pass --signing-key to re-sign)")
	}

	p.Verdict = signature.Verify(opts.Key, p.sigRequest())
	if !resign && !p.BodyEdited {
		p.noteOriginal()
	}
	return p, nil
}

// present sets Host and X-Forwarded-* as listen's forward does, for the
// URL the request should look addressed to, and appends the original
// sender's address to X-Forwarded-For.
func (p *Plan) present(presented, remoteAddr string) {
	u, err := url.Parse(presented)
	if err != nil || u.Host == "" {
		return
	}
	if t, err := url.Parse(p.URL); err != nil || t.Host != u.Host {
		p.Host = u.Host
	}
	p.Header.Set("X-Forwarded-Proto", u.Scheme)
	p.Header.Set("X-Forwarded-Host", u.Host)
	if ip, _, err := net.SplitHostPort(remoteAddr); err == nil && ip != "" {
		if prior := p.Header.Values("X-Forwarded-For"); len(prior) > 0 {
			ip = strings.Join(prior, ", ") + ", " + ip
		}
		p.Header.Set("X-Forwarded-For", ip)
	}
}

// noteOriginal says whether the captured signature, sent unchanged, will
// verify where the handler checks it.
func (p *Plan) noteOriginal() {
	switch p.Verdict.Status {
	case signature.StatusValid:
		// A handler that ignores X-Forwarded-Proto rebuilds http:// with
		// the Host header; say so when that URL differs and fails.
		host := p.Host
		if host == "" {
			if t, err := url.Parse(p.URL); err == nil {
				host = t.Host
			}
		}
		if plain, ok := rebuiltURL("http://"+host, p.URL); ok && p.rebuilt && plain != p.SignURL {
			r := p.sigRequest()
			r.URL = plain
			if !signature.Verify(p.key, r).Valid() {
				p.note("the original signature verifies at %s for a handler that rebuilds its URL from X-Forwarded-Proto/-Host, as one behind a tunnel must; one that checks %s needs --resign", p.SignURL, plain)
				return
			}
		}
		p.note("the original signature verifies at %s", p.SignURL)
	case signature.StatusMissing:
		p.note("the original request carried no signature")
	case signature.StatusUnchecked:
		p.note("no signing key: cannot tell whether the original signature verifies at %s", p.SignURL)
	default:
		made := p.Orig.Request.URL
		if made == "" || made == p.SignURL {
			p.note("the original signature will not verify at %s; use --resign", p.SignURL)
			return
		}
		p.note("the original signature will not verify at %s (it was made for %s); use --resign", p.SignURL, made)
	}
}

// rebuiltURL is the scheme and host of presented with the path and query of
// sent: the URL a handler reconstructs from Host/X-Forwarded-* and its
// request line.
func rebuiltURL(presented, sent string) (string, bool) {
	pu, err := url.Parse(presented)
	if err != nil || pu.Host == "" || pu.Scheme == "" {
		return "", false
	}
	su, err := url.Parse(sent)
	if err != nil {
		return "", false
	}
	return pu.Scheme + "://" + pu.Host + su.RequestURI(), true
}

func (p *Plan) note(format string, args ...any) {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = termsafe.String(s)
		}
	}
	p.Notes = append(p.Notes, fmt.Sprintf(format, args...))
}

func (p *Plan) sigRequest() signature.Request {
	return signature.Request{Method: p.Method, URL: p.SignURL, Header: p.Header, Body: p.Body}
}

// Do sends the plan and returns the new exchange. It never follows a
// redirect: a replay goes only where it was pointed.
func (p *Plan) Do(ctx context.Context, client *http.Client) *exchange.Exchange {
	x := &exchange.Exchange{
		Time:     p.now().UTC(),
		Source:   exchange.SourceReplay,
		ReplayOf: p.Orig.ID,
		Forward:  Origin(p.URL),
		Event:    p.Orig.Event,
		Signature: exchange.Signature{
			Status: exchange.SignatureStatus(p.Verdict.Status),
			Scheme: string(p.Verdict.Scheme),
			Header: p.Verdict.Header,
			Hint:   p.Verdict.Note,
		},
	}
	x.Request = RequestRecord(p.Method, p.URL, p.SignURL, p.Header, p.Body)
	if p.Host != "" {
		x.Request.Host = p.Host
	}
	if p.BodyEdited || x.Event.Kind == "" {
		x.Event = Classify(x.Request)
	}
	x.Response = Deliver(ctx, client, Outgoing{Method: p.Method, URL: p.URL, Host: p.Host, Header: p.Header, Body: p.Body}, p.now, p.maxBody)
	x.ResponseCheck = CheckResponse(x.Event, x.Response)
	return x
}

// Classify names the event of a request swhook sends, as listen would.
func Classify(r exchange.Request) exchange.Event {
	return classify.Classify(classify.Request{
		Method: r.Method, Path: r.Path, Query: r.Query,
		ContentType: r.Headers.Get("Content-Type"), Body: r.Body,
	})
}

// CheckResponse grades an answer as listen would.
func CheckResponse(ev exchange.Event, r exchange.Response) exchange.Check {
	return respcheck.Check(ev, respcheck.Response{
		Status: r.Status, ContentType: r.Headers.Get("Content-Type"),
		Body: r.Body, Err: r.Error, Truncated: r.Truncated,
	})
}

// Origin is scheme://host of a URL: what is recorded as an exchange's
// forward target, the path being in the request.
func Origin(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// RequestRecord describes a request swhook sends, as the store keeps it:
// URL is the one the signature covers, Host and Path where it went.
func RequestRecord(method, target, signURL string, h http.Header, body []byte) exchange.Request {
	r := exchange.Request{
		Method:   method,
		URL:      signURL,
		Headers:  h.Clone(),
		Body:     append(exchange.Body(nil), body...),
		BodySize: int64(len(body)),
	}
	if u, err := url.Parse(target); err == nil {
		r.Host = u.Host
		r.Path = rawPathOf(target, u)
		r.Query = u.RawQuery
	}
	return r
}

// Outgoing is one request swhook sends.
type Outgoing struct {
	Method string
	URL    string
	Host   string // the Host header; empty means the URL's host
	Header http.Header
	Body   []byte
}

// Deliver sends one request and records the answer. Failures to connect are
// recorded in Response.Error rather than returned, so the attempt is kept
// like any other exchange. Redirects are not followed.
func Deliver(ctx context.Context, client *http.Client, out Outgoing, now func() time.Time, maxBody int64) exchange.Response {
	method, target, h, body := out.Method, out.URL, out.Header, out.Body
	if client == nil {
		client = http.DefaultClient
	}
	if now == nil {
		now = time.Now
	}
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	if h.Get("Accept-Encoding") == "" {
		// Go's transport would add "Accept-Encoding: gzip" and unzip the
		// answer: the handler would see a header the original did not have,
		// and swhook would record bytes the handler did not send.
		t, _ := c.Transport.(*http.Transport)
		if c.Transport == nil {
			t, _ = http.DefaultTransport.(*http.Transport)
		}
		if t != nil && !t.DisableCompression {
			t = t.Clone()
			t.DisableCompression = true
			defer t.CloseIdleConnections()
			c.Transport = t
		}
	}

	var rdr io.Reader
	if len(body) > 0 {
		rdr = strings.NewReader(string(body))
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rdr)
	if err != nil {
		return exchange.Response{Error: err.Error()}
	}
	keepRawPath(req.URL, target)
	if out.Host != "" {
		req.Host = out.Host
	}
	req.Header = h.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	if _, ok := req.Header["User-Agent"]; !ok {
		// Send no User-Agent rather than Go's, when the original had none.
		req.Header["User-Agent"] = []string{}
	}
	start := now()
	resp, err := c.Do(req)
	if err != nil {
		return exchange.Response{Error: err.Error(), DurationMS: ms(now().Sub(start))}
	}
	defer resp.Body.Close()
	kept, rerr := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	rest, _ := io.Copy(io.Discard, resp.Body)
	rec := exchange.Response{
		Status:     resp.StatusCode,
		Headers:    resp.Header.Clone(),
		Body:       kept,
		BodySize:   int64(len(kept)) + rest,
		Truncated:  rest > 0,
		DurationMS: ms(now().Sub(start)),
		Forwarded:  true,
	}
	if rerr != nil {
		rec.Error = "reading the answer: " + rerr.Error()
	}
	return rec
}

// keepRawPath makes u send the path of target exactly as written: the
// request writer re-escapes Path wherever the recorded bytes are not the
// canonical escaping (bytes >= 0x80, \, {, |, '), and a replay must reach
// the handler with the request-target that first came in. Opaque is sent
// verbatim.
func keepRawPath(u *url.URL, target string) {
	p := rawPathOf(target, u)
	if p == u.EscapedPath() || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		// "//x" in Opaque would be read as a host; keep the parsed form.
		return
	}
	u.Opaque = p
	u.RawPath = ""
}

// rawPathOf is the path of target (an absolute URL u was parsed from) as
// written, or u's escaped path when target has no recognisable one.
func rawPathOf(target string, u *url.URL) string {
	i := strings.Index(target, "://")
	if i < 0 {
		return u.EscapedPath()
	}
	rest := target[i+3:]
	j := strings.IndexByte(rest, '/')
	if j < 0 {
		return u.EscapedPath()
	}
	p := rest[j:]
	if k := strings.IndexAny(p, "?#"); k >= 0 {
		p = p[:k]
	}
	return p
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// OK reports whether the handler answered 2xx.
func OK(r exchange.Response) bool {
	return r.Error == "" && r.Status >= 200 && r.Status < 300
}

// TargetURL works out where a request goes: target is either a base URL
// (no path, or "/"), to which the original path and query are appended, or
// a full URL whose path replaces the original's; the original query is kept
// unless target has its own.
func TargetURL(target string, orig exchange.Request) (string, error) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an http(s) URL: give one like http://localhost:3000", termsafe.String(target))
	}
	path, query := orig.Path, orig.Query
	if path == "" && orig.URL != "" {
		if ou, err := url.Parse(orig.URL); err == nil {
			path = ou.EscapedPath()
			if query == "" {
				query = ou.RawQuery
			}
		}
	}
	if u.Path != "" && u.Path != "/" {
		path = u.EscapedPath()
	}
	// The recorded parts are escaped already; these keep a malformed one
	// from moving into the host, the query or a fragment.
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	path = strings.NewReplacer("?", "%3F", "#", "%23").Replace(path)
	if u.RawQuery != "" || u.ForceQuery {
		query = u.RawQuery
	}
	query = strings.ReplaceAll(query, "#", "%23")
	out := u.Scheme + "://" + u.Host + path
	if query != "" {
		out += "?" + query
	}
	return out, nil
}

// ForwardURL is where listen forwarded the request: the recorded forward
// base joined with the request's path (a base path is a prefix, as listen
// joins it), and the request's query.
func ForwardURL(forward string, orig exchange.Request) (string, error) {
	u, err := url.Parse(forward)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("the recorded forward target %q is not an http(s) URL; pass --to URL", termsafe.String(forward))
	}
	r, err := TargetURL(u.Scheme+"://"+u.Host, orig)
	if err != nil {
		return "", err
	}
	base := strings.TrimSuffix(u.EscapedPath(), "/")
	if base == "" {
		return r, nil
	}
	ru, _ := url.Parse(r)
	path := rawPathOf(r, ru)
	if path == "/" {
		path = ""
	}
	out := u.Scheme + "://" + u.Host + base + path
	if ru.RawQuery != "" {
		out += "?" + ru.RawQuery
	}
	return out, nil
}

// refreshBodyHash keeps a bodySHA256 query parameter true to an edited
// body: that scheme signs the URL, and the URL carries the body's hash.
func refreshBodyHash(query string, body []byte) string {
	v, err := url.ParseQuery(query)
	if err != nil || !v.Has("bodySHA256") {
		return query
	}
	sum := sha256.Sum256(body)
	return SetFormParam(query, "bodySHA256", hex.EncodeToString(sum[:]))
}

func headerContentType(h http.Header) string { return h.Get("Content-Type") }

// applyHeaders sets (or, with an empty value, removes) headers and returns
// the ones set, so re-signing does not overwrite what the user chose.
func applyHeaders(h http.Header, set []Assignment) http.Header {
	explicit := http.Header{}
	for _, a := range set {
		if a.Value == "" {
			h.Del(a.Name)
			continue
		}
		h.Set(a.Name, a.Value)
		explicit.Set(a.Name, a.Value)
	}
	return explicit
}
