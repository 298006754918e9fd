package forward

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Limits of the forwarding client. They are sized for webhooks: small
// bodies, one handler, a few dozen concurrent requests.
const (
	// h1MaxIdle bounds the idle connections kept per target, as
	// MaxIdleConnsPerHost did for the transport it replaces.
	h1MaxIdle = 64
	// h1IdleTimeout drops a connection idle for longer, as Transport's
	// IdleConnTimeout did: a handler that never closes idle sockets must
	// not keep 64 of them open forever after a burst (release closes
	// those at the bottom of the pool, which conn never reaches while
	// traffic is steady).
	h1IdleTimeout = 90 * time.Second
	// h1MaxSyncBody is the largest request body written before the answer
	// is read, on the caller's goroutine. Up to this size the whole request
	// fits in the socket buffers (a loopback receive window is 64 KiB by
	// default on Linux and Windows), so a handler that answers, even at
	// length, without reading the body cannot stall the write (and the
	// write cannot stall its answer). Larger or unreplayable (streamed)
	// bodies need a writer running beside the reader, which is exactly
	// what http.Transport does, so they go to the fallback; webhooks are a
	// few KiB.
	h1MaxSyncBody = 32 << 10
	// h1MaxHeaderBytes bounds an answer's head (1xx answers included), as
	// Transport's default MaxResponseHeaderBytes does: a broken handler
	// must not make swhook buffer without end.
	h1MaxHeaderBytes = 10 << 20
	// h1Max1xx bounds informational answers before the final one, as
	// Transport does.
	h1Max1xx = 5
)

// aLongTimeAgo is a deadline in the past: setting it aborts pending I/O.
var aLongTimeAgo = time.Unix(1, 0)

var errH1BodyClosed = errors.New("http: read on closed response body")

// H1Client is the http.RoundTripper swhook forwards through. It sends plain
// HTTP/1.1 over a pool of persistent connections, writing the request and
// reading the answer on the caller's goroutine.
//
// Why not http.Transport: every Transport connection runs a read and a
// write goroutine, and each request is handed to them and back through
// channels and selects. Under load (16 concurrent webhooks on 2 cores) that
// machinery cost about 13 µs per request, some 15% of swhook's CPU, on top
// of the socket calls that are unavoidable. Here a request costs its
// write, its read and nothing in between: no goroutine per connection, no
// handoff.
//
// It sends exactly the bytes Transport sent (both use the standard
// library's own request writer, and Transport added nothing swhook let it
// add), and it leaves to the fallback transport everything it does not do
// itself: https, streamed or large (> 32 KiB) bodies, trailers, upgrades
// and traced requests. The body is read on the caller's goroutine as it is
// written, so it should be in memory, as the pipeline's always is.
type H1Client struct {
	fallback http.RoundTripper
	dialer   net.Dialer

	// idleTimeout is h1IdleTimeout; tests shorten it.
	idleTimeout time.Duration

	mu   sync.Mutex
	idle map[string][]*h1Conn // per target host, most recently used last
}

// NewH1Client returns a client that hands what it does not handle to
// fallback (nil: an http.Transport configured as NewTransport's was).
func NewH1Client(fallback http.RoundTripper) *H1Client {
	if fallback == nil {
		fallback = newHTTPTransport()
	}
	return &H1Client{
		fallback:    fallback,
		dialer:      net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second},
		idleTimeout: h1IdleTimeout,
		idle:        make(map[string][]*h1Conn),
	}
}

// h1Conn is one persistent connection. It is owned by one request at a
// time (or by the idle stack), so its fields need no lock.
type h1Conn struct {
	key    string // the target host it is pooled under
	nc     net.Conn
	rc     syscall.RawConn // nil when the conn has no file descriptor
	br     *bufio.Reader   // reads through the conn itself (Read below)
	bw     *bufio.Writer
	abort  func() // aborts pending I/O; built once, used by context.AfterFunc
	idleAt time.Time

	readAny  bool  // an answer byte arrived during the current request
	reused   bool  // the current request is on a connection from the pool
	refused  bool  // the handler's side reset the current request unread (see unread)
	wrote    bool  // a byte of the current request reached the socket
	deadline bool  // the current request set a deadline (release clears it)
	wait     *Wait // the current request's Wait, when its context is one
	limit    int64 // bytes the answer's head may still take

	// peek's scratch, kept here so a liveness check allocates nothing.
	peekFn     func(fd uintptr) bool
	resetCheck func(fd uintptr)
	peekBuf    [1]byte
	peekN      int
	peekErr    error
}

// Read feeds the connection's bufio.Reader, noting that the handler has
// started to answer (after which a request is never sent again) and
// enforcing the head limit.
func (pc *h1Conn) Read(p []byte) (int, error) {
	if pc.limit <= 0 {
		return 0, fmt.Errorf("handler's answer head is larger than %d bytes", h1MaxHeaderBytes)
	}
	if int64(len(p)) > pc.limit {
		p = p[:pc.limit]
	}
	n, err := pc.nc.Read(p)
	if n > 0 {
		pc.readAny = true
		pc.limit -= int64(n)
	}
	return n, err
}

// Write sends through the connection, noting that part of the request
// left (after which only a replayable one is sent again).
func (pc *h1Conn) Write(p []byte) (int, error) {
	n, err := pc.nc.Write(p)
	if n > 0 {
		pc.wrote = true
	}
	return n, err
}

// RoundTrip sends req and returns the handler's answer. The answer's body
// must be read to EOF (the connection then returns to the pool) or closed.
func (c *H1Client) RoundTrip(req *http.Request) (*http.Response, error) {
	if !h1Handles(req) {
		return c.fallback.RoundTrip(req)
	}
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		closeRequestBody(req)
		return nil, err
	}
	pc, reused, err := c.conn(ctx, req)
	if err != nil {
		closeRequestBody(req)
		return nil, ctxError(ctx, err)
	}
	resp, err := c.exchange(ctx, pc, req, req)
	if err == nil || !c.mayResend(ctx, pc, reused, req, err) {
		return resp, err
	}
	w, gerr := rewound(req)
	if gerr != nil {
		return nil, err
	}
	if pc, err = c.dial(ctx, req.URL.Host); err != nil {
		closeRequestBody(w)
		return nil, ctxError(ctx, err)
	}
	return c.exchange(ctx, pc, req, w)
}

// mayResend reports whether req, which failed on pc with err before the
// handler said a word, may go again once on a fresh connection. The rule
// is http.Transport's (shouldRetryRequest): only a reused connection (a
// fresh one failing means the handler refuses the request, and resending
// could loop), and only when the handler cannot have acted on it: nothing
// of it was written, or it says it is safe to repeat (an idempotent method
// or an Idempotency-Key), or its socket refused the request unread (a
// reset: see unread). A POST the handler read and then dropped, say by
// panicking or being restarted mid-request, must not run its side effects
// twice: the caller gets the error (a 502), as Transport gave. The body
// must also be had again (rewound checks).
func (c *H1Client) mayResend(ctx context.Context, pc *h1Conn, reused bool, req *http.Request, err error) bool {
	if !reused || pc.readAny || ctx.Err() != nil || isTimeout(err) {
		return false
	}
	if !pc.wrote || pc.refused {
		return true
	}
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	_, ok := req.Header["Idempotency-Key"]
	if !ok {
		_, ok = req.Header["X-Idempotency-Key"]
	}
	return ok
}

// CloseIdleConnections closes every idle connection, this client's and the
// fallback's (http.Client.CloseIdleConnections calls it).
func (c *H1Client) CloseIdleConnections() {
	c.mu.Lock()
	idle := c.idle
	c.idle = make(map[string][]*h1Conn)
	c.mu.Unlock()
	for _, s := range idle {
		for _, pc := range s {
			pc.nc.Close()
		}
	}
	if ci, ok := c.fallback.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// exchange writes w (req, or its rewound copy) on pc and reads the answer
// head. On error pc is closed.
func (c *H1Client) exchange(ctx context.Context, pc *h1Conn, req, w *http.Request) (*http.Response, error) {
	var stop func() bool
	if w, ok := ctx.(*Wait); ok {
		// Its deadline goes on the connection, and that is all the
		// watching it needs (see Wait).
		w.attach(pc)
	} else {
		if deadline, ok := ctx.Deadline(); ok {
			pc.nc.SetDeadline(deadline) // release clears it
			pc.deadline = true
		}
		if ctx.Done() != nil {
			stop = context.AfterFunc(ctx, pc.abort)
		}
	}
	pc.readAny, pc.wrote, pc.refused = false, false, false
	fail := func(what string, err error) (*http.Response, error) {
		pc.refused = pc.reused && !pc.readAny && pc.unread(err)
		pc.nc.Close()
		pc.unwatch(stop)
		return nil, ctxError(ctx, fmt.Errorf("%s: %w", what, err))
	}

	err := w.Write(pc.bw)
	if err == nil {
		err = pc.bw.Flush()
	}
	if err != nil {
		pc.bw.Reset(pc)
		return fail("sending the request", err)
	}

	pc.limit = h1MaxHeaderBytes
	var resp *http.Response
	for n := 0; ; n++ {
		resp, err = http.ReadResponse(pc.br, req)
		if err != nil {
			return fail("reading the answer", err)
		}
		// 1xx answers (100 Continue, 103 Early Hints) precede the real
		// one; 101 is final (and never asked for here).
		if resp.StatusCode < 100 || resp.StatusCode > 199 || resp.StatusCode == http.StatusSwitchingProtocols {
			break
		}
		if n == h1Max1xx {
			return fail("reading the answer", errors.New("too many 1xx informational answers"))
		}
	}
	pc.limit = 1<<63 - 1

	reuse := !resp.Close && !w.Close && resp.StatusCode != http.StatusSwitchingProtocols
	if resp.Body == http.NoBody {
		c.release(pc, reuse, stop)
		return resp, nil
	}
	resp.Body = &h1Body{c: c, pc: pc, body: resp.Body, ctx: ctx, stop: stop, reuse: reuse}
	return resp, nil
}

// release returns pc to the pool when the answer allows it and nothing is
// left on the wire; otherwise it closes pc.
func (c *H1Client) release(pc *h1Conn, reuse bool, stop func() bool) {
	// The abort already ran (or is running): the connection's deadline is
	// then not ours to trust.
	if !pc.unwatch(stop) {
		reuse = false
	}
	if !reuse || pc.br.Buffered() > 0 {
		pc.nc.Close()
		return
	}
	// The request's deadline must not outlive it: once passed, the peek
	// (which honours it) would find the idle connection failing and drop
	// it, so nothing idle longer than the forwarding timeout was reused.
	if pc.deadline {
		pc.nc.SetDeadline(time.Time{})
		pc.deadline = false
	}
	now := time.Now()
	pc.idleAt = now
	c.mu.Lock()
	s := c.idle[pc.key]
	// The pool is a stack: conn takes from the top, so after a burst the
	// connections below the few that steady traffic uses would stay open
	// for good. Those idle too long go here, oldest (lowest) first.
	var expired []*h1Conn
	n := 0
	for n < len(s) && now.Sub(s[n].idleAt) > c.idleTimeout {
		n++
	}
	if n > 0 {
		expired = append(expired, s[:n]...)
		m := copy(s, s[n:])
		clear(s[m:])
		s = s[:m]
	}
	full := len(s) >= h1MaxIdle
	if !full {
		s = append(s, pc)
	}
	c.idle[pc.key] = s
	c.mu.Unlock()
	for _, old := range expired {
		old.nc.Close()
	}
	if full {
		pc.nc.Close()
	}
}

// conn takes the most recently used idle connection that is still open,
// or dials a new one.
func (c *H1Client) conn(ctx context.Context, req *http.Request) (*h1Conn, bool, error) {
	key := req.URL.Host
	for {
		c.mu.Lock()
		s := c.idle[key]
		if len(s) == 0 {
			c.mu.Unlock()
			break
		}
		pc := s[len(s)-1]
		s[len(s)-1] = nil
		c.idle[key] = s[:len(s)-1]
		c.mu.Unlock()
		// Every reuse is checked first, however briefly the connection
		// was idle: a handler may close idle sockets at any age (Node
		// after 5 s, some after 200 ms), and a webhook written to a closed
		// one is lost. One non-blocking system call per webhook is the
		// price.
		if time.Since(pc.idleAt) > c.idleTimeout || !pc.alive() {
			pc.nc.Close()
			continue
		}
		pc.reused = true
		return pc, true, nil
	}
	pc, err := c.dial(ctx, key)
	return pc, false, err
}

func (c *H1Client) dial(ctx context.Context, host string) (*h1Conn, error) {
	u := url.URL{Host: host}
	addr := net.JoinHostPort(u.Hostname(), cmp.Or(u.Port(), "80"))
	nc, err := c.dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	pc := &h1Conn{key: host, nc: nc, limit: 1<<63 - 1}
	pc.br = bufio.NewReaderSize(pc, 4<<10)
	pc.bw = bufio.NewWriterSize(pc, 8<<10) // a whole webhook: one write
	pc.abort = func() { nc.SetDeadline(aLongTimeAgo) }
	if sc, ok := nc.(syscall.Conn); ok {
		pc.rc, _ = sc.SyscallConn()
	}
	pc.peekFn = pc.peek
	pc.resetCheck = func(fd uintptr) { pc.resetFn(fd) }
	return pc, nil
}

// unwatch ends the watch on the current request's context (stop, from
// context.AfterFunc, or its Wait). It reports false when the context ended
// while watched: the abort ran, or may be running.
func (pc *h1Conn) unwatch(stop func() bool) bool {
	ok := true
	if stop != nil {
		ok = stop()
	}
	if pc.wait != nil {
		ok = pc.wait.detach(pc) && ok
	}
	return ok
}

// alive reports whether an idle connection can carry a request: the
// handler has not closed it (Node closes idle keep-alive sockets after
// 5 s) nor sent anything unasked (a 408). One non-blocking peek at the
// socket tells, far cheaper than finding out by a failed request.
func (pc *h1Conn) alive() bool {
	if pc.rc == nil {
		return true // cannot tell; a request on a closed one fails (see mayResend)
	}
	if err := pc.rc.Read(pc.peekFn); err != nil {
		return false
	}
	return peekAlive(pc.peekN, pc.peekErr)
}

// h1Body is an answer's body. Read to EOF, it gives the connection back to
// the pool; closed before, it closes the connection (what is left of the
// body may be large or never end, and reading it would hold the caller).
type h1Body struct {
	c     *H1Client
	pc    *h1Conn
	body  io.ReadCloser // ReadResponse's body: framing, chunking, trailers
	ctx   context.Context
	stop  func() bool
	reuse bool
	state atomic.Int32 // h1Reading, h1Done, h1Closed
}

const (
	h1Reading int32 = iota
	h1Done          // read to EOF, connection released
	h1Closed        // closed or failed, connection closed
)

func (b *h1Body) Read(p []byte) (int, error) {
	switch b.state.Load() {
	case h1Done:
		return 0, io.EOF
	case h1Closed:
		return 0, errH1BodyClosed
	}
	n, err := b.body.Read(p)
	switch {
	case err == io.EOF:
		if b.state.CompareAndSwap(h1Reading, h1Done) {
			b.c.release(b.pc, b.reuse, b.stop)
		}
	case err != nil:
		if b.state.CompareAndSwap(h1Reading, h1Closed) {
			b.pc.nc.Close()
			b.pc.unwatch(b.stop)
		}
		err = ctxError(b.ctx, err)
	}
	return n, err
}

func (b *h1Body) Close() error {
	if b.state.CompareAndSwap(h1Reading, h1Closed) {
		b.pc.nc.Close()
		b.pc.unwatch(b.stop)
	}
	return nil
}

// h1Handles reports whether req is one H1Client sends itself: plain http,
// a body that is absent or small and of known length, nothing that needs
// Transport's extra machinery, and headers Transport would accept (it
// refuses the others with an error, and the fallback gives that error).
func h1Handles(req *http.Request) bool {
	if req.URL == nil || req.URL.Scheme != "http" || req.URL.Host == "" || req.Header == nil {
		return false
	}
	if req.Method == http.MethodConnect || len(req.TransferEncoding) > 0 || len(req.Trailer) > 0 || req.Cancel != nil {
		return false
	}
	if req.ContentLength < 0 || req.ContentLength > h1MaxSyncBody {
		return false
	}
	if req.Body != nil && req.Body != http.NoBody && req.ContentLength == 0 {
		return false // a body of unknown length: net/http probes it
	}
	if _, ok := req.Header["Upgrade"]; ok {
		return false
	}
	if !asciiHost(req.URL.Host) || !validToken(req.Method, true) || !validHeader(req.Header) {
		return false
	}
	return httptrace.ContextClientTrace(req.Context()) == nil
}

func asciiHost(h string) bool {
	for i := 0; i < len(h); i++ {
		if h[i] >= 0x80 {
			return false // needs IDNA; Transport does it
		}
	}
	return true
}

// validToken reports an RFC 9110 token (a method, a field name).
func validToken(s string, emptyOK bool) bool {
	if s == "" {
		return emptyOK
	}
	for i := 0; i < len(s); i++ {
		if !isTokenByte(s[i]) {
			return false
		}
	}
	return true
}

func isTokenByte(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	switch b {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// validHeader applies Transport's checks: token names, values without
// control bytes other than tab.
func validHeader(h http.Header) bool {
	for k, vv := range h {
		if !validToken(k, false) {
			return false
		}
		for _, v := range vv {
			for i := 0; i < len(v); i++ {
				if b := v[i]; (b < ' ' && b != '\t') || b == 0x7f {
					return false
				}
			}
		}
	}
	return true
}

// rewound returns req ready to be sent again: itself when it has no body,
// else a shallow copy with a fresh body; an error when the body cannot be
// had again.
func rewound(req *http.Request) (*http.Request, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return req, nil
	}
	if req.GetBody == nil {
		return nil, errors.New("body not replayable")
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	w := *req
	w.Body = body
	return &w, nil
}

func closeRequestBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// ctxError makes an I/O error that the request's context caused say so:
// errors.Is(err, context.DeadlineExceeded) holds after a timeout (the
// connection's deadline is the context's, and may fire a moment before the
// context's own timer), so the pipeline answers 504, not 502.
func ctxError(ctx context.Context, err error) error {
	cerr := ctx.Err()
	if cerr == nil && isTimeout(err) {
		if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
			cerr = context.DeadlineExceeded
		}
	}
	if cerr == nil || errors.Is(err, cerr) {
		return err
	}
	return &ctxErr{ctx: cerr, err: err}
}

type ctxErr struct{ ctx, err error }

func (e *ctxErr) Error() string   { return e.ctx.Error() + ": " + e.err.Error() }
func (e *ctxErr) Unwrap() []error { return []error{e.ctx, e.err} }

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// unreadSettle bounds how long unread waits for the reset that follows a
// request written to a socket the handler had already closed.
const unreadSettle = 5 * time.Millisecond

// unread reports whether err, the failure of a request on a reused
// connection before any answer byte, proves the handler never read the
// request: the race a liveness check cannot close, where the handler
// closes an idle socket just as a webhook is written to it. The handler's
// kernel answers bytes that reach a closed socket, or that a closing
// socket left unread, with a reset, never with a clean end: so a reset
// (ECONNRESET, or EPIPE once its end had arrived) means unread. A clean
// end (EOF) can be either that close, the reset still on its way, or a
// handler that read the request and hung up; a few milliseconds tell them
// apart: the reset arrives, or it never does.
func (pc *h1Conn) unread(err error) bool {
	if isReset(err) {
		return true
	}
	if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) || pc.rc == nil {
		return false
	}
	for waited := time.Duration(0); waited < unreadSettle; waited += 250 * time.Microsecond {
		if err := pc.rc.Control(pc.resetCheck); err != nil {
			return false
		}
		if isReset(pc.peekErr) {
			return true
		}
		time.Sleep(250 * time.Microsecond)
	}
	return false
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
