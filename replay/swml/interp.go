package swml

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/swhook/swhook/inspect/delivery"
	doc "github.com/swhook/swhook/inspect/swml"
	"github.com/swhook/swhook/replay/call"
)

// Limits SignalWire documents.
const (
	// MaxTransfers is the platform maximum of transfers per call
	// (relay_script_too_many_transfers).
	MaxTransfers = 32
	// MessagingMaxSteps is how many method steps one inbound message may
	// run (messaging overview).
	MessagingMaxSteps = 100
	// MessagingMaxRequests is how many request steps one messaging
	// document may make (request_result limit_exceeded after).
	MessagingMaxRequests = 10
	// DefaultMaxSteps bounds a calling document's steps, so a document that
	// loops through execute (not bounded by goto's max) ends with a message.
	DefaultMaxSteps = 10000
	gotoDefaultMax  = 100
)

// EvStep is the transcript event for what a SWML step decided (set,
// switch, transfer, execute, return); its Text says it.
const EvStep = "step"

// Options are the parts of a SWML run the call driver does not hold.
type Options struct {
	// Envs are the document's envs scope.
	Envs map[string]any
	// HTTP sends the request method's requests; nil uses a client with each
	// step's own timeouts.
	HTTP *http.Client
	// ExprTimeout and ExprMemory bound each JavaScript evaluation
	// (DefaultExprTimeout, DefaultExprMemory when zero).
	ExprTimeout time.Duration
	ExprMemory  uint64
	// MaxSteps bounds the steps of a call (DefaultMaxSteps when zero).
	MaxSteps int
}

type kind int

const (
	next kind = iota
	returned
	transferred
	ended
	jump
)

// flow is how a step ends: go on, return from execute, transfer
// elsewhere, end the call, or jump to a label.
type flow struct {
	kind    kind
	value   any
	label   string
	doc     *doc.Document
	section string
	url     string
}

// runner is one call's (or message's) execution.
type runner struct {
	s         *call.Session
	opt       Options
	flavor    doc.Flavor
	sc        *scope
	doc       *doc.Document
	docURL    string
	docGen    int
	gotos     map[string]int
	steps     int
	xfers     int
	reqs      int
	ended     bool
	failed    bool
	channel   string
	space     string
	node      string
	records   []string // record_call control IDs still running
	recStatus []recStatus
	http      *http.Client
}

func newRunner(s *call.Session, f doc.Flavor, opt Options) (*runner, error) {
	if opt.MaxSteps <= 0 {
		opt.MaxSteps = DefaultMaxSteps
		if f == doc.Messaging {
			opt.MaxSteps = MessagingMaxSteps
		}
	}
	envs := opt.Envs
	if envs == nil {
		envs = map[string]any{}
	}
	r := &runner{s: s, opt: opt, flavor: f, gotos: map[string]int{}, space: s.UUID(), node: s.UUID()}
	r.channel = "swml:" + s.UUID()
	r.sc = &scope{flavor: f, vars: map[string]any{}, envs: envs, params: map[string]any{}}
	if f == doc.Calling {
		js, err := newEngine(opt.ExprTimeout, opt.ExprMemory)
		if err != nil {
			return nil, err
		}
		r.sc.js = js
	}
	r.http = opt.HTTP
	return r, nil
}

func (r *runner) bind() {
	if r.sc.js == nil {
		return
	}
	r.sc.js.set("vars", r.sc.vars)
	r.sc.js.set("envs", r.sc.envs)
	r.sc.js.set("call", r.sc.call)
	r.sc.js.set("params", r.sc.params)
}

func (r *runner) setParams(p map[string]any) {
	if p == nil {
		p = map[string]any{}
	}
	r.sc.params = p
	if r.sc.js != nil {
		r.sc.js.set("params", p)
	}
}

// Call plays one inbound call whose number points at a SWML URL: the
// document fetch, every step, the status events, the hangup.
func Call(ctx context.Context, s *call.Session, opt Options) error {
	r, err := newRunner(s, doc.Calling, opt)
	if err != nil {
		return err
	}
	r.sc.call = map[string]any{
		"call_id": s.CallSid(), "node_id": r.node, "segment_id": s.UUID(), "call_state": "created",
		"direction": s.Direction(), "type": "phone", "from": s.From(), "to": s.To(),
		"from_number": s.From(), "to_number": s.To(), "headers": []any{},
		"project_id": s.AccountSid(), "space_id": r.space,
	}
	r.bind()
	s.Ring(ctx)
	d, u, ok := r.fetch(ctx, s.VoiceURL(), nil, "SWML document")
	if ok {
		r.run(ctx, d, u)
	}
	r.finish(ctx)
	return nil
}

// payload is the JSON body of a document fetch, as SignalWire POSTs it.
func (r *runner) payload(params map[string]any) []byte {
	if params == nil {
		params = map[string]any{}
	}
	var body map[string]any
	if r.flavor == doc.Messaging {
		body = map[string]any{"message": r.sc.call, "params": params}
		if len(r.sc.vars) > 0 {
			body["vars"] = r.sc.vars
		}
	} else {
		body = map[string]any{"call": r.sc.call, "vars": r.sc.vars, "envs": r.sc.envs, "params": params}
	}
	b, err := json.Marshal(body)
	if err != nil {
		b, _ = json.Marshal(map[string]any{"call": r.sc.call})
	}
	return b
}

// fetch requests a SWML document (the first, or a transfer's or an
// execute's) and parses it; a failure has been shown and counted.
func (r *runner) fetch(ctx context.Context, url string, params map[string]any, label string) (*doc.Document, string, bool) {
	var parsed *doc.Document
	res := r.s.Fetch(ctx, call.Request{
		Purpose: delivery.Action, Method: http.MethodPost, URL: url,
		Body: r.payload(params), ContentType: "application/json", Label: label,
		Check: func(a call.Answer) *delivery.Error {
			d, err := doc.Parse(a.Body, r.flavor)
			if err != nil {
				e := named(err)
				if b := bytes.TrimSpace(a.Body); len(b) > 0 && b[0] == '<' {
					e.Detail += " (the answer is XML: cXML? then run without --swml)"
				}
				return e
			}
			parsed = d
			return nil
		},
	})
	if !res.OK() || parsed == nil {
		r.failed = true
		return nil, "", false
	}
	return parsed, res.URL, true
}

func named(err error) *delivery.Error {
	var e *doc.Error
	if errors.As(err, &e) {
		d := e.Msg
		if e.Path != "" {
			d = e.Path + ": " + d
		}
		return &delivery.Error{Named: e.Code, Detail: d}
	}
	return &delivery.Error{Named: doc.ErrInternal, Detail: err.Error()}
}

// fail reports a SignalWire error that ends the script.
func (r *runner) fail(code, path, format string, a ...any) flow {
	d := fmt.Sprintf(format, a...)
	if path != "" {
		d = path + ": " + d
	}
	r.s.Fail(&delivery.Error{Named: code, Detail: d})
	r.failed = true
	r.sc.vars["script_error"] = code
	return flow{kind: ended}
}

func (r *runner) trace(format string, a ...any) {
	r.s.Emit(call.Event{Type: EvStep, Text: fmt.Sprintf(format, a...)})
}

// run executes a document from main, following transfers.
func (r *runner) run(ctx context.Context, d *doc.Document, u string) {
	r.doc, r.docURL, r.docGen = d, u, r.docGen+1
	section := "main"
	for {
		f := r.list(ctx, r.doc.Sections[section], section, 0)
		if f.kind != transferred {
			return
		}
		if f.doc != nil {
			r.doc, r.docURL, r.docGen = f.doc, f.url, r.docGen+1
		}
		section = f.section
	}
}

// list runs steps in order; a goto to a label among them jumps there.
func (r *runner) list(ctx context.Context, steps []doc.Step, section string, depth int) flow {
	if depth > doc.MaxDepth {
		return r.fail(doc.ErrNestedTooDeep, "", "execution nests more than %d levels deep", doc.MaxDepth)
	}
	for i := 0; i < len(steps); i++ {
		if r.ended {
			return flow{kind: ended}
		}
		if err := ctx.Err(); err != nil {
			r.s.Stop(fmt.Errorf("interrupted: %w", err))
			return flow{kind: ended}
		}
		r.steps++
		if r.steps > r.opt.MaxSteps {
			r.s.Stop(fmt.Errorf("stopped after %d SWML steps; the document loops (execute or transfer back to itself)", r.opt.MaxSteps))
			if r.flavor == doc.Messaging {
				r.s.Emit(call.Event{Type: call.EvNote, Text: fmt.Sprintf("SignalWire stops a messaging document after %d steps", MessagingMaxSteps)})
			}
			return flow{kind: ended}
		}
		if r.flavor == doc.Calling && r.s.CallerHungUp() {
			r.hangup(ctx, "completed", "the caller hung up")
			return flow{kind: ended}
		}
		f := r.step(ctx, steps[i], section, depth)
		if f.kind == jump {
			if j := labelIndex(steps, f.label); j >= 0 {
				i = j
				continue
			}
		}
		if f.kind != next {
			return f
		}
	}
	return flow{kind: next}
}

func labelIndex(steps []doc.Step, label string) int {
	for i, st := range steps {
		if st.Method == "label" && st.Params == label {
			return i
		}
	}
	return -1
}

func (r *runner) hangup(ctx context.Context, status, why string) {
	if r.ended {
		return
	}
	r.ended = true
	r.stopRecordings(ctx)
	r.sc.call["call_state"] = "ended"
	r.s.Hangup(ctx, status, why)
}

func (r *runner) finish(ctx context.Context) {
	if r.ended {
		return
	}
	status, why := "completed", "the document ended"
	if r.failed {
		why = "SWML error"
		if r.s.Status() == "ringing" {
			status = "failed"
		}
	}
	r.hangup(ctx, status, why)
}

// expand evaluates a step's parameters; an expression error ends the call
// with relay_script_js_eval_error.
func (r *runner) expand(v any, path string) (any, flow, bool) {
	e, err := r.sc.expand(v)
	if err != nil {
		return nil, r.fail(doc.ErrJSEval, path, "%s", err), false
	}
	return e, flow{}, true
}

func params(v any) map[string]any {
	m := doc.Object(v)
	if m == nil {
		return map[string]any{}
	}
	return m
}

func str(m map[string]any, k string) string {
	return text(m[k])
}

func num(m map[string]any, k string, def float64) float64 {
	switch x := m[k].(type) {
	case float64:
		return x
	case string:
		if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
			return f
		}
	}
	return def
}

func boolean(m map[string]any, k string) bool {
	switch x := m[k].(type) {
	case bool:
		return x
	case string:
		return x == "true"
	}
	return false
}

func seconds(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }
