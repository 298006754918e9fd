package listeners

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/swhook/swhook/inspect/exchange"
)

// A registered listener is found by another process's Running until it
// closes; its file is private; an entry nobody holds (a listener that
// died) is dropped and removed.
func TestRegisterRunningClose(t *testing.T) {
	store := filepath.Join(t.TempDir(), "swhook.db")
	a, err := Register(store, Info{LocalURL: "http://127.0.0.1:4747", Forward: "http://localhost:3000"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Register(store, Info{LocalURL: "http://127.0.0.1:4748"})
	if err != nil {
		t.Fatal(err)
	}
	if a.Info.Token == "" || a.Info.Token == b.Info.Token {
		t.Fatalf("tokens %q %q", a.Info.Token, b.Info.Token)
	}
	if fi, err := os.Stat(a.path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("entry %v %v, want 0600", fi.Mode(), err)
	}
	// A dead listener's entry: written, never locked.
	dead := store + "-listen-99999.dead.json"
	os.WriteFile(dead, []byte(`{"local_url":"http://127.0.0.1:9","token":"x"}`), 0o600)

	got, err := Running(store)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].LocalURL != "http://127.0.0.1:4747" || got[0].Forward != "http://localhost:3000" || got[1].Token != b.Info.Token {
		t.Fatalf("Running: %+v", got)
	}
	if lockSupported {
		if _, err := os.Stat(dead); !os.IsNotExist(err) {
			t.Errorf("the dead listener's entry is still there: %v", err)
		}
	}
	a.Close()
	a.Close()
	if got, _ := Running(store); len(got) != 1 || got[0].LocalURL != "http://127.0.0.1:4748" {
		t.Errorf("after Close: %+v", got)
	}
	b.Close()
	if got, _ := Running(store + "-other"); len(got) != 0 {
		t.Errorf("another store's listeners: %+v", got)
	}
}

// A target is aimed at a listener when scheme, host and port agree
// (localhost is the loopback the listener binds).
func TestFor(t *testing.T) {
	running := []Info{{LocalURL: "http://127.0.0.1:4747", Token: "a"}, {LocalURL: "http://127.0.0.1:4748", Token: "b"}}
	for target, want := range map[string]string{
		"http://127.0.0.1:4747/voice?x=1": "a",
		"http://localhost:4748":           "b",
		"HTTP://127.0.0.1:4747/":          "a",
		"http://127.0.0.1:3000/voice":     "",
		"https://127.0.0.1:4747/":         "",
		"http://127.0.0.1/voice":          "",
		"not a url":                       "",
	} {
		l, ok := For(running, target)
		if ok != (want != "") || l.Token != want {
			t.Errorf("For(%q) = %+v %v, want %q", target, l, ok, want)
		}
	}
}

// The header names its sender only with the listener's token.
func TestSentByRoundTrip(t *testing.T) {
	for _, c := range []struct {
		src exchange.Source
		of  int64
	}{{exchange.SourceTrigger, 0}, {exchange.SourceReplay, 17}, {exchange.SourceCall, 0}} {
		v := SentBy("tok", c.src, c.of)
		src, of, ok := ParseSentBy(v, "tok")
		if !ok || src != c.src || of != c.of {
			t.Errorf("%q: %s %d %v", v, src, of, ok)
		}
		if _, _, ok := ParseSentBy(v, "other"); ok {
			t.Errorf("%q believed with the wrong token", v)
		}
	}
	for _, v := range []string{"", "trigger", "trigger; token=", "local; token=tok", "replay #x; token=tok", "replay #-1; token=tok", "tunnel; token=tok"} {
		if _, _, ok := ParseSentBy(v, "tok"); ok {
			t.Errorf("%q accepted", v)
		}
	}
	if _, _, ok := ParseSentBy("trigger; token=", ""); ok {
		t.Error("an empty token matched")
	}
}

func FuzzParseSentBy(f *testing.F) {
	f.Add("replay #17; token=tok", "tok")
	f.Add("trigger; token=tok", "tok")
	f.Add("call; token=", "")
	f.Fuzz(func(t *testing.T, v, tok string) {
		src, of, ok := ParseSentBy(v, tok)
		if !ok {
			return
		}
		if tok == "" || !strings.HasSuffix(v, "; token="+tok) || of < 0 {
			t.Fatalf("%q with %q: %s %d", v, tok, src, of)
		}
		if src != exchange.SourceTrigger && src != exchange.SourceReplay && src != exchange.SourceCall {
			t.Fatalf("source %q", src)
		}
	})
}
