package tunnel

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testToken = "2fakeTOKENabcdefghijklmnop_1234567890SECRET"

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func writeConfig(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

const v3Config = "version: \"3\"\nagent:\n    authtoken: %s\n"
const v2Config = "version: \"2\"\nauthtoken: %s\nregion: eu\n"

func TestFindAuthtokenOrder(t *testing.T) {
	home := t.TempDir()
	writeConfig(t, filepath.Join(home, ".config", "ngrok", "ngrok.yml"), fmt.Sprintf(v3Config, "from-file"))
	e := map[string]string{"HOME": home, EnvNgrokAuthtoken: "from-env"}

	got, err := FindAuthtoken(" from-flag ", envOf(e), "linux")
	if err != nil || got.Token != "from-flag" || got.Source != "--ngrok-authtoken" {
		t.Errorf("flag: got %q from %q, %v", got.Token, got.Source, err)
	}
	got, err = FindAuthtoken("", envOf(e), "linux")
	if err != nil || got.Token != "from-env" || got.Source != "$NGROK_AUTHTOKEN" {
		t.Errorf("env: got %q from %q, %v", got.Token, got.Source, err)
	}
	delete(e, EnvNgrokAuthtoken)
	got, err = FindAuthtoken("", envOf(e), "linux")
	want := filepath.Join(home, ".config", "ngrok", "ngrok.yml")
	if err != nil || got.Token != "from-file" || got.Source != want {
		t.Errorf("file: got %q from %q, %v; want from-file from %s", got.Token, got.Source, err, want)
	}
	got, err = FindAuthtoken("", envOf(map[string]string{"HOME": t.TempDir()}), "linux")
	if err != nil || got != (Authtoken{}) {
		t.Errorf("nothing anywhere: got %+v, %v; want zero", got, err)
	}
}

func TestFindAuthtokenConfigLayouts(t *testing.T) {
	tests := []struct {
		name   string
		goos   string
		env    func(home string) map[string]string
		file   string // relative to home
		format string
	}{
		{"linux v3", "linux", func(h string) map[string]string { return map[string]string{"HOME": h} }, ".config/ngrok/ngrok.yml", v3Config},
		{"linux XDG_CONFIG_HOME", "linux", func(h string) map[string]string {
			return map[string]string{"HOME": h, "XDG_CONFIG_HOME": filepath.Join(h, "xdg")}
		}, "xdg/ngrok/ngrok.yml", v3Config},
		{"linux legacy v2", "linux", func(h string) map[string]string { return map[string]string{"HOME": h} }, ".ngrok2/ngrok.yml", v2Config},
		{"freebsd like linux", "freebsd", func(h string) map[string]string { return map[string]string{"HOME": h} }, ".config/ngrok/ngrok.yml", v2Config},
		{"macOS", "darwin", func(h string) map[string]string { return map[string]string{"HOME": h} }, "Library/Application Support/ngrok/ngrok.yml", v3Config},
		{"macOS legacy", "darwin", func(h string) map[string]string { return map[string]string{"HOME": h} }, ".ngrok2/ngrok.yml", v2Config},
		{"windows LOCALAPPDATA", "windows", func(h string) map[string]string {
			return map[string]string{"USERPROFILE": h, "LOCALAPPDATA": filepath.Join(h, "AppData", "Local")}
		}, "AppData/Local/ngrok/ngrok.yml", v3Config},
		{"windows without LOCALAPPDATA", "windows", func(h string) map[string]string { return map[string]string{"USERPROFILE": h} }, "AppData/Local/ngrok/ngrok.yml", v3Config},
		{"windows legacy", "windows", func(h string) map[string]string { return map[string]string{"USERPROFILE": h} }, ".ngrok2/ngrok.yml", v2Config},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			path := filepath.Join(home, filepath.FromSlash(tc.file))
			writeConfig(t, path, fmt.Sprintf(tc.format, testToken))
			got, err := FindAuthtoken("", envOf(tc.env(home)), tc.goos)
			if err != nil {
				t.Fatal(err)
			}
			if got.Token != testToken || got.Source != path {
				t.Errorf("got token ok=%v from %q; want it from %q", got.Token == testToken, got.Source, path)
			}
		})
	}
}

func TestFindAuthtokenConnectURL(t *testing.T) {
	home := t.TempDir()
	path := filepath.Join(home, ".config", "ngrok", "ngrok.yml")
	writeConfig(t, path, "version: 3\nagent:\n  authtoken: file-token\n  connect_url: eu.connect.example:443\n")
	e := map[string]string{"HOME": home}
	got, err := FindAuthtoken("", envOf(e), "linux")
	if err != nil || got.Token != "file-token" || got.ConnectURL != "eu.connect.example:443" {
		t.Errorf("got %+v, %v", got.ConnectURL, err)
	}
	// A token from the environment still honours the file's server address.
	e[EnvNgrokAuthtoken] = "env-token"
	got, err = FindAuthtoken("", envOf(e), "linux")
	if err != nil || got.Token != "env-token" || got.ConnectURL != "eu.connect.example:443" {
		t.Errorf("got %+v, %v", got.ConnectURL, err)
	}
	// ...and a broken file does not stand in the way of that token.
	writeConfig(t, path, "agent: [\n")
	got, err = FindAuthtoken("", envOf(e), "linux")
	if err != nil || got.Token != "env-token" || got.ConnectURL != "" {
		t.Errorf("got %+v, %v", got.ConnectURL, err)
	}
	// v2's server_addr.
	writeConfig(t, path, "authtoken: x\nserver_addr: old.example:443\n")
	got, _ = FindAuthtoken("", envOf(map[string]string{"HOME": home}), "linux")
	if got.ConnectURL != "old.example:443" {
		t.Errorf("v2 server_addr: got %q", got.ConnectURL)
	}
}

func TestFindAuthtokenNewLayoutWins(t *testing.T) {
	home := t.TempDir()
	writeConfig(t, filepath.Join(home, ".ngrok2", "ngrok.yml"), fmt.Sprintf(v2Config, "old"))
	writeConfig(t, filepath.Join(home, ".config", "ngrok", "ngrok.yml"), fmt.Sprintf(v3Config, "new"))
	got, _ := FindAuthtoken("", envOf(map[string]string{"HOME": home}), "linux")
	if got.Token != "new" {
		t.Errorf("got %q, want the v3 file's token", got.Token)
	}
	// A v3 file without a token (only endpoints) does not hide a legacy one.
	writeConfig(t, filepath.Join(home, ".config", "ngrok", "ngrok.yml"), "version: 3\nendpoints:\n  - name: x\n    upstream:\n      url: 80\n")
	got, _ = FindAuthtoken("", envOf(map[string]string{"HOME": home}), "linux")
	if got.Token != "old" {
		t.Errorf("got %q, want the legacy file's token", got.Token)
	}
}

func TestFindAuthtokenBrokenConfigNeverQuotesToken(t *testing.T) {
	for name, content := range map[string]string{
		"syntax":      "agent:\n  authtoken: " + testToken + "\n bad: [\n",
		"type":        "agent: " + testToken + "\n",
		"token a map": "agent:\n  authtoken:\n    " + testToken + ": 1\n",
	} {
		t.Run(name, func(t *testing.T) {
			home := t.TempDir()
			path := filepath.Join(home, ".config", "ngrok", "ngrok.yml")
			writeConfig(t, path, content)
			got, err := FindAuthtoken("", envOf(map[string]string{"HOME": home}), "linux")
			if err == nil {
				t.Fatalf("got %+v and no error for a broken config", got)
			}
			msg := err.Error()
			if strings.Contains(msg, testToken) || strings.Contains(msg, "\n") {
				t.Errorf("error quotes the file or spans lines: %q", msg)
			}
			if !strings.Contains(msg, path) || !strings.Contains(msg, "ngrok config add-authtoken") {
				t.Errorf("error should name the file and the fix: %q", msg)
			}
		})
	}
}

func TestFindAuthtokenUnreadableConfig(t *testing.T) {
	home := t.TempDir()
	// A directory where the file should be: reading it fails, not silently.
	if err := os.MkdirAll(filepath.Join(home, ".config", "ngrok", "ngrok.yml"), 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := FindAuthtoken("", envOf(map[string]string{"HOME": home}), "linux")
	if err == nil || !strings.Contains(err.Error(), "cannot read ngrok config") {
		t.Errorf("got %v, want a cannot-read error", err)
	}
}

func TestAuthtokenNeverFormatsToken(t *testing.T) {
	a := Authtoken{Token: testToken, Source: "$NGROK_AUTHTOKEN"}
	for _, s := range []string{fmt.Sprint(a), fmt.Sprintf("%v %+v %#v %s", a, a, a, a), fmt.Sprintf("%v", []Authtoken{a})} {
		if strings.Contains(s, testToken) {
			t.Errorf("formatting shows the token: %q", s)
		}
	}
}

func FuzzParseNgrokConfig(f *testing.F) {
	f.Add([]byte(fmt.Sprintf(v3Config, testToken)))
	f.Add([]byte(fmt.Sprintf(v2Config, testToken)))
	f.Add([]byte("agent: " + testToken))
	f.Add([]byte("agent:\n  authtoken: [1, 2\n"))
	f.Add([]byte("\x00\xff: :"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parseNgrokConfig(data)
		tok := c.authtoken()
		if err != nil {
			if c != (ngrokConfig{}) {
				t.Errorf("config %+v with error %v", c, err)
			}
			if !strings.HasPrefix(err.Error(), "not a valid ngrok config") || strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not the one fixed line: %q", err)
			}
			return
		}
		if tok != strings.TrimSpace(tok) {
			t.Errorf("token %q not trimmed", tok)
		}
	})
}
