package swml

import (
	"errors"
	"fmt"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/dlclark/regexp2/v2"
	"github.com/dop251/goja"
)

// A regular expression that needs backtracking (lookaround, backreferences)
// runs in regexp2 inside a single native call, where Interrupt is never
// seen; regexp2 stops a match only after its MatchTimeout, which every
// compile copies from this package variable ("forever" by default).
// swhook's only user of regexp2 is the expression engine, so it is set
// once, to the expression limit.
var regexpLimit sync.Once

func limitRegexps(d time.Duration) {
	regexpLimit.Do(func() { regexp2.DefaultMatchTimeout = d })
}

// Expression limits. SignalWire asks expressions to finish within 150 ms;
// swhook stops one at that point, so a looping expression ends the call at
// once with relay_script_js_eval_error instead of hanging the terminal.
const (
	DefaultExprTimeout = 150 * time.Millisecond
	// DefaultExprMemory bounds what one evaluation may allocate, sampled
	// every memoryTick; the natives that can allocate a lot in one call
	// (repeat, padStart, padEnd, fill, join, Array.from) are capped too.
	DefaultExprMemory = 64 << 20
	memoryTick        = 5 * time.Millisecond
	maxStringLen      = 1 << 24
	maxArrayLen       = 1 << 20
)

// errTimeout and errMemory are the reasons an evaluation was interrupted.
var (
	errTimeout = errors.New("expression ran too long")
	errMemory  = errors.New("expression used too much memory")
)

// engine is one call's JavaScript runtime: created once, reused for every
// expression (compiling an expression once too), bounded per evaluation.
type engine struct {
	vm      *goja.Runtime
	progs   map[string]*goja.Program
	timeout time.Duration
	memory  uint64

	mu     sync.Mutex
	gen    uint64
	sample []metrics.Sample
}

// guard is JavaScript run once per engine: it caps the natives that can
// allocate without returning to the interpreter loop, where Interrupt is
// seen.
const guard = `(function(){
var S = String.prototype, A = Array.prototype, L = %d, N = %d;
function wrap(o, name, check) {
  var f = o[name];
  Object.defineProperty(o, name, {value: function() { check.apply(this, arguments); return f.apply(this, arguments); }, writable: true, configurable: true});
}
function big() { throw new RangeError("result too large for an expression"); }
wrap(S, "repeat", function(n) { if (String(this).length * n > L) big(); });
wrap(S, "padStart", function(n) { if (n > L) big(); });
wrap(S, "padEnd", function(n) { if (n > L) big(); });
wrap(A, "fill", function() { if (this.length > N) big(); });
wrap(A, "join", function() { if (this.length > N) big(); });
wrap(Array, "from", function(a) { if (a && a.length > N) big(); });
})()`

func newEngine(timeout time.Duration, memory uint64) (*engine, error) {
	if timeout <= 0 {
		timeout = DefaultExprTimeout
	}
	if memory == 0 {
		memory = DefaultExprMemory
	}
	limitRegexps(DefaultExprTimeout)
	vm := goja.New()
	vm.SetMaxCallStackSize(512)
	if _, err := vm.RunString(fmt.Sprintf(guard, maxStringLen, maxArrayLen)); err != nil {
		return nil, fmt.Errorf("setting up the expression engine: %w", err)
	}
	return &engine{
		vm: vm, progs: map[string]*goja.Program{}, timeout: timeout, memory: memory,
		sample: []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}},
	}, nil
}

// set binds a scope object (vars, envs, call, params).
func (e *engine) set(name string, v any) { e.vm.Set(name, v) }

func (e *engine) allocated() uint64 {
	metrics.Read(e.sample)
	if e.sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return e.sample[0].Value.Uint64()
}

// eval runs src, an expression over the bound scopes, where a name without
// a scope is looked up in vars, then envs, then call (with statements, so
// the expression sees them as SignalWire's V8 does).
func (e *engine) eval(src string) (any, error) {
	prog, ok := e.progs[src]
	if !ok {
		var err error
		prog, err = goja.Compile("", "with(call){with(envs){with(vars){(\n"+src+"\n)}}}", false)
		if err != nil {
			return nil, errors.New(jsError(err))
		}
		if len(e.progs) > 4096 {
			clear(e.progs)
		}
		e.progs[src] = prog
	}
	e.mu.Lock()
	e.gen++
	gen := e.gen
	e.mu.Unlock()
	start := e.allocated()
	deadline := time.Now().Add(e.timeout)
	var watch func()
	var timer *time.Timer
	interrupt := func(why error) {
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.gen == gen {
			e.vm.Interrupt(why)
		}
	}
	watch = func() {
		switch {
		case !time.Now().Before(deadline):
			interrupt(errTimeout)
		case e.allocated()-start > e.memory:
			interrupt(errMemory)
		default:
			e.mu.Lock()
			if e.gen == gen {
				timer.Reset(min(memoryTick, time.Until(deadline)))
			}
			e.mu.Unlock()
		}
	}
	e.mu.Lock()
	timer = time.AfterFunc(min(memoryTick, e.timeout), watch)
	e.mu.Unlock()
	v, err := e.vm.RunProgram(prog)
	e.mu.Lock()
	e.gen++
	timer.Stop()
	e.mu.Unlock()
	e.vm.ClearInterrupt()
	if err != nil {
		var ie *goja.InterruptedError
		if errors.As(err, &ie) {
			switch ie.Value() {
			case errTimeout:
				return nil, fmt.Errorf("%w: stopped after %s (SignalWire expects expressions to finish within 150 ms)", errTimeout, e.timeout)
			case errMemory:
				return nil, fmt.Errorf("%w: stopped after allocating over %d MiB", errMemory, e.memory>>20)
			}
		}
		return nil, errors.New(jsError(err))
	}
	return export(v), nil
}

func jsError(err error) string {
	var so *goja.StackOverflowError
	if errors.As(err, &so) {
		return "RangeError: maximum call stack size exceeded"
	}
	var ex *goja.Exception
	if errors.As(err, &ex) {
		return firstLine(ex.Value().String())
	}
	return firstLine(err.Error())
}

// export turns a JavaScript value into the document's plain values.
func export(v goja.Value) any {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return nil
	}
	return plain(v.Export())
}

func plain(v any) any {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case int:
		return float64(x)
	case int32:
		return float64(x)
	case float32:
		return float64(x)
	case map[string]any:
		for k, e := range x {
			x[k] = plain(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = plain(e)
		}
		return x
	case string, float64, bool, nil:
		return x
	}
	return fmt.Sprint(v)
}
