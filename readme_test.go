package main

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"charm.land/bubbles/v2/key"

	"github.com/swhook/swhook/inspect/tui/keys"
)

// The README's key table is what a developer reads before pressing
// anything; keys.Default is what the live view does. Every key the table
// names must do something, and everything the `?` screen offers must be in
// the table.
func TestReadmeKeyTableMatchesTheKeyMap(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := readmeKeyTable(string(readme))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range keyTableMismatches(rows, keys.Default()) {
		t.Error(v)
	}
}

// keyTableMismatches compares the table's rows (each a list of key names
// as the README writes them) with km: a key the table names that nothing
// is bound to, and a binding on the `?` screen none of whose keys the table
// names.
func keyTableMismatches(rows [][]string, km keys.KeyMap) []string {
	bound := map[string]bool{}
	var bindings []key.Binding
	for _, col := range km.Full() {
		bindings = append(bindings, col...)
	}
	for _, b := range bindings {
		for _, k := range b.Keys() {
			bound[k] = true
		}
	}
	named := map[string]bool{}
	var out []string
	for _, row := range rows {
		for _, name := range row {
			k := readmeKeyName(name)
			named[k] = true
			if !bound[k] {
				out = append(out, fmt.Sprintf("README names key %q (%s), which the live view's key map does not bind", name, k))
			}
		}
	}
	for _, b := range bindings {
		if !slices.ContainsFunc(b.Keys(), func(k string) bool { return named[k] }) {
			out = append(out, fmt.Sprintf("the ? screen offers %q (%s, keys %v), which the README's key table does not name",
				b.Help().Key, b.Help().Desc, b.Keys()))
		}
	}
	return out
}

// readmeKeyName turns a key as the README writes it (`↑`, PgDn, Enter,
// Shift+Tab) into bubbletea's name for it (up, pgdown, enter, shift+tab).
func readmeKeyName(s string) string {
	switch s {
	case "↑":
		return "up"
	case "↓":
		return "down"
	case "←":
		return "left"
	case "→":
		return "right"
	case "PgUp":
		return "pgup"
	case "PgDn":
		return "pgdown"
	}
	if len([]rune(s)) == 1 {
		return s // a letter's case is the key: g and G differ
	}
	return strings.ToLower(s)
}

var backticked = regexp.MustCompile("`([^`]+)`")

// readmeKeyTable finds the table whose header is "| key | does |" and
// returns, for each row, the keys its first column names: `x` in backticks,
// or bare names such as Enter, separated by commas and slashes.
func readmeKeyTable(readme string) ([][]string, error) {
	lines := strings.Split(readme, "\n")
	start := slices.IndexFunc(lines, func(l string) bool {
		return strings.ReplaceAll(l, " ", "") == "|key|does|"
	})
	if start < 0 {
		return nil, fmt.Errorf("README.md has no \"| key | does |\" table")
	}
	var rows [][]string
	for _, l := range lines[start+2:] {
		if !strings.HasPrefix(l, "|") {
			break
		}
		cells := strings.Split(strings.Trim(l, "|"), "|")
		if len(cells) < 2 {
			return nil, fmt.Errorf("key table row %q has no description", l)
		}
		rows = append(rows, splitKeyCell(cells[0]))
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("README.md's key table is empty")
	}
	return rows, nil
}

func splitKeyCell(cell string) []string {
	var names []string
	for _, m := range backticked.FindAllStringSubmatch(cell, -1) {
		names = append(names, m[1])
	}
	rest := backticked.ReplaceAllString(cell, " ")
	for _, f := range strings.FieldsFunc(rest, func(r rune) bool { return r == ',' || r == '/' || r == ' ' }) {
		names = append(names, f)
	}
	return names
}

// The comparison fails both ways: a key documented but unbound, and a
// binding offered but undocumented.
func TestKeyTableMismatchesCatchesBothWays(t *testing.T) {
	rows, err := readmeKeyTable("intro\n\n| key | does |\n|---|---|\n| `↑`/`↓`, PgDn, Shift+Tab | move |\n| `/`, `x` | filter |\n\nafter |\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{"↑", "↓", "PgDn", "Shift+Tab"}, {"/", "x"}}; !slices.EqualFunc(rows, want, slices.Equal) {
		t.Fatalf("rows %q, want %q", rows, want)
	}
	km := keys.Default()
	got := strings.Join(keyTableMismatches(rows, km), "\n")
	if !strings.Contains(got, `README names key "x" (x)`) {
		t.Errorf("an unbound key in the table is not reported:\n%s", got)
	}
	if !strings.Contains(got, `the ? screen offers "q"`) {
		t.Errorf("a binding missing from the table is not reported:\n%s", got)
	}
	for _, ok := range []string{`"↑"`, `"PgDn"`, `"Shift+Tab"`, `"/"`} {
		if strings.Contains(got, "README names key "+ok) {
			t.Errorf("bound key %s reported as unbound:\n%s", ok, got)
		}
	}
	// Rebinding a documented key is caught too.
	km.Copy = key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "curl"))
	all, _ := readmeKeyTable("| key | does |\n|---|---|\n| `c` | curl |\n")
	if v := keyTableMismatches(all, km); !slices.ContainsFunc(v, func(s string) bool { return strings.Contains(s, `README names key "c"`) }) {
		t.Errorf("a rebound key is not reported: %q", v)
	}
}
