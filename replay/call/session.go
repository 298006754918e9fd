// Package call drives one pretend SignalWire call or message against a
// developer's handler: it owns the call's identity (CallSid, the standard
// parameters), signs and sends every request with SignalWire's delivery
// rules (inspect/delivery), keeps each exchange in the store, asks the
// caller for input, and reports what happens as transcript events. It
// knows nothing of cXML or SWML: an interpreter plugs in on top.
//
// How an interpreter uses it:
//
//	s, err := call.NewSession(cfg)       // one call; cfg carries the flags
//	res := s.Fetch(ctx, call.Request{    // the first document
//		Purpose: delivery.Action, Method: "POST", URL: s.VoiceURL(),
//		Form: s.Params(nil), Label: "voice URL",
//		Check: func(a call.Answer) *delivery.Error { ...parse; return 12100 on error },
//	})
//	if res.Err != nil { s.Fail(res.Err); ... }   // already shown; fallback already tried
//	// run the document verb by verb:
//	s.Emit(call.Event{Type: call.EvSay, Text: "Welcome"})
//	reply, _ := s.Caller().Gather(ctx, call.Ask{...})  // flags, then the terminal, else silence
//	outcome, _ := s.Caller().Dial(ctx, "+15551230000")
//	s.Wait(ctx, 5*time.Second)           // the clock moves; waits only with --realtime; false: caller hung up
//	next := s.Resolve(res.URL, `action`) // relative URLs against the document's URL
//	...
//	s.Hangup(ctx, "completed")           // the status callbacks; then s.Failed() for the exit status
//
// Fetch applies the delivery rules once for every interpreter: the URL
// fragment's timeouts, redirects, the 64 kB limit, Content-Type, the
// fallback URL for action-type requests and up to 3 attempts for status
// callbacks. Every attempt is signed, stored (source call) and shown.
package call

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/swhook/swhook/inspect/delivery"
	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/replay"
)

// APIVersion is the Compatibility API version every cXML webhook names.
const APIVersion = "2010-04-01"

// DefaultMaxSteps bounds the documents one call fetches, so a redirect
// loop ends with a message instead of running forever.
const DefaultMaxSteps = 50

// UserAgent names swhook honestly: a handler's logs never mistake an
// emulated call for SignalWire's own.
const UserAgent = "swhook-call"

// Saver keeps an exchange; *store.Store is one.
type Saver interface {
	Save(ctx context.Context, x *exchange.Exchange) error
}

// Config is one call's setup, from the command line or a test.
type Config struct {
	// URL is the voice (or messaging) webhook, possibly with a
	// #ot=&rt=&tt= fragment.
	URL string
	// FallbackURL is requested as SignalWire requests a VoiceFallbackUrl:
	// when an action-type request fails.
	FallbackURL string
	// SignURL is the URL the first request is signed for, when the handler
	// verifies against another URL than URL (its public one behind a
	// tunnel); later requests to URL's origin are signed for SignURL's.
	SignURL string
	// Key signs every request; empty sends them unsigned.
	Key string
	// Mark gives the headers added to a request for target (never
	// signed: signatures cover no headers): the mark a running listen
	// knows swhook's own requests by, so it keeps them as one row. Nil
	// adds none.
	Mark func(target string) http.Header
	// From and To are the caller and the called number (random when
	// empty).
	From, To string
	// Direction is the call's direction; empty means inbound.
	Direction string
	// StatusCallback receives the call's status events (StatusEvents,
	// default completed), as a number-level StatusCallback does.
	StatusCallback string
	StatusEvents   []string
	MaxSteps       int
	// Client's Transport is cloned with the timeouts of each URL; nil
	// means http.DefaultTransport.
	Client *http.Client
	Store  Saver // nil keeps nothing
	Caller Caller
	Sink   Sink
	Clock  Clock
	// Now is the wall clock stored exchanges are stamped with (the call's
	// Clock runs ahead of it unless --realtime); nil means time.Now.
	Now  func() time.Time
	Rand *rand.Rand
}

// Session is one call in progress. Its methods may be called from one
// goroutine at a time (the interpreter's); Fetch is safe to call while a
// status callback is being sent.
type Session struct {
	cfg       Config
	voiceURL  string
	sender    *sender
	rand      *rand.Rand
	clock     Clock
	caller    Caller
	sink      Sink
	store     Saver
	start     time.Time
	answered  time.Time
	callSid   string
	account   string
	from, to  string
	direction string
	status    string
	steps     int
	seq       int
	errs      []*delivery.Error
	stopped   error
	ended     bool

	mu sync.Mutex
}

// Valid statuses a call's status callback can be asked for.
var StatusEventNames = []string{"initiated", "ringing", "answered", "completed"}

// NewSession checks cfg and starts a call (nothing is sent yet).
func NewSession(cfg Config) (*Session, error) {
	if cfg.URL == "" {
		return nil, errors.New("no URL to call: pass --to URL")
	}
	for _, u := range []struct{ name, v string }{{"--to", cfg.URL}, {"--fallback-url", cfg.FallbackURL}, {"--sign-url", cfg.SignURL}, {"--status-callback", cfg.StatusCallback}} {
		if u.v == "" {
			continue
		}
		base, _, err := delivery.ParseURL(u.v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", u.name, err)
		}
		p, err := url.Parse(base)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return nil, fmt.Errorf("%s %q is not an http(s) URL", u.name, u.v)
		}
	}
	for _, e := range cfg.StatusEvents {
		if !contains(StatusEventNames, e) {
			return nil, fmt.Errorf("--status-events %q: use %s", e, strings.Join(StatusEventNames, ", "))
		}
	}
	if len(cfg.StatusEvents) == 0 {
		cfg.StatusEvents = []string{"completed"}
	}
	if cfg.MaxSteps <= 0 {
		cfg.MaxSteps = DefaultMaxSteps
	}
	s := &Session{cfg: cfg, voiceURL: cfg.URL, store: cfg.Store}
	s.rand = cfg.Rand
	if s.rand == nil {
		s.rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	s.clock = cfg.Clock
	if s.clock == nil {
		s.clock = FastClock(time.Now)
	}
	s.caller = cfg.Caller
	if s.caller == nil {
		s.caller = Silent{}
	}
	s.sink = cfg.Sink
	if s.sink == nil {
		s.sink = Discard{}
	}
	if s.cfg.Now == nil {
		s.cfg.Now = time.Now
	}
	s.sender = newSender(cfg.Client)
	s.start = s.clock.Now()
	s.callSid = s.UUID()
	s.account = s.UUID()
	s.from, s.to = cfg.From, cfg.To
	if s.from == "" {
		s.from = s.number()
	}
	if s.to == "" {
		s.to = s.number()
	}
	s.direction = cfg.Direction
	if s.direction == "" {
		s.direction = "inbound"
	}
	s.status = "ringing"
	return s, nil
}

// CallSid is the call's one identifier, shared by every request.
func (s *Session) CallSid() string { return s.callSid }

// AccountSid is the pretend project's ID.
func (s *Session) AccountSid() string { return s.account }

// From and To are the call's numbers.
func (s *Session) From() string { return s.from }
func (s *Session) To() string   { return s.to }

// Direction is inbound unless configured otherwise.
func (s *Session) Direction() string { return s.direction }

// VoiceURL is the URL the call starts at (with its fragment).
func (s *Session) VoiceURL() string { return s.voiceURL }

// Clock is the call's clock: virtual unless --realtime.
func (s *Session) Clock() Clock { return s.clock }

// Caller is the person on the other end.
func (s *Session) Caller() Caller { return s.caller }

// Status is the call's current CallStatus.
func (s *Session) Status() string { return s.status }

// Elapsed is the call's duration so far, on its clock.
func (s *Session) Elapsed() time.Duration { return s.clock.Now().Sub(s.start) }

// Answer marks the call answered (CallStatus in-progress) and sends the
// answered status callback if asked for. Interpreters call it before the
// first verb that answers; Reject never does.
func (s *Session) Answer(ctx context.Context) {
	if s.status != "ringing" {
		return
	}
	s.status = "in-progress"
	s.answered = s.clock.Now()
	s.statusEvent(ctx, "answered", "in-progress")
}

// Ring sends the initiated and ringing status callbacks when asked for;
// an interpreter calls it before the first fetch.
func (s *Session) Ring(ctx context.Context) {
	s.Emit(Event{Type: EvCall, URL: s.voiceURL, From: s.from, To: s.to, CallSid: s.callSid})
	s.statusEvent(ctx, "initiated", "initiated")
	s.statusEvent(ctx, "ringing", "ringing")
}

// CallerHungUp reports whether --hangup-after has passed.
func (s *Session) CallerHungUp() bool {
	return s.caller.HangupAfter() > 0 && s.Elapsed() >= s.caller.HangupAfter()
}

// Hangup ends the call with the final status (completed, busy, no-answer,
// failed, canceled) and sends the completed status callback. It is safe to
// call twice; only the first counts. An interrupted call (ctx ended:
// Ctrl-C, SIGTERM) still sends and stores that callback, as SignalWire
// does when a caller hangs up; each attempt stays bounded by the delivery
// timeouts.
func (s *Session) Hangup(ctx context.Context, status, why string) {
	if s.ended {
		return
	}
	if ctx.Err() != nil {
		ctx = context.WithoutCancel(ctx)
	}
	s.ended = true
	if status == "" {
		status = "completed"
	}
	s.status = status
	s.Emit(Event{Type: EvHangup, Status: status, Text: why, DurationS: s.durationS()})
	s.statusEvent(ctx, "completed", status)
	s.Emit(Event{Type: EvEnd, Status: status, DurationS: s.durationS(), Errors: len(s.errs), Stopped: errString(s.stopped)})
}

func errString(e error) string {
	if e == nil {
		return ""
	}
	return e.Error()
}

// durationS is the billed CallDuration: whole seconds since answered, 0
// for an unanswered call.
func (s *Session) durationS() int {
	if s.answered.IsZero() {
		return 0
	}
	return int(s.clock.Now().Sub(s.answered).Round(time.Second) / time.Second)
}

// Fail records a SignalWire error the interpreter found (a parse error, an
// invalid method) and shows it. Fetch records its own.
func (s *Session) Fail(e *delivery.Error) {
	s.errs = append(s.errs, e)
	s.Emit(Event{Type: EvError, Code: e.Code, Name: e.Name(), Detail: e.Detail, Why: e.Why()})
}

// Stop ends the call for a reason that is swhook's, not SignalWire's
// (--max-steps); it counts as a failure.
func (s *Session) Stop(err error) {
	s.stopped = err
	s.Emit(Event{Type: EvStop, Text: err.Error()})
}

// Skip names a verb swhook does not emulate; the call goes on.
func (s *Session) Skip(verb, why string) {
	s.Emit(Event{Type: EvSkip, Verb: verb, Text: why})
}

// Errors are the SignalWire errors of the call so far.
func (s *Session) Errors() []*delivery.Error { return s.errs }

// Failed reports whether the call had a SignalWire error or was stopped:
// exit status 1.
func (s *Session) Failed() bool { return len(s.errs) > 0 || s.stopped != nil }

// Emit sends one transcript event, stamped with the call's time.
func (s *Session) Emit(ev Event) {
	if ev.T == 0 {
		ev.T = seconds(s.Elapsed())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sink.Emit(ev)
}

func seconds(d time.Duration) float64 { return float64(d.Milliseconds()) / 1000 }

// Params are the standard parameters of a request of this call (status
// the current CallStatus) followed by extra. Interpreters add a verb's own
// (Digits, RecordingUrl, DialCallStatus, …) in extra.
func (s *Session) Params(extra [][2]string) [][2]string {
	return s.ParamsWithStatus(s.status, extra)
}

// ParamsWithStatus is Params with an explicit CallStatus.
func (s *Session) ParamsWithStatus(status string, extra [][2]string) [][2]string {
	p := [][2]string{
		{"AccountSid", s.account},
		{"ApiVersion", APIVersion},
		{"CallSid", s.callSid},
		{"CallStatus", status},
		{"Direction", s.direction},
		{"From", s.from},
		{"To", s.to},
		{"Caller", s.from},
		{"Called", s.to},
		{"ForwardedFrom", ""},
		{"CallerName", ""},
		{"ParentCallSid", ""},
	}
	return append(p, extra...)
}

// Timestamp is the RFC 2822 time SignalWire puts in status callbacks.
func (s *Session) Timestamp() string { return s.clock.Now().UTC().Format(time.RFC1123Z) }

// RecordingURL is where a recording of this call would be kept.
func (s *Session) RecordingURL(sid string) string {
	return "https://example.signalwire.com/api/laml/" + APIVersion + "/Accounts/" + s.account + "/Recordings/" + sid
}

// LamlURL is a resource URL under the pretend account.
func (s *Session) LamlURL(path string) string {
	return "https://example.signalwire.com/api/laml/" + APIVersion + "/Accounts/" + s.account + path
}

// statusEvent sends the call status callback for event when it was asked
// for.
func (s *Session) statusEvent(ctx context.Context, event, status string) {
	if s.cfg.StatusCallback == "" || !contains(s.cfg.StatusEvents, event) {
		return
	}
	extra := [][2]string{
		{"Timestamp", s.Timestamp()},
		{"CallbackSource", "call-progress-events"},
		{"SequenceNumber", strconv.Itoa(s.seq)},
	}
	s.seq++
	if event == "completed" {
		extra = append(extra, [2]string{"CallDuration", strconv.Itoa(s.durationS())})
	}
	s.Fetch(ctx, Request{
		Purpose: delivery.StatusCallback,
		Method:  http.MethodPost,
		URL:     s.cfg.StatusCallback,
		Form:    s.ParamsWithStatus(status, extra),
		Label:   "status callback " + event,
	})
}

// Resolve makes ref (an action, a Redirect's URL) absolute against base,
// the URL of the document it appeared in; "" means base itself, as
// SignalWire re-requests the current document when a verb has no action.
func (s *Session) Resolve(base, ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return base, nil
	}
	b, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", fmt.Errorf("%q is not a URL: %w", ref, err)
	}
	u := b.ResolveReference(r)
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("%q is not an http(s) URL", ref)
	}
	return u.String(), nil
}

// UUID is a version 4 UUID, the shape of every SignalWire identifier,
// from the session's random source.
func (s *Session) UUID() string { return replay.UUID(s.rand) }

// IntN is a random number in [0, n) from the session's source.
func (s *Session) IntN(n int) int { return s.rand.IntN(n) }

func (s *Session) number() string {
	r := s.rand
	return fmt.Sprintf("+1%d%02d%d%02d%04d", 2+r.IntN(8), r.IntN(100), 2+r.IntN(8), r.IntN(100), r.IntN(10000))
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Wait lets d pass on the call's clock, but no further than the moment
// the caller hangs up (--hangup-after); it reports whether the caller is
// still there. Interpreters wait through it so a hang-up mid-Pause ends
// the call at the right second.
func (s *Session) Wait(ctx context.Context, d time.Duration) bool {
	if h := s.caller.HangupAfter(); h > 0 {
		if left := h - s.Elapsed(); left < d {
			d = max(left, 0)
		}
	}
	s.clock.Sleep(ctx, d)
	return !s.CallerHungUp()
}
