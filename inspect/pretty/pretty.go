// Package pretty turns a webhook body into something a person can read —
// form parameters as a table, JSON and XML indented — for `swhook show` and
// the live view's detail pane. It never changes what is stored or sent.
package pretty

// Param is one form parameter, in submission order.
type Param struct {
	Name, Value string
}

// Params parses a form-encoded body (or a query string) into its
// parameters, in order, values decoded. ok is false when the body is not a
// form (wrong content type or undecodable).
func Params(contentType string, body []byte) (params []Param, ok bool) {
	panic("pretty.Params: not built yet")
}

// Body returns the body indented for reading according to its content type
// (form, JSON, XML; anything else as text, binary as a hex dump excerpt).
// The result is not yet terminal-safe: pass it through termsafe.Text.
func Body(contentType string, body []byte) string {
	panic("pretty.Body: not built yet")
}
