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
	if t := strings.TrimSpace(flag); t != "" {
		return Authtoken{Token: t, Source: "--ngrok-authtoken"}, nil
	}
	if t := strings.TrimSpace(getenv(EnvNgrokAuthtoken)); t != "" {
		return Authtoken{Token: t, Source: "$" + EnvNgrokAuthtoken}, nil
	}
	for _, p := range NgrokConfigPaths(getenv, goos) {
		data, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return Authtoken{}, fmt.Errorf("cannot read ngrok config %s: %w", p, errors.Unwrap(err))
		}
		tok, err := parseNgrokConfig(data)
		if err != nil {
			return Authtoken{}, fmt.Errorf("ngrok config %s: %w", p, err)
		}
		if tok != "" {
			return Authtoken{Token: tok, Source: p}, nil
		}
	}
	return Authtoken{}, nil
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

// ngrokConfig holds the two places an authtoken lives: under agent: in the
// v3 format, at the top level in v2.
type ngrokConfig struct {
	Authtoken string `yaml:"authtoken"`
	Agent     struct {
		Authtoken string `yaml:"authtoken"`
	} `yaml:"agent"`
}

var yamlLine = regexp.MustCompile(`line \d+`)

// parseNgrokConfig returns the authtoken in an ngrok config file, "" when it
// has none. The error never quotes the file: it may hold the token.
func parseNgrokConfig(data []byte) (string, error) {
	var c ngrokConfig
	if err := yaml.Unmarshal(data, &c); err != nil {
		line := ""
		if m := yamlLine.FindString(err.Error()); m != "" {
			line = " error at " + m
		}
		return "", fmt.Errorf("not a valid ngrok config (YAML%s); fix it or run `ngrok config add-authtoken`", line)
	}
	if t := strings.TrimSpace(c.Agent.Authtoken); t != "" {
		return t, nil
	}
	return strings.TrimSpace(c.Authtoken), nil
}
