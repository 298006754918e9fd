package cxml

import (
	"bytes"
	"encoding/json"
	"flag"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/swhook/swhook/replay/call"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestTranscriptGolden: the transcript of the menu call, as text and as
// JSON lines, against golden files (the handler's milliseconds and the
// loopback port are the only things normalised).
func TestTranscriptGolden(t *testing.T) {
	a := newApp(t)
	a.route("/voice", func(url.Values) string {
		return Resp(E("Gather", "action", "/menu", "numDigits", "1").K(E("Say").T("Press 1 for sales.")), E("Say").T("Goodbye."))
	})
	a.route("/menu", func(url.Values) string {
		return Resp(E("Dial", "action", "/dialed").K(E("Number").T("+15550001111")))
	})
	a.route("/dialed", func(f url.Values) string { return "<Response><Say>Sales is busy.</Say><Hangup/>" })
	for _, c := range []struct {
		name string
		sink func(*bytes.Buffer) call.Sink
	}{
		{"menu.golden", func(b *bytes.Buffer) call.Sink { return call.TextSink{W: b} }},
		{"menu.jsonl.golden", func(b *bytes.Buffer) call.Sink { return call.JSONSink{W: b} }},
	} {
		var out bytes.Buffer
		caller, _ := call.NewScript([]string{"1"}, []string{"busy"}, -1, 0, nil)
		start := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
		s, err := call.NewSession(call.Config{URL: a.url("/voice"), Key: testKey, Caller: caller, Sink: c.sink(&out),
			From: "+15551230000", To: "+15557654321", Rand: rand.New(rand.NewPCG(5, 5)),
			Clock: call.FastClock(func() time.Time { return start })})
		if err != nil {
			t.Fatal(err)
		}
		Voice(t.Context(), s)
		s.Close()
		got := normalise(out.String(), a.srv.URL)
		if strings.HasSuffix(c.name, ".jsonl.golden") {
			for _, line := range strings.Split(strings.TrimSpace(got), "\n") {
				var m map[string]any
				if err := json.Unmarshal([]byte(line), &m); err != nil || m["type"] == nil {
					t.Errorf("line %q is not an object with a type: %v", line, err)
				}
			}
		}
		path := filepath.Join("testdata", c.name)
		if *update {
			os.MkdirAll("testdata", 0o755)
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update)", err)
		}
		if got != string(want) {
			t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", c.name, got, want)
		}
	}
}

var (
	msText = regexp.MustCompile(`(?m)  [0-9.]+(µs|ms|s)$`)
	msJSON = regexp.MustCompile(`"duration_ms":[0-9.e-]+`)
)

func normalise(s, base string) string {
	s = strings.ReplaceAll(s, base, "http://127.0.0.1:PORT")
	s = msText.ReplaceAllString(s, "  N")
	return msJSON.ReplaceAllString(s, `"duration_ms":0`)
}
