package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"

	"github.com/swhook/swhook/cmd"
	"github.com/swhook/swhook/cmd/cmdutil"
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

// readmeExample is a command in one of the README's sh blocks followed by
// the output it shows in comment lines.
type readmeExample struct {
	line    int
	command string // as written, continuation lines joined
	output  string // the comment lines, without "# " and the exit status
	status  int
}

var exitStatusLine = regexp.MustCompile(`^\(exit status (\d+)\)$`)

// readmeExamples finds, in ```sh blocks, each command line starting with
// "swhook " or "printf ... | swhook " that is directly followed by "# "
// lines: those lines are its output, and a last "(exit status N)" its exit
// status (0 when absent). A command with a comment on its own line is an
// explanation, not an example.
func readmeExamples(readme string) []readmeExample {
	var out []readmeExample
	lines := strings.Split(readme, "\n")
	inSh := false
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case strings.HasPrefix(l, "```sh"):
			inSh = true
			continue
		case strings.HasPrefix(l, "```"):
			inSh = false
			continue
		}
		if !inSh || !(strings.HasPrefix(l, "swhook ") || strings.HasPrefix(l, "printf ") && strings.Contains(l, "| swhook ")) {
			continue
		}
		start := i
		cmd := l
		for strings.HasSuffix(cmd, "\\") && i+1 < len(lines) {
			i++
			cmd = strings.TrimRight(strings.TrimSuffix(cmd, "\\"), " ") + " " + strings.TrimSpace(lines[i])
		}
		if strings.Contains(cmd, " #") {
			continue
		}
		var outLines []string
		for i+1 < len(lines) && strings.HasPrefix(lines[i+1], "# ") {
			i++
			outLines = append(outLines, strings.TrimPrefix(lines[i], "# "))
		}
		if len(outLines) == 0 {
			continue
		}
		ex := readmeExample{line: start + 1, command: cmd}
		if m := exitStatusLine.FindStringSubmatch(outLines[len(outLines)-1]); m != nil {
			fmt.Sscan(m[1], &ex.status)
			outLines = outLines[:len(outLines)-1]
		}
		ex.output = strings.Join(outLines, "\n")
		out = append(out, ex)
	}
	return out
}

// shellWords splits a command as sh would for the README's examples:
// words separated by blanks, single quotes keeping their text as is. It
// refuses what it does not understand rather than guessing.
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, inQuote := false, false
	for _, r := range s {
		switch {
		case inQuote && r == '\'':
			inQuote = false
		case inQuote:
			cur.WriteRune(r)
		case r == '\'':
			inQuote, inWord = true, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case strings.ContainsRune("\"\\$`;&|<>(){}*?", r):
			return nil, fmt.Errorf("%q: %q is more shell than this test reads", s, r)
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inQuote {
		return nil, fmt.Errorf("%q: unterminated quote", s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// The README's examples with their output print what it says they print,
// with the exit status it says: run in process, with no environment.
func TestReadmeExamplesPrintWhatTheySay(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	examples := readmeExamples(string(readme))
	if len(examples) < 4 {
		t.Fatalf("found %d README examples with output, want at least the 4 of the signature section: %+v", len(examples), examples)
	}
	for _, ex := range examples {
		t.Run(fmt.Sprintf("line %d", ex.line), func(t *testing.T) {
			out, errOut, status, err := runReadmeExample(t, ex)
			if err != nil {
				t.Fatal(err)
			}
			if !sameOutput(out, ex.output) || status != ex.status {
				t.Errorf("README line %d: %s\nprints (exit status %d):\n%s%s\nthe README shows (exit status %d):\n%s",
					ex.line, ex.command, status, out, errOut, ex.status, ex.output)
			}
		})
	}
}

// sameOutput compares output with what the README shows, which wraps long
// lines: the same words in the same order.
func sameOutput(got, shown string) bool {
	return slices.Equal(strings.Fields(got), strings.Fields(shown))
}

// runReadmeExample runs ex in process, with no environment but a store of
// its own, and stdin from a `printf '%s' 'TEXT' |` in front.
func runReadmeExample(t *testing.T, ex readmeExample) (stdout, stderr string, status int, err error) {
	command, stdin := ex.command, ""
	if pre, post, ok := strings.Cut(command, " | "); ok {
		w, err := shellWords(pre)
		if err != nil || len(w) != 3 || w[0] != "printf" || w[1] != "%s" {
			return "", "", 0, fmt.Errorf("README line %d: only printf '%%s' 'TEXT' | swhook ... can be piped here (%v)", ex.line, err)
		}
		command, stdin = post, w[2]
	}
	args, err := shellWords(command)
	if err != nil {
		return "", "", 0, fmt.Errorf("README line %d: %w", ex.line, err)
	}
	ios, in, out, errOut := cmdutil.Test()
	in.WriteString(stdin)
	store := filepath.Join(t.TempDir(), "swhook.db")
	f := &cmdutil.Factory{
		IOStreams: ios,
		Getenv: func(k string) string {
			if k == cmdutil.EnvStore {
				return store
			}
			return ""
		},
		Now:        time.Now,
		HTTPClient: &http.Client{Timeout: 10 * time.Second},
		Version:    "test",
	}
	status = cmd.Run(context.Background(), f, args[1:])
	return out.String(), errOut.String(), status, nil
}

// The examples are read as written (continuations, the exit status line,
// explanations left out), and a wrong output or status is caught.
func TestReadmeExamplesAreReadAndChecked(t *testing.T) {
	readme := "```sh\n" +
		"swhook sign --signing-key 12345 --url 'https://mycompany.com/myapp.php?foo=1&bar=2' \\\n" +
		"  --body 'CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212'\n" +
		"# RSOYDt4T1cUTdK1PDd93/VVr8B8=\n\n" +
		"swhook verify --signing-key 12345 --url https://x.example/ --signature bad --body A=1\n" +
		"# the wrong words\n# (exit status 0)\n\n" +
		"swhook verify last    # an explanation\n" +
		"swhook listen\n" +
		"```\n" +
		"swhook sign outside a block\n# ignored\n"
	exs := readmeExamples(readme)
	if len(exs) != 2 || exs[0].line != 2 || exs[0].status != 0 || exs[1].status != 0 || exs[1].output != "the wrong words" ||
		!strings.HasSuffix(exs[0].command, "--url 'https://mycompany.com/myapp.php?foo=1&bar=2' --body 'CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212'") {
		t.Fatalf("examples read: %+v", exs)
	}
	out, _, status, err := runReadmeExample(t, exs[0])
	if err != nil || status != 0 || !sameOutput(out, exs[0].output) {
		t.Errorf("the published vector: %q, exit %d, %v", out, status, err)
	}
	out, _, status, err = runReadmeExample(t, exs[1])
	if err != nil || status == exs[1].status || sameOutput(out, exs[1].output) {
		t.Errorf("a wrong example went unnoticed: %q, exit %d, %v", out, status, err)
	}
	if !sameOutput("a b\nc", "a\nb c") || sameOutput("a b", "a b c") {
		t.Error("sameOutput does not compare words")
	}
	if _, err := shellWords(`swhook sign --body "$X"`); err == nil {
		t.Error("double quotes and $ are not refused")
	}
}
