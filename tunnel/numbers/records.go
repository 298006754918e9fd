package numbers

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Record is what a restore needs, written before the first change: which
// target, every routing field as read, the changes, and who made them. It
// holds no credential: a restore takes the token from the environment.
type Record struct {
	Version int    `json:"version"`
	Kind    Kind   `json:"kind"`
	ID      string `json:"id"`
	Name    string `json:"name"`
	// Numbers are the numbers listened for; Others those a shared
	// resource serves too.
	Numbers []string  `json:"numbers"`
	Others  []string  `json:"others,omitempty"`
	Space   string    `json:"space"`
	Project string    `json:"project"`
	Created time.Time `json:"created"`
	// TunnelURL is the public base URL pointed at (the latest one).
	TunnelURL string `json:"tunnel_url"`
	PID       int    `json:"pid"`
	Host      string `json:"host"`
	// Read is the target as SignalWire answered before the change.
	Read    Object   `json:"read"`
	Changes []Change `json:"changes"`

	path string
}

// Title names the record's target for a person.
func (r *Record) Title() string { return title(r.Kind, r.Name, r.Numbers, r.Others) }

// Path is the record's file.
func (r *Record) Path() string { return r.path }

// Records is the directory of restore records (0700, files 0600). Every
// write is durable — file and directory synced — before it returns, so a
// change made after it survives a crash or power loss in the record.
type Records struct{ Dir string }

// ExistsError is a record already there for a target: another listen has
// it pointed, or one ended without restoring.
type ExistsError struct{ Record *Record }

func (e *ExistsError) Error() string {
	return fmt.Sprintf("%s already has a restore record (%s, pid %d on %s since %s)", e.Record.Title(), e.Record.path,
		e.Record.PID, e.Record.Host, e.Record.Created.Format(time.RFC3339))
}

func (rs Records) file(kind Kind, id string) string {
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, id)
	return filepath.Join(rs.Dir, string(kind)+"-"+safe+".json")
}

// Create writes a new record; an existing one for the same target is an
// *ExistsError, never overwritten.
func (rs Records) Create(r *Record) error {
	final := rs.file(r.Kind, r.ID)
	tmp, err := rs.writeTemp(r)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, final); err != nil {
		if errors.Is(err, fs.ErrExist) {
			if old, rerr := readRecord(final); rerr == nil {
				return &ExistsError{Record: old}
			}
			return fmt.Errorf("a restore record %s is already there (unreadable): %w", final, err)
		}
		return fmt.Errorf("write restore record %s: %w", final, err)
	}
	if err := os.Remove(tmp); err != nil {
		return fmt.Errorf("write restore record %s: %w", final, err)
	}
	r.path = final
	return syncDir(rs.Dir)
}

// Save replaces a record durably (a re-point adds the new values).
func (rs Records) Save(r *Record) error {
	final := rs.file(r.Kind, r.ID)
	tmp, err := rs.writeTemp(r)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write restore record %s: %w", final, err)
	}
	r.path = final
	return syncDir(rs.Dir)
}

// Remove deletes a record once its restore is done.
func (rs Records) Remove(r *Record) error {
	if err := os.Remove(rs.file(r.Kind, r.ID)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove restore record: %w", err)
	}
	return syncDir(rs.Dir)
}

// List reads every record, oldest first. A file that does not parse is an
// error naming it: it may be the only copy of a number's old URLs.
func (rs Records) List() ([]*Record, error) {
	ents, err := os.ReadDir(rs.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read restore records: %w", err)
	}
	var out []*Record
	var bad []string
	for _, e := range ents {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		r, err := readRecord(filepath.Join(rs.Dir, e.Name()))
		if err != nil {
			bad = append(bad, err.Error())
			continue
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *Record) int { return a.Created.Compare(b.Created) })
	if len(bad) > 0 {
		return out, errors.New(strings.Join(bad, "; "))
	}
	return out, nil
}

func readRecord(path string) (*Record, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read restore record: %w", err)
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil || r.Kind == "" || r.ID == "" {
		return nil, fmt.Errorf("restore record %s is damaged (it holds the old URLs; read it before removing it)", path)
	}
	r.path = path
	return &r, nil
}

func (rs Records) writeTemp(r *Record) (string, error) {
	if err := os.MkdirAll(rs.Dir, 0o700); err != nil {
		return "", fmt.Errorf("create the restore record directory: %w", err)
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encode restore record: %w", err)
	}
	f, err := os.CreateTemp(rs.Dir, ".record-*.tmp")
	if err != nil {
		return "", fmt.Errorf("write restore record: %w", err)
	}
	name := f.Name()
	fail := func(err error) (string, error) {
		f.Close()
		os.Remove(name)
		return "", fmt.Errorf("write restore record: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		return fail(err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(name)
		return "", fmt.Errorf("write restore record: %w", err)
	}
	return name, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync restore record directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sync restore record directory: %w", err)
	}
	return nil
}
