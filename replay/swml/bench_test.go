package swml

import (
	"context"
	"strings"
	"testing"
	"time"

	doc "github.com/swhook/swhook/inspect/swml"
	"github.com/swhook/swhook/replay/call"
)

// offline is a runner whose session never sends anything: the documents
// below make no request.
func offline(tb testing.TB, f doc.Flavor, opt Options) *runner {
	tb.Helper()
	s, err := call.NewSession(call.Config{URL: "http://127.0.0.1:9/voice", From: "+15551234567", To: "+15557654321"})
	if err != nil {
		tb.Fatal(err)
	}
	r, err := newRunner(s, f, opt)
	if err != nil {
		tb.Fatal(err)
	}
	r.sc.call = map[string]any{"call_id": s.CallSid(), "from": s.From(), "to": s.To(), "type": "phone", "direction": "inbound"}
	r.bind()
	return r
}

const benchDoc = `version: 1.0.0
sections:
  main:
    - set:
        price: 7.5
        qty: '3'
    - set:
        total: '${vars.price * parseInt(vars.qty)}'
        area: '${call.from.substring(2, 5)}'
    - cond:
        - when: total > 20
          then:
            - set:
                ship: 'free shipping'
        - else:
            - set:
                ship: 'plus shipping'
    - switch:
        variable: area
        case:
          '555':
            - play:
                url: 'say: Total ${total.toFixed(2)} dollars, ${ship}, from %{call.from}'
        default:
          - hangup: {}
`

// BenchmarkStep measures one SWML step, expressions included, on a
// reused engine: the target is well under 1 ms a step.
func BenchmarkStep(b *testing.B) {
	d, err := doc.Parse([]byte(benchDoc), doc.Calling)
	if err != nil {
		b.Fatal(err)
	}
	r := offline(b, doc.Calling, Options{})
	r.doc = d
	ctx := context.Background()
	steps := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.steps = 0
		if f := r.list(ctx, d.Sections["main"], "main", 0); f.kind != next || r.failed {
			b.Fatalf("run ended %v, failed %v", f.kind, r.failed)
		}
		steps += r.steps
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(steps), "ns/step")
}

func TestExpressionLimits(t *testing.T) {
	r := offline(t, doc.Calling, Options{ExprTimeout: 50 * time.Millisecond})
	for _, c := range []struct{ expr, want string }{
		{"(() => { for (;;) {} })()", "ran too long"},
		{"'x'.repeat(1e9)", "too large"},
		{"(() => { let s = 'xxxxxxxx'; for (;;) { s = s + s } })()", "too "},
		{"(() => { const a = []; for (;;) { a.push({k: 'v'}) } })()", "too "},
		{"(function f() { return f() })()", "stack"},
		{"nosuchname.x", "ReferenceError"},
		{`/^(?=(a+)+\1b)/.test('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')`, "ran too long"},
	} {
		_, err := r.sc.js.eval(c.expr)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("eval(%s) = %v, want an error with %q", c.expr, err, c.want)
		}
	}
	// The engine is still usable after every kind of stop.
	v, err := r.sc.js.eval("call.from.length + 1")
	if err != nil || v != float64(13) {
		t.Errorf("after the limits, call.from.length + 1 = %v, %v", v, err)
	}
}

func TestScopes(t *testing.T) {
	r := offline(t, doc.Calling, Options{Envs: map[string]any{"region": "eu", "from": "env"}})
	r.bind()
	r.sc.vars["from"] = "var"
	r.sc.vars["items"] = []any{"a", "b"}
	r.setParams(map[string]any{"n": float64(2)})
	for expr, want := range map[string]any{
		"${from}":                  "var",
		"${envs.from}":             "env",
		"${call.from}":             "+15551234567",
		"${region.toUpperCase()}":  "EU",
		"${params.n * 2}":          float64(4),
		"${items.join('-')}":       "a-b",
		"${(items.length)}":        float64(2),
		"%{items[1]}":              "b",
		"${missing}":               nil,
		"x ${missing} y":           "x  y",
		"${type}":                  "phone",
		"n=${params.n}":            "n=2",
		"${ {a: 1} }":              map[string]any{"a": float64(1)},
		"${vars.from + envs.from}": "varenv",
	} {
		got, err := r.sc.expand(expr)
		if err != nil || text(got) != text(want) {
			t.Errorf("%s = %#v, %v; want %#v", expr, got, err, want)
		}
	}
	m := offline(t, doc.Messaging, Options{})
	m.sc.call = map[string]any{"body": "hi"}
	if got, _ := m.sc.expand("%{message.body} ${1+1} %{call.body}"); got != "hi ${1+1} " {
		t.Errorf("messaging substitution = %q", got)
	}
}

func FuzzInterpreter(f *testing.F) {
	f.Add([]byte(benchDoc))
	f.Add([]byte(menu))
	f.Add([]byte(`{"sections":{"main":[{"label":"a"},{"set":{"x":"${(vars.x||0)+1}"}},{"goto":{"label":"a","when":"x < 5"}},{"execute":{"dest":"s","params":{"p":"${x}"}}},{"return":"%{return_value}"}],"s":[{"return":"${params.p * 2}"}]}}`))
	f.Add([]byte(`{"sections":{"main":[{"reply":"hi %{message.body}"},{"switch":{"variable":"message.body","transform":"trim","case":{"a":[{"receive":{}}]}}}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if strings.Contains(string(body), "://") {
			t.Skip("no requests leave the fuzzer")
		}
		for _, fl := range []doc.Flavor{doc.Calling, doc.Messaging} {
			d, err := doc.Parse(body, fl)
			if err != nil {
				continue
			}
			r := offline(t, fl, Options{ExprTimeout: 20 * time.Millisecond, MaxSteps: 300})
			if fl == doc.Messaging {
				r.sc.call = map[string]any{"body": "a", "from": "+1", "to": "+2"}
			}
			r.doc = d
			if d.Sections != nil {
				r.run(context.Background(), d, "http://127.0.0.1:9/voice")
			}
			if r.steps > 301 {
				t.Fatalf("ran %d steps past MaxSteps", r.steps)
			}
		}
	})
}

func TestWalkOddPaths(t *testing.T) {
	v := map[string]any{"a": []any{map[string]any{"b": "x"}}}
	for _, p := range []string{"a[", "a[-1]", "a[9]", "a..b", "a[0].b.c", "]", "a[x]"} {
		if got, ok := walk(v, p); ok && got != nil {
			t.Errorf("walk(%q) = %v", p, got)
		}
	}
	if got, ok := walk(v, "a[0].b"); !ok || got != "x" {
		t.Errorf("walk(a[0].b) = %v %v", got, ok)
	}
}
