package swml

import (
	"encoding/json"
	"strconv"
	"strings"

	doc "github.com/swhook/swhook/inspect/swml"
)

// scope is what a document's placeholders see: vars (what methods and set
// wrote), envs, call (or message) and params (the current execute's).
type scope struct {
	flavor doc.Flavor
	vars   map[string]any
	envs   map[string]any
	call   map[string]any // the message, in messaging SWML
	params map[string]any
	js     *engine
}

// lookup resolves a plain path: call., vars., envs., params. (message. in
// messaging), or an unprefixed name looked up in vars, envs, then call.
func (s *scope) lookup(path string) (any, bool) {
	head, rest := splitPath(path)
	var root map[string]any
	switch head {
	case "vars":
		root = s.vars
	case "envs":
		root = s.envs
	case "params":
		root = s.params
	case "call":
		if s.flavor == doc.Calling {
			root = s.call
		}
	case "message":
		if s.flavor == doc.Messaging {
			root = s.call
		}
	}
	if root != nil {
		if rest == "" {
			return root, true
		}
		return walk(root, rest)
	}
	for _, m := range []map[string]any{s.vars, s.envs, s.call} {
		if v, ok := walk(m, path); ok {
			return v, true
		}
	}
	return nil, false
}

func splitPath(p string) (string, string) {
	i := strings.IndexAny(p, ".[")
	if i < 0 {
		return p, ""
	}
	if p[i] == '.' {
		return p[:i], p[i+1:]
	}
	return p[:i], p[i:]
}

// walk follows a path (a.b[2].c) through plain values.
func walk(v any, path string) (any, bool) {
	for path != "" {
		if path[0] == '[' {
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return nil, false
			}
			n, err := strconv.Atoi(path[1:end])
			list, ok := v.([]any)
			if err != nil || !ok || n < 0 || n >= len(list) {
				return nil, false
			}
			v, path = list[n], strings.TrimPrefix(path[end+1:], ".")
			continue
		}
		i := strings.IndexAny(path, ".[")
		name := path
		if i >= 0 {
			name = path[:i]
			path = path[i:]
			path = strings.TrimPrefix(path, ".")
		} else {
			path = ""
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[name]; !ok {
			return nil, false
		}
	}
	return v, true
}

// expand evaluates every placeholder in v (strings, deeply), keeping the
// type of a string that is one placeholder alone (${parseInt("42")} is a
// number).
func (s *scope) expand(v any) (any, error) {
	switch x := v.(type) {
	case string:
		return s.expandString(x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			ev, err := s.expand(e)
			if err != nil {
				return nil, err
			}
			out[k] = ev
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			ev, err := s.expand(e)
			if err != nil {
				return nil, err
			}
			out[i] = ev
		}
		return out, nil
	}
	return v, nil
}

func (s *scope) expandString(str string) (any, error) {
	if !doc.HasExpression(str) {
		return str, nil
	}
	parts, err := doc.SplitTemplate(str, s.flavor)
	if err != nil {
		return nil, err
	}
	if len(parts) == 1 && parts[0].Expr != "" {
		return s.value(parts[0])
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Expr == "" {
			b.WriteString(p.Lit)
			continue
		}
		v, err := s.value(p)
		if err != nil {
			return nil, err
		}
		b.WriteString(text(v))
	}
	return b.String(), nil
}

func (s *scope) value(p doc.Part) (any, error) {
	if p.Path {
		v, _ := s.lookup(p.Expr)
		return v, nil
	}
	return s.js.eval(p.Expr)
}

// str expands v and says it as text.
func (s *scope) str(v any) (string, error) {
	e, err := s.expand(v)
	if err != nil {
		return "", err
	}
	return text(e), nil
}

// text is a value as it reads inside a string: numbers without a needless
// fraction, nothing for unset, objects and lists as JSON.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// truthy is a cond/goto when's value as JavaScript reads it.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case float64:
		return x != 0 && x == x
	case string:
		return x != ""
	}
	return true
}
