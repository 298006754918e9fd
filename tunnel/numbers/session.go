package numbers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Session points a plan's targets at a tunnel and puts them back. It is
// safe for one goroutine to re-point (on a new tunnel URL) while another
// waits to restore: calls are serialised.
type Session struct {
	Client  *Client
	Records Records
	Plan    *Plan
	// PID and Host identify this process in the records, so a later run
	// can tell a live owner from a crashed one.
	PID  int
	Host string
	Now  func() time.Time

	mu     sync.Mutex
	active []*Record
	base   string
	ended  bool // Restore was called: no more pointing
}

// Pointed is the public base URL the targets point at now ("" before).
func (s *Session) Pointed() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.base
}

// Point points every target at base (the tunnel's public URL). For each,
// it reads the target afresh, writes the restore record durably, and only
// then changes it. If any step fails, what was changed is put back and the
// error says what happened. Called again with a new URL, it re-points.
func (s *Session) Point(ctx context.Context, base string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return nil, errors.New("the numbers were restored: not pointing them again")
	}
	if s.base != "" {
		return s.repoint(ctx, base)
	}
	var notes []string
	for _, t := range s.Plan.Targets {
		fields, whole, err := s.Client.readTarget(ctx, t.Kind, t.ID)
		if err == nil && fields == nil {
			err = fmt.Errorf("SignalWire's answer for %s has no %s object", t.Title(), t.Kind)
		}
		if err != nil {
			return s.undo(ctx, notes, fmt.Errorf("read %s: %w", t.Title(), err))
		}
		changes, why := t.plan(fields)
		if len(why) > 0 {
			return s.undo(ctx, notes, fmt.Errorf("%s changed since it was looked up: %s", t.Title(), strings.Join(why, "; ")))
		}
		for i := range changes {
			changes[i].Set = []string{changes[i].To(base)}
		}
		t.Changes = changes
		rec := &Record{Version: 1, Kind: t.Kind, ID: t.ID, Name: t.Name, Numbers: t.Numbers, Others: t.Others,
			Space: s.Client.Space(), Project: s.Client.Project(), Created: s.now(), TunnelURL: base,
			PID: s.PID, Host: s.Host, Read: whole, Changes: changes}
		if err := s.Records.Create(rec); err != nil {
			return s.undo(ctx, notes, err)
		}
		s.active = append(s.active, rec)
		upd := map[string]any{}
		for _, c := range changes {
			upd[c.Field] = c.To(base)
		}
		if _, err := s.Client.writeTarget(ctx, t.Kind, t.ID, upd); err != nil {
			return s.undo(ctx, notes, fmt.Errorf("point %s: %w", t.Title(), err))
		}
		notes = append(notes, "pointed "+t.Title()+": "+describe(changes, base))
	}
	s.base = base
	return notes, nil
}

// undo restores what Point changed before it failed and returns cause,
// with the restore's trouble joined when there was some.
func (s *Session) undo(ctx context.Context, notes []string, cause error) ([]string, error) {
	more, err := s.restoreLocked(ctx)
	notes = append(notes, more...)
	if err != nil {
		return notes, fmt.Errorf("%w; putting back what was changed also failed: %w", cause, err)
	}
	return notes, cause
}

func describe(changes []Change, base string) string {
	var parts []string
	for _, c := range changes {
		parts = append(parts, c.Field+" "+c.To(base))
	}
	return strings.Join(parts, ", ")
}

func (s *Session) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// repoint moves every target to a new base URL: the record learns the new
// values first, then each field still holding swhook's value is changed;
// one changed in the dashboard meanwhile is left and said.
func (s *Session) repoint(ctx context.Context, base string) ([]string, error) {
	if base == s.base {
		return nil, nil
	}
	var notes []string
	var errs []error
	for _, rec := range s.active {
		prev := make([][]string, len(rec.Changes))
		for i := range rec.Changes {
			c := &rec.Changes[i]
			prev[i] = slices.Clone(c.Set)
			if to := c.To(base); !slices.Contains(c.Set, to) {
				c.Set = append(c.Set, to)
			}
		}
		rec.TunnelURL = base
		if err := s.Records.Save(rec); err != nil {
			errs = append(errs, err)
			continue
		}
		cur, _, err := s.Client.readTarget(ctx, rec.Kind, rec.ID)
		if err != nil {
			errs = append(errs, fmt.Errorf("re-point %s: %w", rec.Title(), err))
			continue
		}
		upd := map[string]any{}
		var moved []Change
		for i, c := range rec.Changes {
			if c.Path == "" {
				continue
			}
			v := cur.Str(c.Field)
			if slices.Contains(prev[i], v) {
				upd[c.Field] = c.To(base)
				moved = append(moved, c)
			} else if v != c.To(base) {
				notes = append(notes, fmt.Sprintf("left %s's %s as it is: it was changed since swhook set it (now %s)", rec.Title(), c.Field, orEmpty(v)))
			}
		}
		if len(upd) == 0 {
			continue
		}
		if _, err := s.Client.writeTarget(ctx, rec.Kind, rec.ID, upd); err != nil {
			errs = append(errs, fmt.Errorf("re-point %s: %w", rec.Title(), err))
			continue
		}
		notes = append(notes, "re-pointed "+rec.Title()+" at the new URL: "+describe(moved, base))
	}
	s.base = base
	return notes, errors.Join(errs...)
}

// Restore puts every target back (see RestoreRecord) and deletes each
// record whose restore succeeded; a failed one keeps its record, and the
// error says how to retry. Point does nothing after it.
func (s *Session) Restore(ctx context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended = true
	return s.restoreLocked(ctx)
}

func (s *Session) restoreLocked(ctx context.Context) ([]string, error) {
	var notes []string
	var errs []error
	var kept []*Record
	for _, rec := range s.active {
		n, err := RestoreRecord(ctx, s.Client, rec)
		notes = append(notes, n...)
		if err == nil {
			err = s.Records.Remove(rec)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%w (the restore record %s is kept: retry with `swhook numbers restore`)", err, rec.path))
			kept = append(kept, rec)
		}
	}
	s.active = kept
	if len(kept) == 0 {
		s.base = ""
	}
	return notes, errors.Join(errs...)
}

func orEmpty(s string) string {
	if s == "" {
		return "(empty)"
	}
	return s
}

// RestoreRecords restores each record whose listen is not running on host
// (a crash, kill -9) and removes it once done; say gets every note. A
// record held by a running listen is left to it (said when loud).
// Failures keep their records, so a later `swhook numbers restore` can
// retry, and are returned joined.
func RestoreRecords(ctx context.Context, c *Client, recs Records, list []*Record, host string, say func(...string), loud bool) error {
	var errs []error
	for _, r := range list {
		if r.OwnerAlive(host) {
			if loud {
				say(fmt.Sprintf("%s is held by a running swhook listen (pid %d): stopping it restores it", r.Title(), r.PID))
			}
			continue
		}
		notes, err := RestoreRecord(ctx, c, r)
		say(notes...)
		if err == nil {
			err = recs.Remove(r)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%w (the restore record %s is kept: retry with `swhook numbers restore`)", err, r.Path()))
		}
	}
	return errors.Join(errs...)
}

// RestoreRecord puts a record's fields back: each to its value as read,
// but only while it still holds a value swhook set. It does not delete the
// record (the caller does, once this succeeded).
func RestoreRecord(ctx context.Context, c *Client, rec *Record) ([]string, error) {
	if c.Project() != rec.Project || !sameSpace(c.Space(), rec.Space) {
		return nil, fmt.Errorf("the restore record for %s is for project %s on %s, not project %s on %s: set $%s and $%s to those",
			rec.Title(), rec.Project, rec.Space, c.Project(), c.Space(), EnvProject, EnvSpace)
	}
	cur, _, err := c.readTarget(ctx, rec.Kind, rec.ID)
	if IsNotFound(err) {
		return []string{fmt.Sprintf("%s is no longer in the project: nothing to restore", rec.Title())}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("restore %s: %w", rec.Title(), err)
	}
	var notes []string
	upd := map[string]any{}
	var back []string
	for _, ch := range rec.Changes {
		v := cur.Str(ch.Field)
		switch {
		case slices.Contains(ch.Set, v) && ch.From == nil && ch.Path == "":
			notes = append(notes, fmt.Sprintf("%s's %s stays %s: it had none, and the API cannot set a handler back to none (its URL is cleared)", rec.Title(), ch.Field, v))
		case slices.Contains(ch.Set, v):
			upd[ch.Field] = ch.from()
			back = append(back, ch.Field+" "+orEmpty(ch.from()))
		case v == ch.from():
			// already as it was
		default:
			notes = append(notes, fmt.Sprintf("left %s's %s as it is: it was changed since swhook set it (now %s; before swhook: %s)", rec.Title(), ch.Field, orEmpty(v), orEmpty(ch.from())))
		}
	}
	if len(upd) == 0 {
		return append(notes, rec.Title()+": nothing of swhook's is left to put back"), nil
	}
	if _, err := c.writeTarget(ctx, rec.Kind, rec.ID, upd); err != nil {
		return notes, fmt.Errorf("restore %s: %w", rec.Title(), err)
	}
	return append([]string{"restored " + rec.Title() + ": " + strings.Join(back, ", ")}, notes...), nil
}

func sameSpace(a, b string) bool {
	norm := func(s string) string {
		if u, err := SpaceURL(s); err == nil {
			return u.Host
		}
		return s
	}
	return norm(a) == norm(b)
}
