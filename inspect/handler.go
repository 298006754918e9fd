package inspect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/swhook/swhook/inspect/classify"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/forward"
	"github.com/swhook/swhook/inspect/listeners"
	"github.com/swhook/swhook/inspect/respcheck"
	"github.com/swhook/swhook/inspect/signature"
)

type handler struct {
	p          *Pipeline
	src        exchange.Source
	publicBase func() string
}

// countingReader counts the bytes read through it, so a streamed body's full
// size is known even when only its head is kept.
// The transport may still be sending the body when the answer arrives, so
// the count is atomic.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n.Add(int64(n))
	return n, err
}

// answer is what goes back to the sender once the exchange is stored.
type answer struct {
	status int
	header http.Header
	// hop marks header as the handler's own, sent on without its
	// hop-by-hop fields (filtered as it is copied out: no copy of its own
	// per webhook); setLength adds a Content-Length of len(head).
	hop, setLength bool
	head           []byte    // the first bytes of the body (all of it unless streaming)
	rest           io.Reader // the remainder to stream after head; nil when none
	closer         io.Closer // the handler's response body, closed after relaying
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cfg := &h.p.cfg
	start := cfg.Now()
	recv := time.Now() // monotonic, for the duration of swhook's own answers
	x := &exchange.Exchange{Time: start.UTC(), Source: h.src, Listener: cfg.Listener}
	if cfg.Forward != nil {
		x.Forward = h.p.forward
	}
	// A webhook swhook itself sent here (trigger, replay, call) is one
	// row: this one, marked with its sender.
	sentBySwhook := false
	if cfg.SenderToken != "" {
		if v := r.Header[listeners.HeaderSentBy]; len(v) == 1 {
			if src, of, ok := listeners.ParseSentBy(v[0], cfg.SenderToken); ok {
				x.Source, x.ReplayOf, sentBySwhook = src, of, true
			}
		}
	}

	verifyURL := VerificationURL(h.publicBase(), r)
	x.Request = exchange.Request{
		Method: r.Method,
		URL:    verifyURL,
		// As received, byte for byte: show, curl, HAR and replay must
		// reproduce what came in (termsafe cleans it for display).
		Path:  rawPath(r),
		Query: r.URL.RawQuery,
		Host:  r.Host,
		// Not cloned: nothing changes a request's headers once it is
		// being served (forwardHeaders copies before it edits).
		Headers:    r.Header,
		RemoteAddr: r.RemoteAddr,
	}

	// Keep the head of the body (all of it, for any real webhook); when it
	// is larger than MaxBody the rest is streamed to the handler unseen.
	head, full, readErr := readHead(r.Body, cfg.MaxBody, r.ContentLength)
	x.Request.Body = head
	x.Request.BodySize = int64(len(head))
	rest := &countingReader{r: r.Body}
	if !full {
		x.Request.Body = head[:cfg.MaxBody]
		x.Request.Truncated = true
		if r.ContentLength > 0 {
			x.Request.BodySize = r.ContentLength
		}
	}

	// A bug in a verdict must cost that verdict, never the webhook.
	x.Event = exchange.Event{Kind: exchange.KindUnknown}
	h.guard("classify", func() {
		x.Event = cfg.Classify(classify.Request{
			Method:      r.Method,
			Path:        r.URL.Path,
			Query:       r.URL.RawQuery,
			ContentType: r.Header.Get("Content-Type"),
			Body:        x.Request.Body,
		})
	})
	h.guard("signature check", func() { h.verify(x, r, verifyURL, full) })
	if x.Signature.Status == "" {
		x.Signature = exchange.Signature{Status: exchange.SigUnchecked, Hint: "swhook could not check this signature (internal error)"}
	}

	var ans answer
	switch {
	case readErr != nil:
		// The sender broke off or stalled: an incomplete body must never
		// reach the handler as if it were whole. Keep what arrived.
		msg := "request body: " + readErr.Error()
		ans = h.selfAnswer(x, http.StatusBadRequest, textAnswer(msg), msg)
	case cfg.EnforceSignature && x.Signature.Status != exchange.SigValid:
		drainRest(rest, x, head, full)
		msg := fmt.Sprintf("signature %s: rejected by --enforce-signature", x.Signature.Status)
		ans = h.selfAnswer(x, http.StatusForbidden, textAnswer(msg), "")
		x.ResponseCheck = exchange.Check{Status: exchange.CheckNA, Message: "not forwarded: " + msg}
	case cfg.Forward == nil:
		drainRest(rest, x, head, full)
		a := DefaultAnswer(x.Event)
		if cfg.Respond != nil {
			a = *cfg.Respond
		}
		ans = h.selfAnswer(x, http.StatusOK, a, "")
	case h.p.looped(r):
		// It already went through this pipeline: forwarding it again would
		// repeat without end. Answered, recorded once, said loudly.
		drainRest(rest, x, head, full)
		msg := fmt.Sprintf("forwarding loop: this request already passed through this swhook (Via: %s); --forward %s leads back here", h.p.via, h.p.forward)
		ans = h.selfAnswer(x, http.StatusLoopDetected, textAnswer(msg), msg)
		x.ResponseCheck = exchange.Check{Status: exchange.CheckNA, Message: "not forwarded: " + msg}
		cfg.Log.Error("FORWARDING LOOP: answered 508 instead of forwarding again", "method", r.Method, "path", x.Request.Path, "forward", h.p.forward)
	default:
		ans = h.forward(x, r, verifyURL, head, full, rest)
	}
	if !x.Response.Forwarded && x.Response.DurationMS == 0 {
		// swhook answered itself: its time to answer is what the sender
		// waited (reading the body, the verdicts), not zero.
		x.Response.DurationMS = ms(time.Since(recv))
	}
	if ans.closer != nil {
		defer ans.closer.Close()
	}

	if x.ResponseCheck.Status == "" {
		x.ResponseCheck = exchange.Check{Status: exchange.CheckNA, Message: "swhook could not check this answer (internal error)"}
		h.guard("response check", func() {
			x.ResponseCheck = cfg.Check(x.Event, respcheck.Response{
				Status:      x.Response.Status,
				ContentType: x.Response.Headers.Get("Content-Type"),
				Body:        x.Response.Body,
				Err:         x.Response.Error,
				Truncated:   x.Response.Truncated,
				Duration:    x.Response.Duration(),
				BodySize:    answerSize(x.Response),
			})
		})
	}

	if ans.rest != nil {
		// Larger than MaxBody: relayed as it comes, saved at its end (so
		// the row's ID cannot go in its head to swhook's own sender,
		// which then keeps its own record of it).
		h.relay(w, x, ans)
		return
	}
	if !sentBySwhook && len(ans.head) > 0 && r.Method != http.MethodHead && bodyAllowed(ans.status) {
		h.deliver(w, r, x, ans)
		return
	}
	h.noteHangUp(r, x)
	h.saveAndPublish(x)
	if sentBySwhook && x.ID != 0 {
		// Only to swhook's own sender: it then links to this row instead
		// of storing a copy. SignalWire never sees this header.
		w.Header().Set(listeners.HeaderID, strconv.FormatInt(x.ID, 10))
	}

	writeAnswer(w, ans)
}

func bodyAllowed(status int) bool {
	return status >= 200 && status != http.StatusNoContent && status != http.StatusNotModified
}

// oneWrite is the largest answer deliver saves first and then sends in a
// single write: a fresh TCP socket's send buffer (16 KiB on Linux) takes it
// whole without blocking, so it cannot be cut part-way, and holding a byte
// back would only cost a second write (a wake-up of the sender per
// webhook). Every cXML or SWML answer a handler really gives is this small.
const oneWrite = 8 << 10

// deliver sends an answer held whole so that the sender never has all of
// it before the exchange is durable, and an answer the sender could not
// take is saved with that error. A small answer is saved, then written in
// one go; if the sender had already closed its end of the connection, the
// record says so. A larger one is written with its last byte held back
// until the exchange is saved (as relay does), so a write that fails
// part-way is in the record. The sent bytes are exactly the
// prepared ones; a Content-Length is set when the handler gave none, so an
// early flush cannot turn the framing into chunks.
func (h *handler) deliver(w http.ResponseWriter, r *http.Request, x *exchange.Exchange, a answer) {
	dst := w.Header()
	a.putHeader(dst)
	if _, ok := dst["Content-Length"]; !ok {
		dst["Content-Length"] = []string{strconv.Itoa(len(a.head))}
	}
	w.WriteHeader(a.status)
	if len(a.head) <= oneWrite {
		h.noteHangUp(r, x)
		h.saveAndPublish(x)
		_, err := w.Write(a.head)
		if err == nil {
			err = flush(w)
		}
		if err != nil {
			// The sender went in the microseconds since the check: too
			// late for the saved record, so at least the log says so.
			h.p.cfg.Log.Warn("answer relay cut after the exchange was saved", "method", x.Request.Method, "path", x.Request.Path, "error", err)
			panic(http.ErrAbortHandler)
		}
		return
	}
	n := len(a.head) - 1
	_, err := w.Write(a.head[:n])
	if err == nil {
		err = flush(w)
	}
	if err != nil {
		x.Response.Error = fmt.Sprintf("answer relay cut: sending it on: %v", err)
		h.p.cfg.Log.Warn("answer relay cut", "method", x.Request.Method, "path", x.Request.Path, "error", err)
	}
	h.saveAndPublish(x)
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	w.Write(a.head[n:])
}

// noteHangUp records in x, before it is saved, that the sender's end of
// the connection closed while the handler worked (SignalWire gave up
// waiting, say), unless x already says what went wrong. The answer still
// goes, in case only the sender's writing half closed, but a write to a
// closed socket succeeds all the same: this is what is known.
func (h *handler) noteHangUp(r *http.Request, x *exchange.Exchange) {
	if r.Context().Err() == nil || x.Response.Error != "" {
		return
	}
	const why = "the sender closed its end of the connection before the answer was ready"
	x.Response.Error = "answer relay cut: " + why
	h.p.cfg.Log.Warn("answer relay cut", "method", x.Request.Method, "path", x.Request.Path, "error", why)
}

// flush sends what w holds, reporting whether the sender took it.
func flush(w http.ResponseWriter) error {
	if f, ok := w.(interface{ FlushError() error }); ok {
		return f.FlushError() // net/http's own writer: no allocation
	}
	return http.NewResponseController(w).Flush()
}

// saveAndPublish makes x durable (bounded) and tells the watchers.
func (h *handler) saveAndPublish(x *exchange.Exchange) {
	if h.save(x) && h.p.cfg.Feed != nil {
		h.p.cfg.Feed.Publish(x)
	}
}

// guard runs a verdict, turning a panic into a logged error so the webhook
// is still forwarded, answered and stored.
func (h *handler) guard(what string, f func()) {
	defer func() {
		if v := recover(); v != nil {
			h.p.cfg.Log.Error("INTERNAL ERROR in "+what+": please report it", "panic", fmt.Sprint(v))
		}
	}()
	f()
}

// readHead reads up to max bytes of body. full reports that the body ended
// within them; otherwise head holds max+1 bytes and the rest is unread.
// A declared length is read into one buffer of exactly that size (plus
// the byte that tells the body ended): bytes.Buffer.ReadFrom wanted 512
// bytes free before every read, so a webhook-sized body cost it a second,
// larger allocation. head is never nil.
func readHead(body io.Reader, max, contentLength int64) (head []byte, full bool, err error) {
	limit := max + 1
	var size int64
	switch {
	case contentLength > 0 && contentLength <= max:
		size = contentLength + 1
	case contentLength < 0 || contentLength > max:
		size = min(64<<10, limit)
	}
	buf := make([]byte, 0, size)
	for int64(len(buf)) < limit {
		if len(buf) == cap(buf) {
			more := int64(cap(buf)) // doubling, from 512
			if more < 512 {
				more = 512
			}
			buf = slices.Grow(buf, int(min(more, limit-int64(len(buf)))))
		}
		end := cap(buf)
		if int64(end) > limit {
			end = int(limit)
		}
		n, rerr := body.Read(buf[len(buf):end])
		buf = buf[:len(buf)+n]
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			err = rerr
			break
		}
	}
	return buf, int64(len(buf)) <= max, err
}

// drainRest reads what the handler will not get (there is none, or it was
// refused), so the sender can read the answer and the full size is known.
func drainRest(rest *countingReader, x *exchange.Exchange, head []byte, full bool) {
	if full {
		return
	}
	io.Copy(io.Discard, rest)
	x.Request.BodySize = int64(len(head)) + rest.n.Load()
}

// verify fills x.Signature. A body larger than MaxBody cannot be verified
// (the pipeline never holds it whole), and that is said plainly.
func (h *handler) verify(x *exchange.Exchange, r *http.Request, verifyURL string, full bool) {
	cfg := &h.p.cfg
	if !full {
		// Unchecked only when there was a signature to check: a large body
		// that carried none is plainly unsigned.
		name := signatureHeader(r.Header)
		if name == "" {
			x.Signature = exchange.Signature{Status: exchange.SigMissing}
			return
		}
		x.Signature = exchange.Signature{
			Status: exchange.SigUnchecked,
			Hint:   fmt.Sprintf("body larger than --max-body (%d bytes): signature not checked; raise --max-body to check it", cfg.MaxBody),
		}
		if cfg.SigningKey != "" {
			x.Signature.Header = name
		}
		return
	}
	if cfg.SigningKey == "" {
		// Nothing to check with: the badge reads "unchecked", and which header
		// would have been checked is still worth showing.
		x.Signature = exchange.Signature{Status: exchange.SigUnchecked, Header: signatureHeader(r.Header)}
		return
	}
	sr := signature.Request{Method: r.Method, URL: verifyURL, Header: r.Header, Body: x.Request.Body}
	v := cfg.Verify(cfg.SigningKey, sr)
	x.Signature = exchange.Signature{
		Status: exchange.SignatureStatus(v.Status),
		Scheme: string(v.Scheme),
		Header: v.Header,
		Hint:   v.Note,
	}
	if v.Status == signature.StatusInvalid {
		local := ""
		if cfg.Forward != nil {
			local = displayURL(targetURL(cfg.Forward, r))
		}
		opts := signature.DiagnoseOptions{LocalURL: local}
		if h.publicBase() == "" {
			opts.PublicURLFlag = "--public-url"
		}
		d := cfg.Diagnose(cfg.SigningKey, sr, opts)
		x.Signature.Hint = d.Sentence
	}
}

func hasSignatureHeader(h http.Header) bool { return signatureHeader(h) != "" }

func signatureHeader(h http.Header) string {
	for i, name := range signatureHeaders {
		if v := h[canonicalSignatureHeaders[i]]; len(v) > 0 && v[0] != "" {
			return name
		}
	}
	return ""
}

// signatureHeaders in the order they are looked for, and their canonical
// spellings (map keys), worked out once: h.Get would canonicalise the
// names again for every webhook.
var (
	signatureHeaders          = [...]string{signature.HeaderSignalWire, signature.HeaderTwilio, signature.HeaderSignalWireSHA256}
	canonicalSignatureHeaders = [...]string{
		http.CanonicalHeaderKey(signature.HeaderSignalWire),
		http.CanonicalHeaderKey(signature.HeaderTwilio),
		http.CanonicalHeaderKey(signature.HeaderSignalWireSHA256),
	}
)

func textAnswer(line string) Answer {
	return Answer{ContentType: "text/plain; charset=utf-8", Body: []byte("swhook: " + line + "\n")}
}

// selfAnswer records and prepares an answer swhook gives itself.
func (h *handler) selfAnswer(x *exchange.Exchange, status int, a Answer, errMsg string) answer {
	hdr := http.Header{}
	if a.ContentType != "" {
		hdr.Set("Content-Type", a.ContentType)
	}
	hdr.Set("Content-Length", strconv.Itoa(len(a.Body)))
	x.Response = exchange.Response{
		Status:   status,
		Headers:  hdr.Clone(),
		Body:     a.Body,
		BodySize: int64(len(a.Body)),
		Error:    errMsg,
	}
	return answer{status: status, header: hdr, head: a.Body}
}

// forward passes the request to the handler and reads its answer.
func (h *handler) forward(x *exchange.Exchange, r *http.Request, verifyURL string, head []byte, full bool, rest *countingReader) answer {
	cfg := &h.p.cfg
	// The sender hanging up must not cancel the handler's copy: the
	// webhook was delivered to us and the handler gets it whole.
	// --timeout bounds the wait for the handler's answer (its head, and
	// its body up to MaxBody), not the sender's reading of a long answer
	// relayed after: the wait is stopped once the head is in (forward.Wait
	// does all this for less than a cancel context and a timer).
	w := forward.NewWait(r.Context(), cfg.Timeout)

	method := r.Method
	if method == "" {
		method = http.MethodGet // as http.NewRequestWithContext reads it
	}
	if !validMethod(method) {
		w.Cancel()
		msg := fmt.Sprintf("build forward request: net/http: invalid method %q", method)
		return h.selfAnswer(x, http.StatusBadGateway, textAnswer(msg), msg)
	}
	// Built as http.NewRequestWithContext builds it, without parsing the
	// --forward URL again for every webhook: the URL is targetURL's.
	out := (&http.Request{
		Method:     method,
		URL:        targetURL(cfg.Forward, r), // the request-target byte for byte (Opaque)
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     forwardHeaders(r, verifyURL),
		Host:       r.Host,
	}).WithContext(w)
	out.Header["Via"] = h.p.withVia(r.Header["Via"])
	if h.p.prefixHeader != nil {
		out.Header["X-Forwarded-Prefix"] = h.p.prefixHeader
	}
	switch {
	case !full:
		out.Body = io.NopCloser(io.MultiReader(bytes.NewReader(head), rest))
		out.ContentLength = r.ContentLength // -1 when the sender streamed it chunked
	case len(head) == 0:
		out.Body = http.NoBody
	default:
		out.Body = io.NopCloser(bytes.NewReader(head))
		out.ContentLength = int64(len(head))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(head)), nil }
	}

	t0 := time.Now()
	resp, err := cfg.Transport.RoundTrip(out)
	if !full && r.ContentLength < 0 {
		// Chunked: the size is what was read by the time the answer is in.
		defer func() { x.Request.BodySize = int64(len(head)) + rest.n.Load() }()
	}
	if err != nil {
		status, msg := forwardError(w, cfg.Forward.String(), cfg.Timeout, err)
		w.Cancel()
		a := h.selfAnswer(x, status, textAnswer(msg), msg)
		x.Response.DurationMS = ms(time.Since(t0))
		cfg.Log.Warn("handler error", "method", r.Method, "path", x.Request.Path, "error", msg)
		return a
	}

	// Read the handler's answer: the head is kept, the rest streamed after
	// the exchange is stored.
	respHead, respFull, readErr := readHead(resp.Body, cfg.MaxBody, resp.ContentLength)
	dur := time.Since(t0)
	if !w.Stop() && readErr == nil && !respFull {
		// The timeout came as the head was read: the rest is cut off.
		readErr = context.DeadlineExceeded
	}
	if readErr != nil {
		resp.Body.Close()
		status, msg := forwardError(w, cfg.Forward.String(), cfg.Timeout, readErr)
		msg = "reading the handler's answer: " + msg
		w.Cancel()
		a := h.selfAnswer(x, status, textAnswer(msg), msg)
		x.Response.DurationMS = ms(dur)
		cfg.Log.Warn("handler error", "method", r.Method, "path", x.Request.Path, "error", msg)
		return a
	}
	x.Response = exchange.Response{
		Status:     resp.StatusCode,
		Headers:    resp.Header, // ours: the transport never touches it again
		Body:       respHead,
		BodySize:   int64(len(respHead)),
		DurationMS: ms(dur),
		Forwarded:  true,
	}
	a := answer{status: resp.StatusCode, header: resp.Header, hop: true, head: respHead}
	if respFull {
		resp.Body.Close()
		w.Cancel()
		a.setLength = resp.ContentLength < 0
		return a
	}
	x.Response.Body = respHead[:cfg.MaxBody]
	x.Response.Truncated = true
	// The full size when the handler declared it; -1 when it streamed
	// more than MaxBody without a length (the rest is relayed unseen).
	x.Response.BodySize = resp.ContentLength
	a.rest = resp.Body
	a.closer = closerFunc(func() error { err := resp.Body.Close(); w.Cancel(); return err })
	return a
}

// validMethod is the check of a method (an RFC 9110 token) that
// http.NewRequestWithContext made.
func validMethod(m string) bool {
	if m == "" {
		return false
	}
	for i := 0; i < len(m); i++ {
		switch b := m[i]; {
		case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0:
		default:
			return false
		}
	}
	return true
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// save makes x durable, waiting at most SaveWait: past it the answer goes
// back anyway (SignalWire must not wait on a stuck disk) and the exchange
// is reported when the store finally takes it (the store keeps a save
// whose caller stopped waiting; Watch publishes it). It reports whether x
// may be published now.
func (h *handler) save(x *exchange.Exchange) bool {
	cfg := &h.p.cfg
	ctx, cancel := context.WithTimeout(context.Background(), cfg.SaveWait)
	defer cancel()
	err := cfg.Store.Save(ctx, x)
	switch {
	case err == nil:
		return true
	case errors.Is(err, context.DeadlineExceeded):
		cfg.Log.Error("STORE IS STUCK: answered without waiting for the exchange to be saved",
			"method", x.Request.Method, "path", x.Request.Path, "waited", cfg.SaveWait.String())
		return false
	default:
		cfg.Log.Error("STORE FAILED: this exchange is NOT saved", "method", x.Request.Method, "path", x.Request.Path, "error", err)
		return true // publish it anyway, so it is at least seen
	}
}

// putHeader puts the answer's header fields in dst, a handler's without
// its hop-by-hop ones (as withoutHopHeaders leaves them).
func (a *answer) putHeader(dst http.Header) {
	if !a.hop {
		for k, v := range a.header {
			dst[k] = v
		}
	} else {
		named := connectionNamed(a.header)
		for k, v := range a.header {
			if isHopHeader(k) || slices.Contains(named, k) {
				continue
			}
			dst[k] = v[:len(v):len(v)]
		}
	}
	if a.setLength {
		dst["Content-Length"] = []string{strconv.Itoa(len(a.head))}
	}
}

// writeAnswer sends an answer held whole exactly as prepared.
func writeAnswer(w http.ResponseWriter, a answer) {
	a.putHeader(w.Header())
	w.WriteHeader(a.status)
	w.Write(a.head)
}

// relayStall is how long the sender may stop reading a relayed answer
// before the relay is cut: the sender reads at its own pace (--timeout
// bounds only the wait for the handler), but never holds a connection
// without end.
const relayStall = 30 * time.Second

// relay sends an answer larger than MaxBody as the handler produces it, at
// the pace the sender reads it, and then makes the exchange durable: with
// the error that cut the relay, if one did. The answer's last byte is held
// back until the exchange is saved, so a sender that received it whole can
// count on it being kept, as for every other answer.
func (h *handler) relay(w http.ResponseWriter, x *exchange.Exchange, a answer) {
	a.putHeader(w.Header())
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Now().Add(relayStall))
	w.WriteHeader(a.status)
	var (
		sent int64
		last byte
		held bool
	)
	// emit writes p, keeping its last byte back (writing the one kept
	// before first); every write gets relayStall.
	emit := func(p []byte) error {
		if len(p) == 0 {
			return nil
		}
		rc.SetWriteDeadline(time.Now().Add(relayStall))
		if held {
			n, err := w.Write([]byte{last})
			sent += int64(n)
			if err != nil {
				return err
			}
		}
		n, err := w.Write(p[:len(p)-1])
		sent += int64(n)
		last, held = p[len(p)-1], true
		return err
	}
	var err error
	if werr := emit(a.head); werr != nil {
		err = fmt.Errorf("sending it on after %d bytes: %w", sent, werr)
	}
	buf := make([]byte, 32<<10)
	for err == nil {
		n, rerr := a.rest.Read(buf)
		if werr := emit(buf[:n]); werr != nil {
			err = fmt.Errorf("sending it on after %d bytes: %w", sent, werr)
			break
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			err = fmt.Errorf("reading the handler's answer after %d bytes: %w", sent, rerr)
		}
	}
	if err != nil {
		x.Response.Error = "answer relay cut: " + err.Error()
		h.p.cfg.Log.Warn("answer relay cut", "method", x.Request.Method, "path", x.Request.Path, "error", err)
	}
	h.saveAndPublish(x)
	if err != nil {
		// The answer is half sent; all that is left is to cut the
		// connection so the sender does not take it for whole.
		panic(http.ErrAbortHandler)
	}
	if held {
		rc.SetWriteDeadline(time.Now().Add(relayStall))
		w.Write([]byte{last})
	}
}

// answerSize is the answer's whole size as far as it is known when it is
// checked: the bytes read, or the Content-Length the handler announced.
func answerSize(r exchange.Response) int64 {
	n, err := strconv.ParseInt(r.Headers.Get("Content-Length"), 10, 64)
	if err != nil || n < r.BodySize {
		return r.BodySize
	}
	return n
}
