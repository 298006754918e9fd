package numbers

import (
	"context"
	"fmt"
	"net/url"
	"strings"
)

// Object is a JSON object as SignalWire sent it. Phone numbers and Fabric
// resources are kept whole, so a restore record holds every field as read,
// not only those this version of swhook knows.
type Object map[string]any

// Str is the string field k; "" when it is null, absent or not a string.
func (o Object) Str(k string) string {
	s, _ := o[k].(string)
	return s
}

// Obj is the object field k (a Fabric resource's cxml_webhook, …).
func (o Object) Obj(k string) Object {
	m, _ := o[k].(map[string]any)
	return Object(m)
}

// Strings is the string-array field k (a number's capabilities).
func (o Object) Strings(k string) []string {
	a, _ := o[k].([]any)
	var out []string
	for _, v := range a {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

const (
	phoneNumbersPath = "/api/relay/rest/phone_numbers"
	resourcesPath    = "/api/fabric/resources"
	// maxPages bounds a list that keeps sending "next" links.
	maxPages = 1000
)

type listPage struct {
	Links struct {
		Next string `json:"next"`
	} `json:"links"`
	Data []Object `json:"data"`
}

// ListNumbers returns the project's phone numbers, every page. filter,
// when not empty, is filter_number: SignalWire matches it as a substring.
func (c *Client) ListNumbers(ctx context.Context, filter string) ([]Object, error) {
	q := url.Values{"page_size": {"100"}}
	if filter != "" {
		q.Set("filter_number", filter)
	}
	next := phoneNumbersPath + "?" + q.Encode()
	var all []Object
	for page := 0; next != "" && page < maxPages; page++ {
		var p listPage
		if err := c.do(ctx, "GET", next, nil, &p, scopeNumbers); err != nil {
			return nil, err
		}
		all = append(all, p.Data...)
		next = p.Links.Next
	}
	return all, nil
}

// NotInProjectError is a number the project does not hold.
type NotInProjectError struct {
	Number, Project, Space string
}

func (e *NotInProjectError) Error() string {
	return fmt.Sprintf("%s is not a phone number of project %s on %s (`swhook numbers` lists the project's numbers)", e.Number, e.Project, e.Space)
}

// FindNumber looks a number up by its E.164 form.
func (c *Client) FindNumber(ctx context.Context, e164 string) (Object, error) {
	list, err := c.ListNumbers(ctx, e164)
	if err != nil {
		return nil, err
	}
	for _, n := range list {
		if n.Str("number") == e164 {
			return n, nil
		}
	}
	return nil, &NotInProjectError{Number: e164, Project: c.creds.Project, Space: c.base.Host}
}

// GetNumber reads one phone number by ID.
func (c *Client) GetNumber(ctx context.Context, id string) (Object, error) {
	var n Object
	err := c.do(ctx, "GET", phoneNumbersPath+"/"+url.PathEscape(id), nil, &n, scopeNumbers)
	return n, err
}

// UpdateNumber changes the given fields of a phone number (PUT with only
// those fields) and returns the number as SignalWire now holds it.
func (c *Client) UpdateNumber(ctx context.Context, id string, fields map[string]any) (Object, error) {
	var n Object
	err := c.do(ctx, "PUT", phoneNumbersPath+"/"+url.PathEscape(id), fields, &n, scopeNumbers)
	return n, err
}

// GetResource reads any Fabric resource: its "type" says what it is.
func (c *Client) GetResource(ctx context.Context, id string) (Object, error) {
	var r Object
	err := c.do(ctx, "GET", resourcesPath+"/"+url.PathEscape(id), nil, &r, scopeFabric)
	return r, err
}

func webhookPath(kind Kind, id string) (string, error) {
	switch kind {
	case KindCXMLWebhook, KindSWMLWebhook:
		return resourcesPath + "/" + string(kind) + "s/" + url.PathEscape(id), nil
	}
	return "", fmt.Errorf("%s is not a Fabric webhook resource", kind)
}

// GetWebhook reads a cXML or SWML webhook resource.
func (c *Client) GetWebhook(ctx context.Context, kind Kind, id string) (Object, error) {
	p, err := webhookPath(kind, id)
	if err != nil {
		return nil, err
	}
	var r Object
	err = c.do(ctx, "GET", p, nil, &r, scopeFabric)
	return r, err
}

// UpdateWebhook changes the given fields of a webhook resource (PATCH).
func (c *Client) UpdateWebhook(ctx context.Context, kind Kind, id string, fields map[string]any) (Object, error) {
	p, err := webhookPath(kind, id)
	if err != nil {
		return nil, err
	}
	var r Object
	err = c.do(ctx, "PATCH", p, fields, &r, scopeFabric)
	return r, err
}

// Kind is what a restore record changes.
type Kind string

const (
	KindNumber      Kind = "phone_number"
	KindCXMLWebhook Kind = "cxml_webhook"
	KindSWMLWebhook Kind = "swml_webhook"
)

// readTarget returns the routing fields of a target as SignalWire holds
// them now: a number's own fields, or a resource's cxml_webhook/swml_webhook
// object; whole is the full answer, for the record.
func (c *Client) readTarget(ctx context.Context, kind Kind, id string) (fields, whole Object, err error) {
	if kind == KindNumber {
		n, err := c.GetNumber(ctx, id)
		return n, n, err
	}
	r, err := c.GetWebhook(ctx, kind, id)
	if err != nil {
		return nil, nil, err
	}
	return r.Obj(string(kind)), r, nil
}

// writeTarget changes fields of a target and returns its routing fields
// as SignalWire answered them.
func (c *Client) writeTarget(ctx context.Context, kind Kind, id string, fields map[string]any) (Object, error) {
	if kind == KindNumber {
		return c.UpdateNumber(ctx, id, fields)
	}
	r, err := c.UpdateWebhook(ctx, kind, id, fields)
	if err != nil {
		return nil, err
	}
	return r.Obj(string(kind)), nil
}

// E164 checks a --number value and returns it in E.164 form (spaces,
// dashes, dots and brackets dropped).
func E164(s string) (string, error) {
	r := strings.NewReplacer(" ", "", "-", "", ".", "", "(", "", ")", "")
	n := r.Replace(strings.TrimSpace(s))
	if !strings.HasPrefix(n, "+") {
		return "", fmt.Errorf("%q is not an E.164 number: give it with + and the country code, e.g. +15551234567", s)
	}
	digits := n[1:]
	if len(digits) < 5 || len(digits) > 15 {
		return "", fmt.Errorf("%q is not an E.164 number (+ then 5 to 15 digits)", s)
	}
	for _, d := range digits {
		if d < '0' || d > '9' {
			return "", fmt.Errorf("%q is not an E.164 number (+ then digits only)", s)
		}
	}
	return n, nil
}
