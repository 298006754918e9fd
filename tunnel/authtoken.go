package tunnel

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// EnvNgrokAuthtoken is the variable the ngrok agent itself reads, so a user
// who already exports it for ngrok needs nothing more for swhook.
const EnvNgrokAuthtoken = "NGROK_AUTHTOKEN"

// Authtoken is a found ngrok authtoken and where it came from. Source is
// safe to print ("--ngrok-authtoken", "$NGROK_AUTHTOKEN" or a file path);
// Token never is.
type Authtoken struct {
	Token  string
	Source string
	// ConnectURL is the ngrok server address named in the user's ngrok
	// config (agent.connect_url, v2 server_addr), for networks that reach
	// ngrok another way; empty means ngrok's default.
	ConnectURL string
}

// String keeps the token out of any accidental %v.
func (a Authtoken) String() string { return "authtoken from " + a.Source }

// GoString keeps the token out of any accidental %#v.
func (a Authtoken) GoString() string { return a.String() }

// FindAuthtoken looks for a token where a developer is likely to have put
// one already, in the order of how deliberately it was given: the flag, then
// $NGROK_AUTHTOKEN, then the config file written by `ngrok config
// add-authtoken`, so anyone who has used ngrok before needs no setup. It
// returns the zero Authtoken and no error when there is none; an error means
// a config file exists but cannot be read or parsed.
func FindAuthtoken(flag string, getenv func(string) string, goos string) (Authtoken, error) {
	var given Authtoken
	if t := strings.TrimSpace(flag); t != "" {
		given = Authtoken{Token: t, Source: "--ngrok-authtoken"}
	} else if t := strings.TrimSpace(getenv(EnvNgrokAuthtoken)); t != "" {
		given = Authtoken{Token: t, Source: "$" + EnvNgrokAuthtoken}
	}
	for _, p := range NgrokConfigPaths(getenv, goos) {
		data, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			if given.Token != "" {
				return given, nil // the file only adds settings
			}
			return Authtoken{}, fmt.Errorf("cannot read ngrok config %s: %w", p, errors.Unwrap(err))
		}
		c, err := parseNgrokConfig(data)
		if err != nil {
			if given.Token != "" {
				return given, nil
			}
			return Authtoken{}, fmt.Errorf("ngrok config %s: %w", p, err)
		}
		if given.Token != "" {
			given.ConnectURL = c.connectURL()
			return given, nil
		}
		if tok := c.authtoken(); tok != "" {
			return Authtoken{Token: tok, Source: p, ConnectURL: c.connectURL()}, nil
		}
	}
	return given, nil
}

// NgrokConfigPaths lists where the ngrok agent keeps its config on goos,
// newest layout first: the v3 agent's per-OS location, then the v2 agent's
// ~/.ngrok2/ngrok.yml that older installs still have.
func NgrokConfigPaths(getenv func(string) string, goos string) []string {
	home := getenv("HOME")
	var paths []string
	switch goos {
	case "windows":
		if home == "" {
			home = getenv("USERPROFILE")
		}
		local := getenv("LOCALAPPDATA")
		if local == "" && home != "" {
			local = filepath.Join(home, "AppData", "Local")
		}
		if local != "" {
			paths = append(paths, filepath.Join(local, "ngrok", "ngrok.yml"))
		}
	case "darwin":
		if home != "" {
			paths = append(paths, filepath.Join(home, "Library", "Application Support", "ngrok", "ngrok.yml"))
		}
	default:
		if xdg := getenv("XDG_CONFIG_HOME"); xdg != "" {
			paths = append(paths, filepath.Join(xdg, "ngrok", "ngrok.yml"))
		} else if home != "" {
			paths = append(paths, filepath.Join(home, ".config", "ngrok", "ngrok.yml"))
		}
	}
	if home != "" {
		paths = append(paths, filepath.Join(home, ".ngrok2", "ngrok.yml"))
	}
	return paths
}

// ngrokConfig holds what swhook uses from ngrok's own config: v3 nests the
// agent's settings under agent:, v2 has them at the top level.
type ngrokConfig struct {
	Authtoken  string `yaml:"authtoken"`
	ServerAddr string `yaml:"server_addr"`
	Agent      struct {
		Authtoken  string `yaml:"authtoken"`
		ConnectURL string `yaml:"connect_url"`
	} `yaml:"agent"`
}

func (c ngrokConfig) authtoken() string {
	if t := strings.TrimSpace(c.Agent.Authtoken); t != "" {
		return t
	}
	return strings.TrimSpace(c.Authtoken)
}

func (c ngrokConfig) connectURL() string {
	if u := strings.TrimSpace(c.Agent.ConnectURL); u != "" {
		return u
	}
	return strings.TrimSpace(c.ServerAddr)
}

var yamlLine = regexp.MustCompile(`line \d+`)

// parseNgrokConfig reads an ngrok config file. The error never quotes the
// file: it may hold the token.
func parseNgrokConfig(data []byte) (ngrokConfig, error) {
	var c ngrokConfig
	if err := yaml.Unmarshal(data, &c); err != nil {
		line := ""
		if m := yamlLine.FindString(err.Error()); m != "" {
			line = " error at " + m
		}
		return ngrokConfig{}, fmt.Errorf("not a valid ngrok config (YAML%s); fix it or run `ngrok config add-authtoken`", line)
	}
	return c, nil
}
