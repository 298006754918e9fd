package call

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/swhook/swhook/inspect/delivery"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/signature"
	"github.com/swhook/swhook/replay"
)

// ErrMaxSteps stops a call that fetched more documents than --max-steps
// allows: almost always a Redirect (or an action-less Gather) loop.
var ErrMaxSteps = errors.New("too many steps")

// Request is one request an interpreter asks the session to send.
type Request struct {
	Purpose delivery.Purpose
	// Method is GET or POST ("" is POST); anything else is error 13221.
	Method string
	// URL is absolute; a #ot=&rt=&tt= fragment sets its timeouts and is not
	// sent.
	URL string
	// Form is sent as a form body (POST) or the query (GET).
	Form [][2]string
	// Body and ContentType are sent instead of Form when Body is set (a
	// SWML JSON fetch). JSON is signed as SignalWire signs JSON.
	Body        []byte
	ContentType string
	// Label says what the request is for in the transcript ("Gather
	// action").
	Label string
	// Check judges an Action's answer as a document (12100 when it does not
	// parse); nil accepts any answer the delivery rules accept.
	Check func(Answer) *delivery.Error
	// NoFallback sends no fallback request on failure.
	NoFallback bool
}

// Answer is the handler's answer to a request.
type Answer struct {
	Status      int
	ContentType string
	Body        []byte
	// URL is where the answer came from (after redirects, without the
	// fragment): the base for the document's relative URLs.
	URL string
}

// Result is what came of a request.
type Result struct {
	Answer
	// Err is the SignalWire error the request ended in (after the fallback,
	// if one was tried); it has already been shown and counted.
	Err *delivery.Error
	// FellBack says the answer is the fallback URL's.
	FellBack bool
	// Stopped says the session refused to send: --max-steps was reached.
	Stopped bool
	// Exchanges are the stored exchanges, one per attempt or redirect.
	Exchanges []*exchange.Exchange
}

// OK reports whether there is an answer to use.
func (r Result) OK() bool { return r.Err == nil && !r.Stopped }

// Fetch sends req with SignalWire's delivery rules and returns the answer.
// Failures are shown and counted here; an action-type failure falls back
// to the fallback URL when one is configured.
func (s *Session) Fetch(ctx context.Context, req Request) Result {
	if req.Purpose == delivery.Action {
		s.steps++
		if s.steps > s.cfg.MaxSteps {
			s.Stop(fmt.Errorf("%w: stopped after %d documents (--max-steps %d); a Redirect or an action-less Gather loops", ErrMaxSteps, s.cfg.MaxSteps, s.cfg.MaxSteps))
			return Result{Stopped: true}
		}
	}
	res := s.fetchOnce(ctx, req)
	if res.Err == nil || !delivery.UsesFallback(req.Purpose, res.Err) || req.NoFallback || s.cfg.FallbackURL == "" {
		return res
	}
	s.Emit(Event{Type: EvFallback, URL: s.cfg.FallbackURL, Text: "the request failed, so SignalWire requests the fallback URL"})
	fb := req
	fb.URL, fb.Method, fb.NoFallback = s.cfg.FallbackURL, http.MethodPost, true
	fb.Label = "fallback URL"
	out := s.fetchOnce(ctx, fb)
	out.FellBack = true
	out.Exchanges = append(res.Exchanges, out.Exchanges...)
	return out
}

func (s *Session) fetchOnce(ctx context.Context, req Request) Result {
	method := req.Method
	if method == "" {
		method = http.MethodPost
	}
	if method != http.MethodGet && method != http.MethodPost {
		e := delivery.Errorf(delivery.CodeMethod, "method=%q", method)
		s.Fail(e)
		return Result{Err: e}
	}
	target, t, err := delivery.ParseURL(req.URL)
	if err != nil {
		e := delivery.New(delivery.CodeTimeout, err.Error())
		s.Fail(e)
		return Result{Err: e}
	}
	attempts := 1
	if req.Purpose == delivery.StatusCallback {
		attempts = delivery.StatusCallbackAttempts
	}
	ctx, cancel := context.WithTimeout(ctx, t.Total)
	defer cancel()
	var res Result
	for attempt := 1; attempt <= attempts; attempt++ {
		res = s.follow(ctx, req, method, target, t, attempt)
		if res.Err == nil && req.Purpose == delivery.Action && req.Check != nil {
			res.Err = req.Check(res.Answer)
		}
		if res.Err == nil {
			return res
		}
		if !delivery.Retry(req.Purpose, res.Err, attempt) || ctx.Err() != nil {
			break
		}
		s.Emit(Event{Type: EvRetry, Label: req.Label, Attempt: attempt + 1, Code: res.Err.Code, Detail: res.Err.Detail})
	}
	if req.Purpose == delivery.StatusCallback {
		res.Err.Detail += fmt.Sprintf("; dropped after %d attempts", attempts)
	}
	s.Fail(res.Err)
	return res
}

// follow sends one attempt and follows up to MaxRedirects redirects.
func (s *Session) follow(ctx context.Context, req Request, method, target string, t delivery.Timeouts, attempt int) Result {
	var res Result
	body, ct := req.Body, req.ContentType
	if body == nil && len(req.Form) > 0 {
		ct = "application/x-www-form-urlencoded"
		enc := encodeForm(req.Form)
		if method == http.MethodGet {
			target = withQuery(target, enc)
		} else {
			body = []byte(enc)
		}
	}
	if ct == "" && method == http.MethodPost {
		ct = "application/x-www-form-urlencoded"
	}
	label := req.Label
	for hop := 0; ; hop++ {
		x, a := s.send(ctx, method, target, ct, body, t)
		a.Redirects = hop
		res.Exchanges = append(res.Exchanges, x)
		s.Emit(requestEvent(label, attempt, x))
		loc := x.Response.Headers.Get("Location")
		if a.Err == nil && x.Response.Status >= 300 && x.Response.Status < 400 && loc != "" {
			if hop >= delivery.MaxRedirects {
				res.Err = delivery.Errorf(delivery.CodeTooManyRedirects, "%d redirects in a row, the last to %s", hop+1, loc)
				return res
			}
			next, err := url.Parse(target)
			if err == nil {
				next, err = next.Parse(loc)
			}
			if err != nil {
				res.Err = delivery.Errorf(delivery.CodeTimeout, "redirect to %q: %v", loc, err)
				return res
			}
			target = next.String()
			if x.Response.Status != http.StatusTemporaryRedirect && x.Response.Status != http.StatusPermanentRedirect {
				if method == http.MethodPost && len(body) > 0 {
					s.Emit(Event{Type: EvNote, Text: "a " + fmt.Sprint(x.Response.Status) + " turns the POST into a GET: its parameters (Digits too) are lost"})
				}
				method, body, ct = http.MethodGet, nil, ""
			}
			label = "redirected"
			continue
		}
		res.Answer = Answer{Status: x.Response.Status, ContentType: x.Response.Headers.Get("Content-Type"), Body: x.Response.Body, URL: target}
		res.Err = delivery.Judge(req.Purpose, t, a)
		return res
	}
}

func requestEvent(label string, attempt int, x *exchange.Exchange) Event {
	ev := Event{
		Type: EvRequest, Label: label, Method: x.Request.Method, URL: fullURL(x),
		HTTPStatus: x.Response.Status, DurationMS: x.Response.DurationMS,
		ExchangeID: x.ID, Error: x.Response.Error, ContentType: x.Response.Headers.Get("Content-Type"),
	}
	if attempt > 1 {
		ev.Attempt = attempt
	}
	return ev
}

func fullURL(x *exchange.Exchange) string {
	u := x.Request.Path
	if x.Request.Query != "" {
		u += "?" + x.Request.Query
	}
	return u
}

// send signs, sends and stores one request.
func (s *Session) send(ctx context.Context, method, target, ct string, body []byte, t delivery.Timeouts) (*exchange.Exchange, delivery.Answer) {
	signURL := s.signURL(target)
	h := http.Header{}
	if ct != "" && method != http.MethodGet {
		h.Set("Content-Type", ct)
	}
	h.Set("User-Agent", UserAgent)
	if s.cfg.Mark != nil {
		for k, v := range s.cfg.Mark(target) {
			h[http.CanonicalHeaderKey(k)] = append([]string(nil), v...)
		}
	}
	host := ""
	if signURL != target {
		su, err1 := url.Parse(signURL)
		tu, err2 := url.Parse(target)
		if err1 == nil && err2 == nil {
			if su.Host != tu.Host {
				host = su.Host
			}
			h.Set("X-Forwarded-Proto", su.Scheme)
			h.Set("X-Forwarded-Host", su.Host)
		}
	}
	if s.cfg.Key != "" {
		scheme := signature.SchemeFor(method, ct)
		if method == http.MethodGet {
			scheme = signature.SchemeForm
		}
		if sig, err := signature.Sign(s.cfg.Key, scheme, signURL, body); err == nil {
			h.Set(signature.HeaderSignalWire, sig)
		}
		if scheme == signature.SchemeJSONSHA1 {
			if sig, err := signature.Sign(s.cfg.Key, signature.SchemeJSONSHA256, signURL, body); err == nil {
				h.Set(signature.HeaderSignalWireSHA256, sig)
			}
		}
	}
	x := &exchange.Exchange{
		Time:    s.cfg.Now().UTC(),
		Source:  exchange.SourceCall,
		Forward: replay.Origin(target),
		Request: replay.RequestRecord(method, target, signURL, h, body),
	}
	if host != "" {
		x.Request.Host = host
	}
	x.Event = replay.Classify(x.Request)
	x.Signature = verdict(s.cfg.Key, signature.Request{Method: method, URL: signURL, Header: h, Body: body})
	var a delivery.Answer
	x.Response, a = s.sender.do(ctx, method, target, host, h, body, t)
	x.ResponseCheck = replay.CheckResponse(x.Event, x.Response)
	if s.store != nil {
		if err := s.store.Save(ctx, x); err != nil {
			s.Emit(Event{Type: EvNote, Text: "could not store the exchange: " + err.Error()})
		}
	}
	return x, a
}

func verdict(key string, r signature.Request) exchange.Signature {
	if key == "" {
		return exchange.Signature{Status: exchange.SigMissing}
	}
	v := signature.Verify(key, r)
	return exchange.Signature{Status: exchange.SignatureStatus(v.Status), Scheme: string(v.Scheme), Header: v.Header, Hint: v.Note}
}

// signURL is the URL a request to target is signed for: target itself,
// or with --sign-url, the same path on the signed origin.
func (s *Session) signURL(target string) string {
	if s.cfg.SignURL == "" {
		return target
	}
	signBase, _, _ := delivery.ParseURL(s.cfg.SignURL)
	first, _, _ := delivery.ParseURL(s.cfg.URL)
	if target == first {
		return signBase
	}
	tu, err1 := url.Parse(target)
	fu, err2 := url.Parse(first)
	su, err3 := url.Parse(signBase)
	if err1 != nil || err2 != nil || err3 != nil || tu.Scheme != fu.Scheme || tu.Host != fu.Host {
		return target
	}
	tu.Scheme, tu.Host = su.Scheme, su.Host
	return tu.String()
}

func encodeForm(f [][2]string) string {
	var b strings.Builder
	for i, kv := range f {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(kv[0]))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(kv[1]))
	}
	return b.String()
}

func withQuery(target, q string) string {
	if q == "" {
		return target
	}
	if strings.Contains(target, "?") {
		return target + "&" + q
	}
	return target + "?" + q
}

// sender sends with each URL's timeouts; transports are kept per connect
// timeout so connections are reused across a call's requests.
type sender struct {
	base *http.Transport
	mu   sync.Mutex
	byOT map[time.Duration]*http.Transport
}

func newSender(c *http.Client) *sender {
	var base *http.Transport
	if c != nil {
		base, _ = c.Transport.(*http.Transport)
	}
	if base == nil {
		base, _ = http.DefaultTransport.(*http.Transport)
	}
	if base == nil {
		base = &http.Transport{}
	}
	return &sender{base: base, byOT: map[time.Duration]*http.Transport{}}
}

func (s *sender) transport(connect time.Duration) *http.Transport {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.byOT[connect]; ok {
		return t
	}
	t := s.base.Clone()
	d := &net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}
	t.DialContext = d.DialContext
	t.TLSHandshakeTimeout = connect
	t.DisableCompression = true
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{}
	}
	s.byOT[connect] = t
	return t
}

// Close drops idle connections.
func (s *sender) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.byOT {
		t.CloseIdleConnections()
	}
}

// Close releases the session's connections.
func (s *Session) Close() { s.sender.Close() }

// do sends one request: connect within t.Connect, the answer's head within
// t.Read of the request, and each further piece of it within t.Read of the
// last, as SignalWire reads.
func (s *sender) do(ctx context.Context, method, target, host string, h http.Header, body []byte, t delivery.Timeouts) (exchange.Response, delivery.Answer) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	connected := false
	var timedOut bool
	var tmu sync.Mutex
	var timer *time.Timer
	arm := func() {
		tmu.Lock()
		defer tmu.Unlock()
		if timer != nil {
			timer.Stop()
		}
		timer = time.AfterFunc(t.Read, func() {
			tmu.Lock()
			timedOut = true
			tmu.Unlock()
			cancel()
		})
	}
	defer func() {
		tmu.Lock()
		if timer != nil {
			timer.Stop()
		}
		tmu.Unlock()
	}()
	trace := &httptrace.ClientTrace{
		GotConn:      func(httptrace.GotConnInfo) { connected = true },
		WroteRequest: func(httptrace.WroteRequestInfo) { arm() },
	}
	ctx = httptrace.WithClientTrace(ctx, trace)
	var rdr io.Reader
	if len(body) > 0 {
		rdr = strings.NewReader(string(body))
	}
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, method, target, rdr)
	if err != nil {
		return exchange.Response{Error: err.Error()}, delivery.Answer{Err: err, ConnectFailed: true}
	}
	req.Header = h.Clone()
	if host != "" {
		req.Host = host
	}
	resp, err := s.transport(t.Connect).RoundTrip(req)
	elapsed := func() time.Duration { return time.Since(start) }
	if err != nil {
		tmu.Lock()
		to := timedOut
		tmu.Unlock()
		msg := err.Error()
		if to {
			msg = fmt.Sprintf("no answer within %s (read timeout)", t.Read)
		}
		return exchange.Response{Error: msg, DurationMS: ms(elapsed())},
			delivery.Answer{Err: errors.New(msg), ConnectFailed: !connected, Elapsed: elapsed()}
	}
	defer resp.Body.Close()
	arm()
	br := &armedReader{r: resp.Body, arm: arm}
	kept, rerr := io.ReadAll(io.LimitReader(br, replay.DefaultMaxBody))
	rest, _ := io.Copy(io.Discard, br)
	if rerr == nil && br.err != nil && !errors.Is(br.err, io.EOF) {
		rerr = br.err
	}
	rec := exchange.Response{
		Status: resp.StatusCode, Headers: resp.Header.Clone(), Body: kept,
		BodySize: int64(len(kept)) + rest, Truncated: rest > 0, DurationMS: ms(elapsed()), Forwarded: true,
	}
	a := delivery.Answer{Status: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), BodySize: rec.BodySize, Elapsed: elapsed()}
	if rerr != nil {
		tmu.Lock()
		to := timedOut
		tmu.Unlock()
		rec.Error = "reading the answer: " + rerr.Error()
		if to {
			rec.Error = fmt.Sprintf("the answer stalled for %s (read timeout)", t.Read)
		}
		a.Err = errors.New(rec.Error)
	}
	return rec, a
}

// armedReader re-arms the read timeout after every piece of the answer.
type armedReader struct {
	r   io.Reader
	arm func()
	err error
}

func (a *armedReader) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if n > 0 {
		a.arm()
	}
	if err != nil {
		a.err = err
	}
	return n, err
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
