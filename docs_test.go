package main

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/swhook/swhook/inspect/exchange"
)

// docs/exchange.md documents every field of the exchange JSON; a field
// added to exchange.Exchange without a line there, or a line left behind
// for a field that is gone, fails here. A field the JSON leaves out when
// empty (omitempty, omitzero) is marked *omitted* in the doc, and only those.
func TestExchangeDocCoversEveryField(t *testing.T) {
	doc, err := os.ReadFile("docs/exchange.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range exchangeDocMismatches(string(doc)) {
		t.Error(v)
	}
}

// docField is one JSON member as the code or the doc has it.
type docField struct {
	section, name string
	omitted       bool
}

// exchangeFields lists the JSON members of the exchange by the code: the
// top level in section "The exchange", the members of each object-valued
// member in a section named after it. Body fields gain the body_encoding
// their MarshalJSON writes beside them.
func exchangeFields() []docField {
	var out []docField
	var walk func(section string, t reflect.Type)
	walk = func(section string, t reflect.Type) {
		for f := range t.Fields() {
			tag := f.Tag.Get("json")
			name, opts, _ := strings.Cut(tag, ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			out = append(out, docField{section, name, strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")})
			if f.Type == reflect.TypeFor[exchange.Body]() {
				out = append(out, docField{section, "body_encoding", false})
			}
			if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[time.Time]() {
				walk("`"+name+"`", f.Type)
			}
		}
	}
	walk("The exchange", reflect.TypeFor[exchange.Exchange]())
	return out
}

var docRow = regexp.MustCompile("^\\| `([a-z_]+)` \\| ([^|]*) \\|")

// docFields reads the fields tables: a "### " heading names the section,
// and each row's first cell is a member's name in backticks.
func docFields(doc string) []docField {
	var out []docField
	section := ""
	for _, line := range strings.Split(doc, "\n") {
		if h, ok := strings.CutPrefix(line, "### "); ok {
			section = strings.TrimSpace(h)
			continue
		}
		if strings.HasPrefix(line, "## ") {
			section = ""
		}
		if m := docRow.FindStringSubmatch(line); m != nil && section != "" {
			out = append(out, docField{section, m[1], strings.Contains(m[2], "*omitted*")})
		}
	}
	return out
}

func exchangeDocMismatches(doc string) []string {
	code, documented := exchangeFields(), docFields(doc)
	key := func(f docField) string { return f.section + " " + f.name }
	var out []string
	for _, f := range code {
		i := slices.IndexFunc(documented, func(d docField) bool { return key(d) == key(f) })
		switch {
		case i < 0:
			out = append(out, fmt.Sprintf("docs/exchange.md does not document %s in section %s", f.name, f.section))
		case documented[i].omitted != f.omitted:
			out = append(out, fmt.Sprintf("docs/exchange.md: %s in section %s: marked omitted=%v, but the JSON leaves it out when empty=%v",
				f.name, f.section, documented[i].omitted, f.omitted))
		}
	}
	for _, d := range documented {
		if !slices.ContainsFunc(code, func(f docField) bool { return key(f) == key(d) }) {
			out = append(out, fmt.Sprintf("docs/exchange.md documents %s in section %s, which the exchange does not have", d.name, d.section))
		}
	}
	return out
}

// The comparison is not vacuous: it reads the real doc's rows, and a
// missing row, a stale row and a wrong *omitted* mark are each reported.
func TestExchangeDocMismatchesCatchesEachKind(t *testing.T) {
	doc, err := os.ReadFile("docs/exchange.md")
	if err != nil {
		t.Fatal(err)
	}
	if n, want := len(docFields(string(doc))), len(exchangeFields()); n != want || n < 30 {
		t.Fatalf("read %d documented fields, the exchange has %d", n, want)
	}
	for _, c := range []struct{ name, from, to, want string }{
		{"a field not documented", "| `replay_of` |", "| `replayed_from` |", "does not document replay_of in section The exchange"},
		{"a stale row", "| `replay_of` |", "| `replayed_from` |", "documents replayed_from in section The exchange, which"},
		{"a row in the wrong section", "| `detail` |", "| `detail_x` |", "does not document detail in section `event`"},
		{"omitted not marked", "| `query` | string, *omitted* |", "| `query` | string |", "query in section `request`: marked omitted=false"},
		{"omitted marked wrongly", "| `body_size` | integer |", "| `body_size` | integer, *omitted* |", "body_size in section `request`: marked omitted=true"},
	} {
		edited := strings.Replace(string(doc), c.from, c.to, 1)
		if edited == string(doc) {
			t.Fatalf("%s: the doc has no %q to edit", c.name, c.from)
		}
		got := exchangeDocMismatches(edited)
		if !slices.ContainsFunc(got, func(s string) bool { return strings.Contains(s, c.want) }) {
			t.Errorf("%s: no report containing %q; got %q", c.name, c.want, got)
		}
	}
}
