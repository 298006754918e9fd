// Package swml holds SignalWire's SWML document model: it reads a JSON or
// YAML document and says, with SignalWire's own error names, whether
// SignalWire would run it. listen's answer check and the call emulator's
// interpreter share it, so a badge and an emulated call never disagree.
package swml

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Version is the only SWML version SignalWire runs.
const Version = "1.0.0"

// MaxDepth bounds how deeply step lists may nest (switch in cond in
// execute.on_return ...). SignalWire documents relay_script_nested_too_deep
// without its limit; 32 is swhook's, and keeps hostile documents from
// exhausting the stack.
const MaxDepth = 32

// Flavor is which SignalWire product executes a document: calling SWML
// (JavaScript expressions, the voice methods) or messaging SWML (reply,
// %{} substitution only).
type Flavor int

const (
	Calling Flavor = iota
	Messaging
)

// Step is one method invocation in a section.
type Step struct {
	Method string
	// Params is the method's value as decoded JSON: map[string]any, []any,
	// string, float64, bool or nil (YAML is normalised to the same).
	Params any
	// Path locates the step, "sections.main[3]".
	Path string
}

// Document is a parsed and validated SWML document.
type Document struct {
	Version  string
	Sections map[string][]Step
	// Messaging only: a document may be a bare top-level reply or receive
	// instead of sections.
	Reply    any
	HasReply bool
	Receive  bool
}

// Decode reads a JSON (first byte '{') or YAML document into plain values.
// The error is a *Error with ErrParse.
func Decode(body []byte) (top map[string]any, err error) {
	body = bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))
	var v any
	if len(body) > 0 && body[0] == '{' {
		if e := json.Unmarshal(body, &v); e != nil {
			return nil, errf(ErrParse, "", "malformed JSON: %s", firstLine(e.Error()))
		}
	} else {
		// yaml.v3 has panicked on hostile input before; a document must
		// never take swhook down with it.
		defer func() {
			if r := recover(); r != nil {
				top, err = nil, errf(ErrParse, "", "malformed YAML")
			}
		}()
		if e := yaml.Unmarshal(body, &v); e != nil {
			return nil, errf(ErrParse, "", "malformed YAML: %s", firstLine(e.Error()))
		}
		v = normalise(v, 0)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errf(ErrParse, "", "a SWML document is an object with version and sections, not %s", kindOf(v))
	}
	return m, nil
}

// normalise turns yaml.v3's values into encoding/json's: string keys,
// float64 numbers.
func normalise(v any, depth int) any {
	if depth > 10000 {
		return nil
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalise(e, depth+1)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = normalise(e, depth+1)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = normalise(e, depth+1)
		}
		return x
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	case float64, string, bool, nil:
		return x
	}
	return fmt.Sprint(v)
}

// Parse decodes and validates body as a document of flavor f; the error is
// the first *Error SignalWire would raise.
func Parse(body []byte, f Flavor) (*Document, error) {
	top, err := Decode(body)
	if err != nil {
		if f == Messaging {
			err.(*Error).Code = MsgJSONOrYAMLRequired
		}
		return nil, err
	}
	return FromValue(top, f)
}

// FromValue validates an already decoded document (a transfer's inline
// SWML, say).
func FromValue(top map[string]any, f Flavor) (*Document, error) {
	if f == Messaging {
		return messagingDocument(top)
	}
	return callingDocument(top)
}

func callingDocument(top map[string]any) (*Document, error) {
	for _, k := range slices.Sorted(maps.Keys(top)) {
		if k != "version" && k != "sections" {
			return nil, errf(ErrElementUndefined, k, "unknown top-level element %q; a document holds version and sections", clip(k))
		}
	}
	d := &Document{}
	switch v := top["version"].(type) {
	case nil:
		d.Version = Version // version defaults to 1.0.0 (get-started: "default 1.0.0")
	case string:
		if v != Version {
			return nil, errf(ErrVersionInvalid, "", "version is %q; the only supported version is %q", clip(v), Version)
		}
		d.Version = v
	default:
		return nil, errf(ErrVersionInvalid, "", "version must be the string %q, not %s", Version, kindOf(v))
	}
	raw, ok := top["sections"]
	if !ok || raw == nil {
		return nil, errf(ErrSectionsMissing, "", "no sections; add sections.main, where execution starts")
	}
	secs, ok := raw.(map[string]any)
	if !ok {
		return nil, errf(ErrElementWrongType, "sections", "sections must be an object of named method lists, not %s", kindOf(raw))
	}
	if _, ok := secs["main"]; !ok {
		return nil, errf(ErrMainSectionMissing, "", "no sections.main; execution starts there")
	}
	return d, buildSections(d, secs, Calling)
}

func messagingDocument(top map[string]any) (*Document, error) {
	var entries []string
	for _, k := range []string{"reply", "receive", "sections"} {
		if _, ok := top[k]; ok {
			entries = append(entries, k)
		}
	}
	switch len(entries) {
	case 0:
		return nil, errf(MsgMissingEntryPoint, "", "a messaging document must contain reply, receive or sections")
	case 1:
	default:
		return nil, errf(MsgInvalidDocument, "", "a messaging document may hold only one of reply, receive or sections, not %d", len(entries))
	}
	d := &Document{}
	if v, ok := top["version"].(string); ok {
		d.Version = v
	}
	switch entries[0] {
	case "reply":
		d.Reply, d.HasReply = top["reply"], true
		v := &validator{flavor: Messaging}
		return d, v.params("reply", top["reply"], "reply", 0)
	case "receive":
		d.Receive = true
		return d, nil
	}
	secs, ok := top["sections"].(map[string]any)
	if !ok {
		return nil, errf(MsgInvalidSectionFormat, "sections", "sections must be an object of named step lists")
	}
	if _, ok := secs["main"].([]any); !ok {
		return nil, errf(MsgInvalidSectionFormat, "sections.main", "section main must be an array of steps")
	}
	return d, buildSections(d, secs, Messaging)
}

func buildSections(d *Document, secs map[string]any, f Flavor) error {
	d.Sections = make(map[string][]Step, len(secs))
	v := &validator{flavor: f, doc: d}
	names := slices.Sorted(maps.Keys(secs))
	// main first, so its errors are the ones reported.
	slices.SortStableFunc(names, func(a, b string) int {
		switch {
		case a == "main" && b != "main":
			return -1
		case b == "main" && a != "main":
			return 1
		}
		return 0
	})
	for _, name := range names {
		path := "sections." + name
		list, ok := secs[name].([]any)
		if !ok {
			code := ErrElementWrongType
			if f == Messaging {
				code = MsgInvalidSectionFormat
			}
			return errf(code, path, "a section must be a list of methods, not %s", kindOf(secs[name]))
		}
		if len(list) == 0 && f == Calling {
			return errf(ErrSectionCodeMissing, path, "section %q has no steps", clip(name))
		}
		steps, err := StepsOf(list, path, f)
		if err != nil {
			return err
		}
		d.Sections[name] = steps
	}
	for _, name := range names {
		if err := v.steps(d.Sections[name], name, 0); err != nil {
			return err
		}
	}
	return nil
}

// StepsOf reads a list of methods (a section, a switch case, cond's then)
// into steps, checking each names exactly one known method.
func StepsOf(v any, path string, f Flavor) ([]Step, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, errf(wrongType(f), path, "expected a list of methods, not %s", kindOf(v))
	}
	steps := make([]Step, 0, len(list))
	for i, e := range list {
		p := path + "[" + strconv.Itoa(i) + "]"
		var st Step
		switch x := e.(type) {
		case string:
			st = Step{Method: x, Path: p}
		case map[string]any:
			switch len(x) {
			case 0:
				return nil, errf(missingName(f), p, "a step needs a method name")
			case 1:
				for k, val := range x {
					st = Step{Method: k, Params: val, Path: p}
				}
			default:
				return nil, errf(invalidValue(f), p, "a step holds one method, this one holds %d (%s)", len(x), clip(joinKeys(x)))
			}
		default:
			return nil, errf(missingName(f), p, "a step must be an object naming its method, not %s", kindOf(e))
		}
		if !Known(f, st.Method) {
			if f == Messaging {
				return nil, errf(MsgUnsupportedMethod, p, "%q is not a messaging SWML method", clip(st.Method))
			}
			return nil, errf(ErrMethodUndefined, p, "unknown method %q", clip(st.Method))
		}
		steps = append(steps, st)
	}
	return steps, nil
}

func wrongType(f Flavor) string {
	if f == Messaging {
		return MsgInvalidSectionFormat
	}
	return ErrElementWrongType
}

func missingName(f Flavor) string {
	if f == Messaging {
		return MsgUnsupportedMethod
	}
	return ErrMethodMissingName
}

func invalidValue(f Flavor) string {
	if f == Messaging {
		return MsgUnsupportedMethod
	}
	return ErrElementInvalidValue
}

func joinKeys(m map[string]any) string {
	var b []byte
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, k...)
	}
	return string(b)
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "empty"
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	}
	return "a scalar"
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}
