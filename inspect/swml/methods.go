package swml

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// The methods SignalWire documents
// (fern/products/swml/pages/reference/methods/calling and .../messaging).
var callingMethods = map[string]bool{
	"ai": true, "ai_sidecar": true, "amazon_bedrock": true, "answer": true, "cond": true,
	"connect": true, "denoise": true, "detect_machine": true, "enter_queue": true,
	"execute": true, "goto": true, "hangup": true, "join_conference": true, "join_room": true,
	"label": true, "live_transcribe": true, "live_translate": true, "pay": true, "play": true,
	"prompt": true, "receive_fax": true, "record": true, "record_call": true, "request": true,
	"return": true, "send_digits": true, "send_fax": true, "send_sms": true, "set": true,
	"sip_refer": true, "sleep": true, "stop_denoise": true, "stop_record_call": true,
	"stop_stream": true, "stop_tap": true, "stream": true, "switch": true, "tap": true,
	"transcribe": true, "transcribe_stop": true, "transfer": true, "unset": true,
	"user_event": true,
}

var messagingMethods = map[string]bool{
	"execute": true, "goto": true, "label": true, "receive": true, "reply": true,
	"request": true, "return": true, "switch": true, "transfer": true,
}

// Known says whether SignalWire runs method in documents of flavor f.
func Known(f Flavor, method string) bool {
	if f == Messaging {
		return messagingMethods[method]
	}
	return callingMethods[method]
}

// checked are the methods whose parameters the validator looks into (or
// whose values hold further steps); every other known method is accepted
// whatever its parameters.
var checked = map[string]bool{
	"cond": true, "connect": true, "execute": true, "goto": true, "play": true, "prompt": true,
	"reply": true, "request": true, "set": true, "switch": true, "transfer": true, "unset": true,
}

// Unchecked says whether a step of method is valid whatever its parameters
// (when they hold no expression): listen's fast answer check vouches for
// documents made only of such steps without decoding them.
func Unchecked(f Flavor, method string) bool {
	return Known(f, method) && !checked[method]
}

var httpMethods = map[Flavor]map[string]bool{
	Calling:   {"GET": true, "POST": true, "PUT": true, "DELETE": true},
	Messaging: {"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true},
}

var transforms = map[string]bool{"lowercase": true, "uppercase": true, "trim": true, "lowercase_trim": true, "uppercase_trim": true}

// validator checks the parameters SignalWire rejects before or while
// running a step: missing required ones, wrong shapes, sections and labels
// that do not exist, malformed expressions.
type validator struct {
	flavor Flavor
	doc    *Document
}

func (v *validator) code(calling, messaging string) string {
	if v.flavor == Messaging && messaging != "" {
		return messaging
	}
	return calling
}

func (v *validator) steps(steps []Step, section string, depth int) error {
	if depth > MaxDepth {
		code := v.code(ErrNestedTooDeep, MsgUnsupportedMethod)
		path := ""
		if len(steps) > 0 {
			path = steps[0].Path
		}
		return errf(code, path, "steps nest more than %d levels deep", MaxDepth)
	}
	for _, st := range steps {
		if err := v.step(st, section, steps, depth); err != nil {
			return err
		}
	}
	return nil
}

func (v *validator) nested(val any, path, section string, depth int) error {
	steps, err := StepsOf(val, path, v.flavor)
	if err != nil {
		return err
	}
	return v.steps(steps, section, depth+1)
}

func (v *validator) step(st Step, section string, siblings []Step, depth int) error {
	p := st.Path + "." + st.Method
	if !aiMethods[st.Method] {
		// An AI agent's SWAIG data_map templates are the AI engine's, with
		// their own ${...} syntax; SWML does not evaluate them.
		if err := v.expressions(st.Params, p); err != nil {
			return err
		}
	}
	m := Object(st.Params)
	missing := func(name string) error {
		return errf(v.code(ErrMethodParameterMissing, ""), p, "%s needs %s", st.Method, name)
	}
	switch st.Method {
	case "transfer":
		dest, ok := m["dest"].(string)
		if !ok || dest == "" {
			if v.flavor == Messaging {
				return errf(MsgTransferFailed, p, "transfer needs dest, the URL of the next document")
			}
			return missing("dest")
		}
		if v.flavor == Messaging {
			if !IsURL(dest) && !HasExpression(dest) {
				return errf(MsgTransferFailed, p, "in messaging SWML transfer.dest must be a URL, not %q", clip(dest))
			}
			return nil
		}
		return v.dest(dest, p, "transfer")
	case "execute":
		dest, ok := m["dest"].(string)
		if !ok || dest == "" {
			return missing("dest")
		}
		if err := v.dest(dest, p, "execute"); err != nil {
			return err
		}
		if r, ok := m["on_return"]; ok {
			return v.nested(r, p+".on_return", section, depth)
		}
	case "request":
		url, ok := m["url"].(string)
		if !ok || url == "" {
			if v.flavor == Messaging {
				return errf(MsgRequestURLRequired, p, "request needs url")
			}
			return missing("url")
		}
		method, ok := m["method"].(string)
		if !ok {
			if v.flavor == Calling {
				return missing("method (GET, POST, PUT or DELETE)")
			}
			return nil
		}
		if !httpMethods[v.flavor][strings.ToUpper(method)] && !HasExpression(method) {
			return errf(v.code(ErrMethodParameterInvalid, MsgRequestURLRequired), p, "request.method %q is not an HTTP method SignalWire sends", clip(method))
		}
	case "goto":
		label, ok := m["label"].(string)
		if !ok || label == "" {
			return missing("label")
		}
		found := false
		for _, s := range siblings {
			if s.Method == "label" && s.Params == label {
				found = true
			}
		}
		if v.doc != nil {
			for _, s := range v.doc.Sections[section] {
				if s.Method == "label" && s.Params == label {
					found = true
				}
			}
		}
		if !found && !HasExpression(label) {
			return errf(v.code(ErrMethodParameterInvalid, MsgGotoLabelNotFound), p, "no label %q in this section (goto stays within its section)", clip(label))
		}
		if mx, ok := m["max"].(float64); ok && (mx < 1 || mx > 100) {
			return errf(v.code(ErrMethodParameterInvalid, ""), p, "goto.max must be 1 to 100, not %s", strconv.FormatFloat(mx, 'g', -1, 64))
		}
		if w, ok := m["when"].(string); ok && v.flavor == Calling {
			if err := checkWhen(w); err != nil {
				return errf(ErrJSEval, p+".when", "%s", err)
			}
		}
	case "switch":
		if m == nil {
			return errf(v.code(ErrElementWrongType, MsgSwitchNoMatch), p, "switch takes an object with variable and case")
		}
		if _, ok := m["variable"].(string); !ok {
			return missing("variable")
		}
		if t, ok := m["transform"].(string); ok && v.flavor == Messaging && !transforms[t] {
			return errf(MsgSwitchInvalidTransform, p, "switch.transform %q is not lowercase, uppercase, trim, lowercase_trim or uppercase_trim", clip(t))
		}
		cases, ok := m["case"].(map[string]any)
		if !ok {
			if _, has := m["case"]; has || v.flavor == Calling {
				return errf(v.code(ErrMethodParameterMissing, MsgSwitchNoMatch), p, "switch needs case, an object of value: [methods]")
			}
		}
		for _, k := range slices.Sorted(maps.Keys(cases)) {
			if err := v.nested(cases[k], p+".case."+k, section, depth); err != nil {
				return err
			}
		}
		if d, ok := m["default"]; ok {
			return v.nested(d, p+".default", section, depth)
		}
	case "cond":
		list, ok := st.Params.([]any)
		if !ok {
			return errf(ErrElementWrongType, p, "cond takes a list of {when, then} and one {else}")
		}
		for i, e := range list {
			cp := p + "[" + strconv.Itoa(i) + "]"
			c, ok := e.(map[string]any)
			if !ok {
				return errf(ErrElementWrongType, cp, "a cond entry is {when, then} or {else}, not %s", kindOf(e))
			}
			if els, ok := c["else"]; ok {
				if err := v.nested(els, cp+".else", section, depth); err != nil {
					return err
				}
				continue
			}
			w, ok := c["when"].(string)
			if !ok {
				return errf(ErrMethodParameterMissing, cp, "a cond entry needs when (a JavaScript condition) or else")
			}
			if err := checkWhen(w); err != nil {
				return errf(ErrJSEval, cp+".when", "%s", err)
			}
			th, ok := c["then"]
			if !ok {
				return errf(ErrMethodParameterMissing, cp, "a cond entry with when needs then")
			}
			if err := v.nested(th, cp+".then", section, depth); err != nil {
				return err
			}
		}
	case "play":
		_, url := m["url"]
		_, urls := m["urls"]
		switch {
		case url && urls:
			return errf(ErrMethodParameterConflict, p, "play takes url or urls, not both")
		case !url && !urls:
			if _, ok := st.Params.(string); !ok {
				return missing("url or urls")
			}
		}
	case "prompt":
		if _, ok := m["play"]; !ok {
			return missing("play")
		}
	case "connect":
		_, to := m["to"]
		_, par := m["parallel"]
		_, ser := m["serial"]
		_, serpar := m["serial_parallel"]
		if !to && !par && !ser && !serpar {
			return missing("to (or parallel, serial)")
		}
	case "set":
		if _, ok := st.Params.(map[string]any); !ok {
			return errf(ErrElementWrongType, p, "set takes an object of name: value, not %s", kindOf(st.Params))
		}
	case "unset":
		switch x := st.Params.(type) {
		case string:
		case []any:
			for _, e := range x {
				if _, ok := e.(string); !ok {
					return errf(ErrElementWrongType, p, "unset takes variable names")
				}
			}
		default:
			return errf(ErrElementWrongType, p, "unset takes a variable name or a list of them, not %s", kindOf(st.Params))
		}
	case "reply":
		return v.reply(st.Params, p)
	}
	return nil
}

// aiMethods hold agent configuration whose templates SWML leaves alone.
var aiMethods = map[string]bool{"ai": true, "ai_sidecar": true, "amazon_bedrock": true}

// Object is a method's parameters as an object. Besides the usual object,
// SignalWire's documents show a list of one-member objects
// (transfer: [{dest: ...}, {params: [{foo: bar}]}]); it reads as their
// union.
func Object(v any) map[string]any {
	switch x := v.(type) {
	case map[string]any:
		return x
	case []any:
		out := map[string]any{}
		for _, e := range x {
			m, ok := e.(map[string]any)
			if !ok {
				return nil
			}
			for k, val := range m {
				if k == "params" {
					if list, ok := val.([]any); ok {
						val = Object(list)
					}
				}
				out[k] = val
			}
		}
		return out
	}
	return nil
}

// checkWhen checks a cond or goto condition: JavaScript, in which
// placeholders are substituted first (the docs warn against them, but
// show '${prompt_value} == 1').
func checkWhen(w string) error {
	if HasExpression(w) {
		parts, err := SplitTemplate(w, Calling)
		if err != nil {
			return err
		}
		for _, pt := range parts {
			if pt.Expr != "" && !pt.Path {
				if err := checkJS(pt.Expr); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return checkJS(w)
}

// params validates a value that is not inside a step (a top-level reply).
func (v *validator) params(method string, val any, path string, depth int) error {
	return v.step(Step{Method: method, Params: val, Path: ""}, "", nil, depth)
}

func (v *validator) reply(val any, p string) error {
	switch x := val.(type) {
	case string:
		return nil
	case map[string]any:
		if sw, ok := x["switch"].(map[string]any); ok {
			if t, ok := sw["transform"].(string); ok && !transforms[t] {
				return errf(MsgSwitchInvalidTransform, p, "switch.transform %q is not lowercase, uppercase, trim, lowercase_trim or uppercase_trim", clip(t))
			}
			return nil
		}
		body, hasBody := x["body"]
		media, hasMedia := x["media"].([]any)
		if (!hasBody || body == "") && len(media) == 0 {
			return errf(MsgReplyBodyOrMedia, p, "reply needs body or media")
		}
		if hasMedia && len(media) > 8 {
			return errf(MsgReplyMediaLimit, p, "reply has %d media; the limit is 8", len(media))
		}
		return nil
	}
	return errf(MsgReplyBodyOrMedia, p, "reply takes a body string or an object with body or media")
}

// dest checks a transfer or execute destination: a section of this
// document, a URL, or an inline JSON document.
func (v *validator) dest(dest, p, method string) error {
	d := strings.TrimSpace(dest)
	switch {
	case IsURL(d), HasExpression(d), strings.HasPrefix(d, "relay:"):
		return nil
	case strings.HasPrefix(d, "{"):
		top, err := Decode([]byte(d))
		if err != nil {
			return errf(ErrParse, p+".dest", "inline SWML: %s", err.(*Error).Msg)
		}
		if _, err := callingDocument(top); err != nil {
			e := err.(*Error)
			return errf(e.Code, p+".dest", "inline SWML: %s", e.Msg)
		}
		return nil
	}
	if v.doc != nil && v.doc.Sections != nil {
		if _, ok := v.doc.Sections[d]; !ok {
			if v.flavor == Messaging {
				return errf(MsgSectionNotFound, p, "%s.dest %q is not a section of this document", method, clip(d))
			}
			return errf(ErrSectionUndefined, p, "%s.dest %q is not a section of this document, nor a URL", method, clip(d))
		}
	}
	return nil
}

// IsURL says whether s is an http or https URL, as transfer, execute and
// request accept them.
func IsURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://")
}

// expressions checks every string in val for a malformed ${...} or %{...}.
func (v *validator) expressions(val any, p string) error {
	switch x := val.(type) {
	case string:
		parts, err := SplitTemplate(x, v.flavor)
		if err != nil {
			return errf(v.code(ErrJSEval, ""), p, "%s", err)
		}
		if v.flavor == Calling {
			for _, pt := range parts {
				if pt.Expr != "" && !pt.Path {
					if err := checkJS(pt.Expr); err != nil {
						return errf(ErrJSEval, p, "${%s}: %s", clip(pt.Expr), err)
					}
				}
			}
		}
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if err := v.expressions(x[k], p+"."+k); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range x {
			if err := v.expressions(e, p+"["+strconv.Itoa(i)+"]"); err != nil {
				return err
			}
		}
	}
	return nil
}
