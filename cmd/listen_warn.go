package cmd

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
)

// tailBuffer keeps the last max lines written to it: the warnings logged
// while the live view has the screen, printed once it has closed.
type tailBuffer struct {
	mu    sync.Mutex
	max   int
	lines []string
	total int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, l := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		b.total++
		b.lines = append(b.lines, l)
		if len(b.lines) > b.max {
			b.lines = b.lines[1:]
		}
	}
	return len(p), nil
}

// Lines returns the kept lines.
func (b *tailBuffer) Lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.lines...)
}

// Total is how many lines were written in all.
func (b *tailBuffer) Total() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.total
}

// loudHandler passes every record on to next and also offers each
// error-level one (a stuck store) to loud as one readable line, "message
// key=value …", without ever blocking: the live view shows it at once
// while it has the screen, and a view that is behind drops it (next still
// keeps it).
type loudHandler struct {
	next slog.Handler
	loud chan<- string
	// text formats a record's attributes (with the WithAttrs/WithGroup
	// applied to this handler) into buf, as slog's text handler does.
	text slog.Handler
	mu   *sync.Mutex
	buf  *bytes.Buffer
}

func newLoudHandler(next slog.Handler, loud chan<- string) *loudHandler {
	buf := new(bytes.Buffer)
	text := slog.NewTextHandler(buf, &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey || a.Key == slog.MessageKey) {
			return slog.Attr{}
		}
		return a
	}})
	return &loudHandler{next: next, loud: loud, text: text, mu: new(sync.Mutex), buf: buf}
}

func (h *loudHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *loudHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		h.mu.Lock()
		h.buf.Reset()
		h.text.Handle(ctx, r) // writes to buf; cannot fail
		line := r.Message
		if attrs := strings.TrimSpace(h.buf.String()); attrs != "" {
			line += " " + attrs
		}
		h.mu.Unlock()
		select {
		case h.loud <- line:
		default: // the view is behind; next keeps the line
		}
	}
	return h.next.Handle(ctx, r)
}

func (h *loudHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.next, c.text = h.next.WithAttrs(attrs), h.text.WithAttrs(attrs)
	return &c
}

func (h *loudHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.next, c.text = h.next.WithGroup(name), h.text.WithGroup(name)
	return &c
}
