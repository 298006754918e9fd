package swml

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestSignalWireExamples parses every YAML example in SignalWire's SWML
// documentation (a checkout of signalwire/docs named by
// $SWHOOK_SIGNALWIRE_DOCS): the validator must accept what SignalWire
// itself shows, except the few examples that are broken on the page.
func TestSignalWireExamples(t *testing.T) {
	root := os.Getenv("SWHOOK_SIGNALWIRE_DOCS")
	if root == "" {
		t.Skip("set SWHOOK_SIGNALWIRE_DOCS to a checkout of signalwire/docs")
	}
	broken := map[string]bool{
		"guides/basics/deployment.mdx#2": true, // main is an object, not a list
		"reference/expressions.mdx#6":    true, // sections indented under version
	}
	block := regexp.MustCompile("(?s)```ya?ml\n(.*?)```")
	pages, _ := filepath.Glob(filepath.Join(root, "fern/products/swml/pages/*/*.mdx"))
	deeper, _ := filepath.Glob(filepath.Join(root, "fern/products/swml/pages/*/*/*.mdx"))
	deepest, _ := filepath.Glob(filepath.Join(root, "fern/products/swml/pages/reference/methods/*/*.mdx"))
	more, _ := filepath.Glob(filepath.Join(root, "fern/products/swml/pages/reference/methods/*/*/*.mdx"))
	n := 0
	for _, page := range append(append(append(pages, deeper...), deepest...), more...) {
		b, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(filepath.Join(root, "fern/products/swml/pages"), page)
		for i, m := range block.FindAllSubmatch(b, -1) {
			body := m[1]
			if !strings.Contains(string(body), "sections") {
				continue
			}
			f := Calling
			if strings.Contains(rel, "/messaging/") || strings.Contains(string(body), "- reply") {
				f = Messaging
			}
			n++
			name := rel + "#" + strconv.Itoa(i)
			if _, err := Parse(body, f); err != nil && !broken[name] {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
	if n < 100 {
		t.Errorf("only %d examples found under %s", n, root)
	}
}
