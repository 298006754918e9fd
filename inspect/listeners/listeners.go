// Package listeners records which `swhook listen` processes are running on
// a store, so a command aimed at one of them (trigger, replay, call) can
// find its URL when --to is left out, and so the listener can recognise a
// webhook swhook itself sent it: that webhook is then one row — the
// listener's, marked as sent by swhook — instead of the sender's record
// and the listener's copy.
//
// A running listener keeps a small file next to the store,
// <store>-listen-<pid>.<random>.json (0600), and holds an exclusive lock
// on it (flock) until it exits; the lock dies with the process, so a file
// whose lock is free belongs to a listener that is gone (and is removed by
// whoever notices). The file holds the listener's local URL, its forward
// target and a random token. A sender that found the listener names
// itself in the X-Swhook-Sent-By request header with that token; only the
// listener holding the token believes it, so nobody on the network can
// make a webhook look like swhook's own. Signatures cover the URL and
// body, never headers, so the header does not change what a handler's
// signature check sees.
package listeners

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/swhook/swhook/inspect/exchange"
	"github.com/swhook/swhook/inspect/internal/filelock"
)

// lockSupported: without flock a live listener cannot be told from a dead
// one, and every entry counts as live.
const lockSupported = filelock.Supported

// tryLock takes an exclusive lock on f without waiting; false means
// another process holds it. Where locks are not supported it always
// succeeds (see lockSupported).
func tryLock(f *os.File) (bool, error) {
	if !lockSupported {
		return true, nil
	}
	return filelock.TryLock(f)
}

// Header names. HeaderSentBy goes with a request swhook sends to a running
// listener; HeaderID comes back on the listener's answer to such a request
// only, naming the row it stored.
const (
	HeaderSentBy = "X-Swhook-Sent-By"
	HeaderID     = "X-Swhook-Id"
)

// Info is what a running listener publishes about itself.
type Info struct {
	// LocalURL is the local listener, e.g. http://127.0.0.1:4747: where
	// to send, and the listener's identity on the rows it stores.
	LocalURL string `json:"local_url"`
	// Forward is the handler it forwards to ("" when it answers itself).
	Forward string `json:"forward,omitempty"`
	// PID is the listener's process, for a person reading the file.
	PID int `json:"pid"`
	// Token proves a request came from a swhook that read this file.
	Token string `json:"token"`
}

// Registration is a listener's own entry; Close removes it.
type Registration struct {
	Info Info
	path string
	f    *os.File
}

func pattern(storePath string) string {
	return filepath.Clean(storePath) + "-listen-*.json"
}

// Register publishes info (its Token is filled in) for the store at
// storePath until Close.
func Register(storePath string, info Info) (*Registration, error) {
	var tok [16]byte
	if _, err := rand.Read(tok[:]); err != nil {
		return nil, fmt.Errorf("listener token: %w", err)
	}
	info.Token = hex.EncodeToString(tok[:])
	if info.PID == 0 {
		info.PID = os.Getpid()
	}
	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	path := fmt.Sprintf("%s-listen-%d.%s.json", filepath.Clean(storePath), info.PID, hex.EncodeToString(suffix[:]))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("register listener: %w", err)
	}
	if ok, err := tryLock(f); !ok {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("register listener: lock %s: %w", path, errors.Join(err, errors.New("locked")))
	}
	b, _ := json.Marshal(info)
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("register listener: %w", err)
	}
	return &Registration{Info: info, path: path, f: f}, nil
}

// Close removes the entry. Closing twice is safe.
func (r *Registration) Close() error {
	if r == nil || r.f == nil {
		return nil
	}
	os.Remove(r.path)
	err := r.f.Close()
	r.f = nil
	return err
}

// Running returns the listeners running on the store at storePath, ordered
// by local URL. Entries of listeners that are gone are removed on the way.
func Running(storePath string) ([]Info, error) {
	paths, err := filepath.Glob(pattern(storePath))
	if err != nil {
		return nil, err
	}
	var out []Info
	for _, p := range paths {
		info, alive := read(p)
		if alive {
			out = append(out, info)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LocalURL < out[j].LocalURL })
	return out, nil
}

// read reports the entry at p and whether its listener still holds it.
func read(p string) (Info, bool) {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return Info{}, false
	}
	defer f.Close()
	if ok, _ := tryLock(f); ok && lockSupported {
		// Nobody holds it: the listener died without removing it. (A
		// listener that is still starting holds the lock before it writes,
		// so this never removes a live one.)
		os.Remove(p)
		return Info{}, false
	}
	var info Info
	if err := json.NewDecoder(f).Decode(&info); err != nil || info.LocalURL == "" || info.Token == "" {
		return Info{}, false
	}
	return info, true
}

// For returns the running listener that target (a URL) is aimed at: the
// same scheme, host and port as its local URL. ok is false when none is.
func For(running []Info, target string) (Info, bool) {
	t := origin(target)
	if t == "" {
		return Info{}, false
	}
	for _, l := range running {
		if origin(l.LocalURL) == t {
			return l, true
		}
	}
	return Info{}, false
}

// origin is scheme://host:port of a URL, lower-cased, with localhost and
// 127.0.0.1 taken as the same host (the listener binds loopback).
func origin(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return ""
	}
	host := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		host = rest[:i]
	}
	host = strings.ToLower(host)
	if !strings.Contains(strings.TrimPrefix(host, "["), "]:") && strings.Count(host, ":") == 0 {
		switch strings.ToLower(scheme) {
		case "https":
			host += ":443"
		default:
			host += ":80"
		}
	}
	if h, port, ok := strings.Cut(host, ":"); ok && h == "localhost" {
		host = "127.0.0.1:" + port
	}
	return strings.ToLower(scheme) + "://" + host
}

// SentBy is the X-Swhook-Sent-By value for a webhook source sent (trigger,
// replay, call), replayOf naming the original of a replay (0 for none).
func SentBy(token string, source exchange.Source, replayOf int64) string {
	v := string(source)
	if replayOf != 0 {
		v += " #" + strconv.FormatInt(replayOf, 10)
	}
	return v + "; token=" + token
}

// ParseSentBy reads an X-Swhook-Sent-By value. ok is false unless it
// carries token (compared in constant time) and names a source swhook
// sends.
func ParseSentBy(v, token string) (source exchange.Source, replayOf int64, ok bool) {
	if token == "" || v == "" {
		return "", 0, false
	}
	what, tok, found := strings.Cut(v, "; token=")
	if !found || subtle.ConstantTimeCompare([]byte(tok), []byte(token)) != 1 {
		return "", 0, false
	}
	name, ref, _ := strings.Cut(what, " #")
	switch s := exchange.Source(name); s {
	case exchange.SourceTrigger, exchange.SourceReplay, exchange.SourceCall:
		source = s
	default:
		return "", 0, false
	}
	if ref != "" {
		n, err := strconv.ParseInt(ref, 10, 64)
		if err != nil || n <= 0 {
			return "", 0, false
		}
		replayOf = n
	}
	return source, replayOf, true
}
