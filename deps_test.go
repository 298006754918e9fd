package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The dependency rules of docs/ARCHITECTURE.md, checked against the real
// import graph so they hold because a test says so, not because everyone
// remembers them. Package patterns are relative to the module: "inspect" is
// that package alone, "inspect/..." is it and everything below it.
//
// Only production imports count: a test may reach further (a test signer, a
// fake handler) without making the package depend on it.
var depRules = []depRule{
	{
		from:   []string{"..."},
		except: []string{".", "cmd/..."},
		deny:   []string{"cmd/..."},
		why:    "cmd parses flags and wires packages together; logic that something else needs belongs in a package",
	},
	{
		from: []string{"inspect/signature", "inspect/exchange"},
		only: []string{},
		why:  "the signing rules and the exchange record are leaves every part shares; importing anything of ours would tie them to it",
	},
	{
		from:   []string{"..."},
		except: []string{".", "cmd/...", "inspect/tui/..."},
		deny:   []string{"inspect/tui/..."},
		why:    "the pipeline and the store never import the screen: they publish to a feed the screen subscribes to, and only cmd chooses a view",
	},
	{
		from: []string{"tunnel/..."},
		deny: []string{"inspect", "inspect/forward", "inspect/store/...", "inspect/respcheck", "inspect/delivery"},
		why:  "a tunnel only brings traffic in (and tunnel/numbers only talks to SignalWire's REST API); what happens to a webhook is the pipeline's business",
	},
	{
		from: []string{"inspect/..."},
		deny: []string{"replay/..."},
		why:  "replay sends webhooks through the pipeline's parts (replay/* may import inspect/*); the pipeline never depends on a sender",
	},
	{
		from:   []string{"..."},
		except: []string{"*test", "inspect/syncbuf"},
		deny:   []string{"*test", "inspect/syncbuf"},
		why:    "test helpers (the test signer, fakes of outside APIs, the shared buffer) are for tests: production code that imports one ships a fake",
	},
	{
		from:         []string{"inspect/store/journal"},
		denyExternal: []string{"database/sql", "modernc.org/sqlite"},
		why:          "the capture journal is segments, an owner lock and record framing: no SQL, so appending a webhook never waits on SQLite",
	},
	{
		from: []string{"inspect/delivery"},
		only: []string{"inspect/exchange"},
		why:  "SignalWire's delivery rules are written once and shared by listen's answer check and the call emulator, so they stand on the exchange alone",
	},
}

// depRule forbids packages matching from (and not except) to reach, directly
// or through other packages of ours, a package of ours matching deny; or,
// when only is not nil, any package of ours that does not match only; or an
// outside package (the standard library's, another module's) matching
// denyExternal.
type depRule struct {
	from, except []string
	deny         []string
	only         []string
	denyExternal []string
	why          string
}

// matchPkg reports whether the module-relative package path p matches the
// pattern: "..." is every package, "a/..." is a and below, "*x" any package
// whose last element ends in x, "." the module root.
func matchPkg(pattern, p string) bool {
	if pattern == "..." {
		return true
	}
	if suffix, ok := strings.CutPrefix(pattern, "*"); ok {
		return strings.HasSuffix(p[strings.LastIndexByte(p, '/')+1:], suffix)
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return p == base || strings.HasPrefix(p, base+"/")
	}
	return p == pattern
}

func matchAny(patterns []string, p string) bool {
	return slices.ContainsFunc(patterns, func(pat string) bool { return matchPkg(pat, p) })
}

// checkDeps returns one line per rule broken in graph (each package of ours,
// module-relative, -> the packages it imports directly: ours by their
// module-relative path, outside ones by their import path, which are no
// keys of graph), naming the import chain that breaks it, so the message
// says which import to remove.
func checkDeps(graph map[string][]string, rules []depRule) []string {
	var pkgs []string
	for p := range graph {
		pkgs = append(pkgs, p)
	}
	slices.Sort(pkgs)
	var out []string
	for _, r := range rules {
		for _, p := range pkgs {
			if !matchAny(r.from, p) || matchAny(r.except, p) {
				continue
			}
			for _, chain := range reachable(graph, p) {
				to := chain[len(chain)-1]
				_, ours := graph[to]
				var bad bool
				if ours {
					bad = matchAny(r.deny, to) || r.only != nil && !matchAny(r.only, to)
				} else {
					bad = matchAny(r.denyExternal, to)
				}
				if bad {
					out = append(out, fmt.Sprintf("%s imports %s (%s): %s", p, to, strings.Join(chain, " -> "), r.why))
				}
			}
		}
	}
	return out
}

// reachable lists every package from reaches, each with the shortest import
// chain from `from` to it (breadth first, neighbours in sorted order, so the
// message is the same on every run).
func reachable(graph map[string][]string, from string) [][]string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	var order []string
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		next := slices.Clone(graph[p])
		slices.Sort(next)
		for _, q := range next {
			if _, seen := prev[q]; seen {
				continue
			}
			prev[q] = p
			queue = append(queue, q)
			order = append(order, q)
		}
	}
	chains := make([][]string, 0, len(order))
	for _, q := range order {
		var chain []string
		for c := q; c != ""; c = prev[c] {
			chain = append(chain, c)
		}
		slices.Reverse(chain)
		chains = append(chains, chain)
	}
	return chains
}

// releaseOSes are the systems swhook is released for (.goreleaser.yaml):
// files built only for one of them (build tags, _windows.go) import what
// they import there, so the graph is read for each.
var releaseOSes = []string{"linux", "darwin", "windows"}

// moduleGraph reads the module's production import graph from `go list`,
// the union over releaseOSes.
func moduleGraph(t *testing.T) map[string][]string {
	t.Helper()
	graph := map[string][]string{}
	for _, goos := range releaseOSes {
		for p, imps := range moduleGraphFor(t, goos) {
			for _, imp := range imps {
				if !slices.Contains(graph[p], imp) {
					graph[p] = append(graph[p], imp)
				}
			}
			if graph[p] == nil {
				graph[p] = []string{}
			}
		}
	}
	return graph
}

// moduleGraphFor is the graph `go list` reads for one GOOS.
func moduleGraphFor(t *testing.T, goos string) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,Module", "./...")
	cmd.Env = append(os.Environ(), "GOOS="+goos, "CGO_ENABLED=0")
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	type listed struct {
		ImportPath string
		Imports    []string
		Module     struct{ Path string }
	}
	var mod string
	var pkgs []listed
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listed
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		mod = p.Module.Path
		pkgs = append(pkgs, p)
	}
	if mod == "" {
		t.Fatal("go list named no module")
	}
	rel := func(p string) (string, bool) {
		if p == mod {
			return ".", true
		}
		r, ok := strings.CutPrefix(p, mod+"/")
		return r, ok
	}
	graph := map[string][]string{}
	for _, p := range pkgs {
		from, _ := rel(p.ImportPath)
		graph[from] = []string{}
		for _, imp := range p.Imports {
			if to, ok := rel(imp); ok {
				imp = to
			}
			graph[from] = append(graph[from], imp)
		}
	}
	return graph
}

func TestDependencyRules(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	graph := moduleGraph(t)
	// The graph is the real one: the rules are not checked against nothing.
	for _, p := range []string{".", "cmd", "inspect", "inspect/exchange", "inspect/signature", "inspect/store", "inspect/tui", "tunnel", "replay"} {
		if _, ok := graph[p]; !ok {
			t.Fatalf("go list does not show %s; the graph is %v", p, graph)
		}
	}
	if !slices.Contains(graph["."], "cmd") {
		t.Fatalf("main does not import cmd in the graph read: %v", graph["."])
	}
	for _, v := range checkDeps(graph, depRules) {
		t.Error(v)
	}
}

// Each rule fails on the edge it forbids, reached directly or through
// another package, and stays quiet on the edges the architecture allows.
func TestDependencyRulesCatchViolations(t *testing.T) {
	// A graph shaped like the real one, all of it allowed.
	allowed := map[string][]string{
		".":                               {"cmd"},
		"cmd":                             {"cmd/cmdutil", "inspect", "inspect/tui", "inspect/store", "replay", "replay/call", "tunnel", "tunnel/numbers"},
		"cmd/cmdutil":                     {},
		"inspect":                         {"inspect/exchange", "inspect/signature", "inspect/store", "inspect/forward", "inspect/respcheck"},
		"inspect/exchange":                {"net/http", "time"},
		"inspect/signature":               {"crypto/hmac", "net/http"},
		"inspect/forward":                 {},
		"inspect/store":                   {"inspect/exchange", "inspect/store/journal", "database/sql", "modernc.org/sqlite"},
		"inspect/store/journal":           {"os", "syscall"},
		"inspect/respcheck":               {"inspect/exchange", "inspect/delivery"},
		"inspect/delivery":                {"inspect/exchange"},
		"inspect/termsafe":                {},
		"inspect/tui":                     {"inspect/tui/theme", "inspect/exchange", "inspect/termsafe"},
		"inspect/tui/theme":               {"inspect/exchange"},
		"replay":                          {"inspect/exchange", "inspect/signature"},
		"replay/call":                     {"replay", "inspect/delivery", "replay/cxml"},
		"replay/cxml":                     {"inspect/exchange"},
		"tunnel":                          {"inspect/termsafe"},
		"tunnel/numbers":                  {"inspect/termsafe"},
		"tunnel/numbers/numberstest":      {"tunnel/numbers"},
		"inspect/signature/signaturetest": {},
		"inspect/syncbuf":                 {},
	}
	if v := checkDeps(allowed, depRules); len(v) != 0 {
		t.Fatalf("an allowed graph is reported:\n%s", strings.Join(v, "\n"))
	}
	cases := []struct {
		name  string
		edges []string // "from -> to" added to the allowed graph
		want  string   // the start of the line that must be reported
	}{
		{"a package imports cmd", []string{"inspect -> cmd/cmdutil"}, "inspect imports cmd/cmdutil (inspect -> cmd/cmdutil)"},
		{"replay imports cmd", []string{"replay -> cmd"}, "replay imports cmd "},
		{"signature imports ours", []string{"inspect/signature -> inspect/termsafe"}, "inspect/signature imports inspect/termsafe"},
		{"exchange imports ours", []string{"inspect/exchange -> inspect/termsafe"}, "inspect/exchange imports inspect/termsafe"},
		{"the pipeline imports the TUI", []string{"inspect -> inspect/tui/theme"}, "inspect imports inspect/tui/theme"},
		{"the store imports the TUI", []string{"inspect/store -> inspect/tui"}, "inspect/store imports inspect/tui "},
		{"the journal imports the TUI", []string{"inspect/store/journal -> inspect/tui/theme"}, "inspect/store/journal imports inspect/tui/theme"},
		{"the pipeline reaches the TUI through two other packages",
			[]string{"inspect/forward -> inspect/termsafe", "inspect/termsafe -> inspect/tui/theme"},
			"inspect imports inspect/tui/theme (inspect -> inspect/forward -> inspect/termsafe -> inspect/tui/theme)"},
		{"the tunnel imports the pipeline", []string{"tunnel -> inspect"}, "tunnel imports inspect (tunnel -> inspect)"},
		{"numbers imports the store", []string{"tunnel/numbers -> inspect/store"}, "tunnel/numbers imports inspect/store "},
		{"numbers imports the forwarder", []string{"tunnel/numbers -> inspect/forward"}, "tunnel/numbers imports inspect/forward"},
		{"the pipeline imports replay", []string{"inspect -> replay"}, "inspect imports replay (inspect -> replay)"},
		{"respcheck imports the emulator", []string{"inspect/respcheck -> replay/cxml"}, "inspect/respcheck imports replay/cxml"},
		{"production code imports the test signer", []string{"replay -> inspect/signature/signaturetest"}, "replay imports inspect/signature/signaturetest"},
		{"production code imports a fake API", []string{"tunnel/numbers -> tunnel/numbers/numberstest"}, "tunnel/numbers imports tunnel/numbers/numberstest"},
		{"production code imports the test buffer", []string{"inspect -> inspect/syncbuf"}, "inspect imports inspect/syncbuf"},
		{"delivery imports more than exchange", []string{"inspect/delivery -> inspect/termsafe"}, "inspect/delivery imports inspect/termsafe"},
		{"the journal imports SQLite", []string{"inspect/store/journal -> modernc.org/sqlite"}, "inspect/store/journal imports modernc.org/sqlite"},
		{"the journal reaches database/sql through a package of ours", []string{"inspect/store/journal -> inspect/termsafe", "inspect/termsafe -> database/sql"},
			"inspect/store/journal imports database/sql (inspect/store/journal -> inspect/termsafe -> database/sql)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := map[string][]string{}
			for k, v := range allowed {
				g[k] = slices.Clone(v)
			}
			for _, e := range c.edges {
				from, to, _ := strings.Cut(e, " -> ")
				g[from] = append(g[from], to)
			}
			got := checkDeps(g, depRules)
			if !slices.ContainsFunc(got, func(line string) bool { return strings.HasPrefix(line, c.want) }) {
				t.Errorf("adding %v: no report starting %q; got:\n%s", c.edges, c.want, strings.Join(got, "\n"))
			}
		})
	}
}

func TestMatchPkg(t *testing.T) {
	for _, c := range []struct {
		pattern, p string
		want       bool
	}{
		{"...", ".", true},
		{"...", "inspect/tui", true},
		{"inspect", "inspect", true},
		{"inspect", "inspect/store", false},
		{"inspect/...", "inspect", true},
		{"inspect/...", "inspect/store/journal", true},
		{"inspect/...", "inspector", false},
		{"cmd/...", "cmdline", false},
		{"*test", "inspect/signature/signaturetest", true},
		{"*test", "numberstest", true},
		{"*test", "inspect/testament/x", false},
		{".", ".", true},
		{".", "cmd", false},
	} {
		if got := matchPkg(c.pattern, c.p); got != c.want {
			t.Errorf("matchPkg(%q, %q) = %v, want %v", c.pattern, c.p, got, c.want)
		}
	}
}
