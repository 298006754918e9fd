package numbers

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/swhook/swhook/inspect/termsafe"
)

// Listed is one phone number as `swhook numbers` shows it: where its
// calls and messages go, and whether swhook has it re-pointed. The JSON
// tags are `swhook numbers --json`'s fields.
type Listed struct {
	Number    string   `json:"number"`
	ID        string   `json:"id"`
	Name      string   `json:"name,omitempty"`
	Calls     *Route   `json:"calls,omitempty"`
	Messages  *Route   `json:"messages,omitempty"`
	Repointed *Repoint `json:"repointed,omitempty"`
}

// Route is where one kind of a number's traffic goes: a handler type with
// its URLs, another target (a Relay context, an AI agent's ID, …), or a
// Fabric resource.
type Route struct {
	Handler           string    `json:"handler"`
	URL               string    `json:"url,omitempty"`
	Method            string    `json:"method,omitempty"`
	FallbackURL       string    `json:"fallback_url,omitempty"`
	StatusCallbackURL string    `json:"status_callback_url,omitempty"`
	Target            string    `json:"target,omitempty"`
	Resource          *Resource `json:"resource,omitempty"`
}

// Resource is the Fabric resource a number is routed to.
type Resource struct {
	ID   string `json:"id"`
	Type string `json:"type,omitempty"`
	Name string `json:"name,omitempty"`
	// URL is a cXML/SWML webhook's primary_request_url.
	URL string `json:"url,omitempty"`
}

// Repoint says which restore record holds a number and whether the
// listen that wrote it still runs: one that does not left it pointed.
type Repoint struct {
	Record    string    `json:"record"`
	PID       int       `json:"pid"`
	Since     time.Time `json:"since"`
	TunnelURL string    `json:"tunnel_url"`
	Running   bool      `json:"running"`
}

// List reads the project's numbers and the Fabric resources they are
// routed to; records (this project's restore records, from Records.List)
// mark those swhook has re-pointed, host deciding whether their listen
// still runs. A resource that cannot be read is still listed by its ID.
func (c *Client) List(ctx context.Context, records []*Record, host string) ([]Listed, error) {
	list, err := c.ListNumbers(ctx, "")
	if err != nil {
		return nil, err
	}
	resources := map[string]Object{}
	resource := func(id string) *Resource {
		r, ok := resources[id]
		if !ok {
			r, _ = c.GetResource(ctx, id) // the list still shows the ID without it
			resources[id] = r
		}
		return &Resource{ID: id, Type: r.Str("type"), Name: r.Str("display_name"), URL: r.Obj(r.Str("type")).Str("primary_request_url")}
	}
	out := []Listed{}
	for _, n := range list {
		l := Listed{Number: n.Str("number"), ID: n.Str("id"), Name: n.Str("name")}
		caps := n.Strings("capabilities")
		if len(caps) == 0 || slices.Contains(caps, "voice") || n.Str("call_handler") != "" {
			l.Calls = callRoute(n, resource)
		}
		if len(caps) == 0 || slices.Contains(caps, "sms") || slices.Contains(caps, "mms") || n.Str("message_handler") != "" {
			l.Messages = messageRoute(n, resource)
		}
		for _, r := range records {
			if slices.Contains(r.Numbers, l.Number) && r.Project == c.Project() {
				l.Repointed = &Repoint{Record: r.Path(), PID: r.PID, Since: r.Created.UTC(), TunnelURL: r.TunnelURL, Running: r.OwnerAlive(host)}
				break
			}
		}
		out = append(out, l)
	}
	return out, nil
}

func callRoute(n Object, resource func(string) *Resource) *Route {
	r := &Route{Handler: n.Str("call_handler")}
	if id := n.Str("calling_handler_resource_id"); id != "" {
		r.Resource = resource(id)
	}
	switch r.Handler {
	case "laml_webhooks":
		r.URL, r.Method = n.Str("call_request_url"), n.Str("call_request_method")
		r.FallbackURL, r.StatusCallbackURL = n.Str("call_fallback_url"), n.Str("call_status_callback_url")
	case "relay_script":
		r.URL = n.Str("call_relay_script_url")
	default:
		r.Target = firstField(n, "call_relay_context", "call_relay_topic", "call_relay_application", "call_laml_application_id",
			"call_dialogflow_agent_id", "call_video_room_id", "call_relay_connector_id", "call_sip_endpoint_id", "call_verto_resource")
	}
	return r
}

func messageRoute(n Object, resource func(string) *Resource) *Route {
	r := &Route{Handler: n.Str("message_handler")}
	if id := n.Str("messaging_handler_resource_id"); id != "" {
		r.Resource = resource(id)
	}
	switch r.Handler {
	case "laml_webhooks":
		r.URL, r.Method, r.FallbackURL = n.Str("message_request_url"), n.Str("message_request_method"), n.Str("message_fallback_url")
	default:
		r.Target = firstField(n, "message_relay_context", "message_relay_topic", "message_laml_application_id")
	}
	return r
}

// firstField is the first of fields n has a string in.
func firstField(n Object, fields ...string) string {
	for _, f := range fields {
		if v := n.Str(f); v != "" {
			return v
		}
	}
	return ""
}

// WriteList writes the list as `swhook numbers` prints it; every value
// from SignalWire is made terminal-safe.
func WriteList(w io.Writer, list []Listed) {
	if len(list) == 0 {
		fmt.Fprintln(w, "no phone numbers in this project")
		return
	}
	for i, n := range list {
		if i > 0 {
			fmt.Fprintln(w)
		}
		head := n.Number
		if n.Name != "" {
			head += "  " + n.Name
		}
		if n.Repointed != nil {
			head += "  ← re-pointed by swhook"
		}
		fmt.Fprintln(w, termsafe.String(head))
		writeRoute(w, "calls", n.Calls)
		writeRoute(w, "messages", n.Messages)
		// The re-pointed state and a resource's ID and URL go on lines
		// of their own, so each line fits 80 columns.
		if p := n.Repointed; p != nil {
			state := []string{fmt.Sprintf("swhook listen (pid %d) has it pointed at %s", p.PID, p.TunnelURL),
				"  since " + p.Since.Format(time.RFC3339)}
			if !p.Running {
				state = []string{"pointed at " + p.TunnelURL + " by a swhook listen that ended",
					fmt.Sprintf("  without restoring (pid %d, since %s);", p.PID, p.Since.Format(time.RFC3339)),
					"  `swhook numbers restore " + n.Number + "` puts it back"}
			}
			for _, l := range state {
				fmt.Fprintln(w, termsafe.String("  "+l))
			}
		}
	}
}

func writeRoute(w io.Writer, what string, r *Route) {
	if r == nil {
		return
	}
	h := r.Handler
	if h == "" {
		h = "(none)"
	}
	line := fmt.Sprintf("  %-9s %-14s", what, h)
	switch {
	case r.Resource != nil:
		typ := r.Resource.Type
		if typ == "" {
			typ = "resource"
		}
		line += fmt.Sprintf(" Fabric %s %q", typ, r.Resource.Name)
	case r.URL != "":
		line += " " + r.URL
	case r.Target != "":
		line += " " + r.Target
	case r.Handler == "laml_webhooks" || r.Handler == "relay_script":
		line += " (no URL)"
	}
	if r.Method != "" && r.Method != "POST" && r.Resource == nil {
		line += " [" + r.Method + "]"
	}
	fmt.Fprintln(w, termsafe.String(strings.TrimRight(line, " ")))
	sub := func(label, url string) {
		fmt.Fprintln(w, termsafe.String(fmt.Sprintf("  %-9s %-14s %s", "", label, url)))
	}
	if r.Resource != nil {
		sub("resource", r.Resource.ID)
		if r.Resource.URL != "" {
			sub("url", r.Resource.URL)
		}
	}
	if r.Resource == nil && r.StatusCallbackURL != "" {
		sub("status", r.StatusCallbackURL)
	}
	if r.Resource == nil && r.FallbackURL != "" {
		sub("fallback", r.FallbackURL)
	}
}
