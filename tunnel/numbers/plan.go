package numbers

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Options choose the paths a number is pointed at. An empty path keeps the
// path and query of the URL the number had (only scheme and host change),
// or takes the default when it had none.
type Options struct {
	VoicePath, MessagePath, StatusPath string
}

// Default paths for a number or side with no webhook configured.
const (
	DefaultVoicePath   = "/voice"
	DefaultMessagePath = "/message"
	DefaultStatusPath  = "/status"
)

// Change is one field swhook sets. The restore puts From back only while
// the field still holds one of the values in Set: a field changed in the
// dashboard meanwhile is someone else's now.
type Change struct {
	Field string `json:"field"`
	// From is the value as read; nil when SignalWire had null (or "").
	From *string `json:"from"`
	// Path, for a URL field, is what follows the public base URL:
	// path, query and fragment (SignalWire's #ot=…&rt=… timeouts).
	Path string `json:"path,omitempty"`
	// Value, for a field that is not a URL (the handler type given to a
	// number that had none), is the value set.
	Value string `json:"value,omitempty"`
	// Set is every value swhook has written, oldest first: a re-point on
	// a new tunnel URL adds one, and a restore after a crash between the
	// record and the write still recognises either.
	Set []string `json:"set,omitempty"`
}

// To is the value the change writes for a public base URL.
func (c Change) To(base string) string {
	if c.Path == "" {
		return c.Value
	}
	return strings.TrimSuffix(base, "/") + c.Path
}

func (c Change) from() string {
	if c.From == nil {
		return ""
	}
	return *c.From
}

// Target is one thing swhook changes: a phone number's own fields, or a
// Fabric cXML/SWML webhook resource that numbers are routed to.
type Target struct {
	Kind Kind
	ID   string
	// Name is the number (E.164) or the resource's display name.
	Name string
	// Numbers are the listened-for numbers whose calls or messages it
	// serves; Others the project's other numbers it serves too (changing
	// a shared resource changes them all).
	Numbers []string
	Others  []string
	// Changes as planned from the fields read when the plan was made.
	Changes []Change

	opts Options
}

// Refusal is a number swhook will not point, and why.
type Refusal struct {
	Number  string
	Reasons []string
}

func (r Refusal) String() string {
	return r.Number + ": " + strings.Join(r.Reasons, "; ")
}

// Plan is what pointing the numbers changes, worked out before anything
// does.
type Plan struct {
	Targets []*Target
	Refused []Refusal
}

// Numbers are the numbers the plan points, in the order asked.
func (p *Plan) Numbers() []string {
	var out []string
	for _, t := range p.Targets {
		for _, n := range t.Numbers {
			if !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}

// Shared lists the targets that serve numbers beyond those asked for:
// changing them needs the user's yes.
func (p *Plan) Shared() []*Target {
	var out []*Target
	for _, t := range p.Targets {
		if len(t.Others) > 0 {
			out = append(out, t)
		}
	}
	return out
}

// handlers the phone-numbers API cannot write back (Fabric only): a number
// routed this way could not be put back after a change.
var fabricOnly = []string{"ai_agent", "call_flow", "fabric_subscriber", "sip_gateway", "call_queue"}

// Prepare looks every number up and plans its changes. A number not in the
// project is an error; one that cannot be pointed is in Refused.
func Prepare(ctx context.Context, c *Client, numbers []string, o Options) (*Plan, error) {
	p := &Plan{}
	byKey := map[string]*Target{}
	add := func(kind Kind, id, name, number string, changes []Change) {
		key := string(kind) + "/" + id
		t := byKey[key]
		if t == nil {
			t = &Target{Kind: kind, ID: id, Name: name, Changes: changes, opts: o}
			byKey[key] = t
			p.Targets = append(p.Targets, t)
		}
		if !slices.Contains(t.Numbers, number) {
			t.Numbers = append(t.Numbers, number)
		}
	}
	var all []Object // the project's numbers, read once when a resource is met
	for _, num := range numbers {
		n, err := c.FindNumber(ctx, num)
		if err != nil {
			return nil, err
		}
		var reasons []string
		type pending struct {
			kind     Kind
			id, name string
			changes  []Change
		}
		var todo []pending
		changes, why := numberChanges(n, o)
		reasons = append(reasons, why...)
		if len(changes) > 0 {
			todo = append(todo, pending{KindNumber, n.Str("id"), num, changes})
		}
		for _, side := range []struct{ field, what string }{
			{"calling_handler_resource_id", "calls"}, {"messaging_handler_resource_id", "messages"},
		} {
			rid := n.Str(side.field)
			if rid == "" {
				continue
			}
			if side.what == "calls" && slices.Contains(fabricOnly, n.Str("call_handler")) {
				continue // numberChanges said why
			}
			r, err := c.GetResource(ctx, rid)
			if err != nil {
				return nil, fmt.Errorf("read the Fabric resource %s that %s's %s go to: %w", rid, num, side.what, err)
			}
			kind := Kind(r.Str("type"))
			if kind != KindCXMLWebhook && kind != KindSWMLWebhook {
				reasons = append(reasons, fmt.Sprintf("its %s go to the Fabric %s %q: only cXML and SWML webhook resources have URLs swhook can point and put back", side.what, orUnknown(r.Str("type")), r.Str("display_name")))
				continue
			}
			ch, why := webhookChanges(kind, r.Obj(string(kind)), o)
			reasons = append(reasons, why...)
			todo = append(todo, pending{kind, rid, r.Str("display_name"), ch})
		}
		if len(reasons) > 0 {
			p.Refused = append(p.Refused, Refusal{Number: num, Reasons: reasons})
			continue
		}
		if len(todo) == 0 {
			p.Refused = append(p.Refused, Refusal{Number: num, Reasons: []string{"it has neither voice nor messaging capability"}})
			continue
		}
		for _, t := range todo {
			if t.kind != KindNumber && all == nil {
				if all, err = c.ListNumbers(ctx, ""); err != nil {
					return nil, fmt.Errorf("list the project's numbers to see who else uses %q: %w", t.name, err)
				}
			}
			add(t.kind, t.id, t.name, num, t.changes)
		}
	}
	for _, t := range p.Targets {
		if t.Kind == KindNumber {
			continue
		}
		for _, n := range all {
			if (n.Str("calling_handler_resource_id") == t.ID || n.Str("messaging_handler_resource_id") == t.ID) &&
				!slices.Contains(t.Numbers, n.Str("number")) && !slices.Contains(t.Others, n.Str("number")) {
				t.Others = append(t.Others, n.Str("number"))
			}
		}
	}
	return p, nil
}

func orUnknown(s string) string {
	if s == "" {
		return "resource of unknown type"
	}
	return s
}

// plan recomputes a target's changes from its fields as read now.
func (t *Target) plan(fields Object) ([]Change, []string) {
	if t.Kind == KindNumber {
		return numberChanges(fields, t.opts)
	}
	return webhookChanges(t.Kind, fields, t.opts)
}

func has(caps []string, any ...string) bool {
	if len(caps) == 0 {
		return true // not said: assume it can
	}
	for _, c := range caps {
		if slices.Contains(any, c) {
			return true
		}
	}
	return false
}

// numberChanges plans the changes to a phone number's own fields: the
// sides (calls, messages) not routed to a Fabric resource. Reasons say why
// a side cannot be pointed.
func numberChanges(n Object, o Options) ([]Change, []string) {
	var out []Change
	var why []string
	caps := n.Strings("capabilities")
	if n.Str("calling_handler_resource_id") == "" && has(caps, "voice") || slices.Contains(fabricOnly, n.Str("call_handler")) {
		switch h := n.Str("call_handler"); {
		case h == "laml_webhooks":
			out = append(out, urlChange(n, "call_request_url", o.VoicePath, DefaultVoicePath))
			if n.Str("call_status_callback_url") != "" || o.StatusPath != "" {
				out = append(out, urlChange(n, "call_status_callback_url", o.StatusPath, DefaultStatusPath))
			}
		case h == "relay_script":
			out = append(out, urlChange(n, "call_relay_script_url", o.VoicePath, DefaultVoicePath))
		case h == "":
			out = append(out, Change{Field: "call_handler", Value: "laml_webhooks"},
				urlChange(n, "call_request_url", o.VoicePath, DefaultVoicePath),
				urlChange(n, "call_status_callback_url", o.StatusPath, DefaultStatusPath))
		case slices.Contains(fabricOnly, h):
			why = append(why, fmt.Sprintf("its calls go to a %s, a handler only Fabric can set: the phone-numbers API could not put it back after a change", h))
		default:
			why = append(why, fmt.Sprintf("its calls go to a %s%s, not to a URL: swhook keeps a number's handler type and points only webhook URLs (laml_webhooks, relay_script, or a cXML/SWML webhook resource)", h, handlerDetail(n, h)))
		}
	}
	if n.Str("messaging_handler_resource_id") == "" && has(caps, "sms", "mms") {
		switch h := n.Str("message_handler"); h {
		case "laml_webhooks":
			out = append(out, urlChange(n, "message_request_url", o.MessagePath, DefaultMessagePath))
		case "":
			out = append(out, Change{Field: "message_handler", Value: "laml_webhooks"},
				urlChange(n, "message_request_url", o.MessagePath, DefaultMessagePath))
		default:
			why = append(why, fmt.Sprintf("its messages go to a %s%s, not to a URL: swhook keeps a number's handler type", h, handlerDetail(n, "message_"+h)))
		}
	}
	for i := range out {
		if v := n.Str(out[i].Field); v != "" {
			out[i].From = &v
		}
	}
	return out, why
}

// handlerDetail names where a non-URL handler sends calls, for the reason.
func handlerDetail(n Object, h string) string {
	field := map[string]string{
		"relay_context": "call_relay_context", "relay_topic": "call_relay_topic",
		"relay_application": "call_relay_application", "laml_application": "call_laml_application_id",
		"dialogflow": "call_dialogflow_agent_id", "video_room": "call_video_room_id",
		"relay_connector": "call_relay_connector_id", "relay_sip_endpoint": "call_sip_endpoint_id",
		"relay_verto_endpoint":  "call_verto_resource",
		"message_relay_context": "message_relay_context", "message_relay_topic": "message_relay_topic",
		"message_laml_application": "message_laml_application_id",
	}[h]
	if v := n.Str(field); field != "" && v != "" {
		return fmt.Sprintf(" (%s)", v)
	}
	return ""
}

// webhookChanges plans the changes to a Fabric cXML/SWML webhook: the
// primary URL and an existing status callback URL; the fallback stays.
func webhookChanges(kind Kind, w Object, o Options) ([]Change, []string) {
	voice, def := o.VoicePath, DefaultVoicePath
	if w.Str("used_for") == "messaging" {
		voice, def = o.MessagePath, DefaultMessagePath
	}
	out := []Change{urlChange(w, "primary_request_url", voice, def)}
	if w.Str("status_callback_url") != "" {
		out = append(out, urlChange(w, "status_callback_url", o.StatusPath, DefaultStatusPath))
	}
	for i := range out {
		if v := w.Str(out[i].Field); v != "" {
			out[i].From = &v
		}
	}
	return out, nil
}

// urlChange points field at the tunnel: at path when given, else at the
// original URL's path, query and fragment, else at def.
func urlChange(o Object, field, path, def string) Change {
	if path == "" {
		path = def
		if orig := o.Str(field); orig != "" {
			if u, err := url.Parse(orig); err == nil && u.Host != "" {
				path = u.EscapedPath()
				if path == "" {
					path = "/"
				}
				if u.RawQuery != "" || u.ForceQuery {
					path += "?" + u.RawQuery
				}
				if u.Fragment != "" {
					path += "#" + u.EscapedFragment()
				}
			}
		}
	}
	return Change{Field: field, Path: path}
}

// CleanPath checks a --voice-path style value and gives it a leading "/".
func CleanPath(p string) (string, error) {
	if p == "" {
		return "", nil
	}
	if strings.Contains(p, "://") {
		return "", fmt.Errorf("%q is a URL; give only the path (the tunnel's URL goes in front)", p)
	}
	if strings.ContainsAny(p, " \t\r\n") {
		return "", fmt.Errorf("%q has spaces; percent-encode them", p)
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return p, nil
}

// Lines describe the plan for a public base URL: one line per change, as
// --dry-run prints it.
func (p *Plan) Lines(base string) []string {
	var out []string
	for _, t := range p.Targets {
		out = append(out, t.Title()+":")
		for _, c := range t.Changes {
			from := "(empty)"
			if c.From != nil {
				from = *c.From
			}
			out = append(out, fmt.Sprintf("  %s: %s → %s", c.Field, from, c.To(base)))
		}
	}
	return out
}

// Title names a target for a person: the number, or the resource and the
// numbers behind it.
func (t *Target) Title() string {
	return title(t.Kind, t.Name, t.Numbers, t.Others)
}

func title(kind Kind, name string, numbers, others []string) string {
	switch kind {
	case KindNumber:
		return name
	}
	what := map[Kind]string{KindCXMLWebhook: "cXML webhook", KindSWMLWebhook: "SWML webhook"}[kind]
	s := fmt.Sprintf("%s %q (Fabric resource for %s", what, name, strings.Join(numbers, ", "))
	if len(others) > 0 {
		s += "; also serves " + strings.Join(others, ", ")
	}
	return s + ")"
}
