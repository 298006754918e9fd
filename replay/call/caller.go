package call

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/swhook/swhook/inspect/termsafe"
)

// Ask is what the call asks of the caller.
type Ask struct {
	Verb string // Gather, Record, prompt (SWML)
	// Input is what is listened for: dtmf, speech, or both.
	DTMF, Speech bool
	NumDigits    int
	FinishOnKey  string
	Timeout      time.Duration
}

// Reply is what the caller did at a Gather; all empty is silence.
type Reply struct {
	Digits string
	Speech string
}

// Silent reports whether the caller gave nothing.
func (r Reply) Silent() bool { return r.Digits == "" && r.Speech == "" }

// Caller is the person on the other end of the call: flags first, then
// the terminal, else a silent caller.
type Caller interface {
	// Gather is what the caller presses or says.
	Gather(ctx context.Context, a Ask) (Reply, error)
	// Record is how many seconds the caller speaks and the key that ended
	// it ("" when the recording ran to its timeout or maxLength).
	Record(ctx context.Context, a Ask) (seconds int, digits string, err error)
	// Dial is the outcome of dialling target: completed, answered, busy,
	// no-answer, failed or canceled.
	Dial(ctx context.Context, target string) (string, error)
	// HangupAfter is when the caller hangs up; 0 means never.
	HangupAfter() time.Duration
}

// DialOutcomes are the values DialCallStatus takes.
var DialOutcomes = []string{"completed", "answered", "busy", "no-answer", "failed", "canceled"}

// Silent is a caller who presses nothing, says nothing, records silence,
// and whose every Dial completes.
type Silent struct{}

func (Silent) Gather(context.Context, Ask) (Reply, error) { return Reply{}, nil }
func (Silent) Record(context.Context, Ask) (int, string, error) {
	return 0, "", nil
}
func (Silent) Dial(context.Context, string) (string, error) { return "completed", nil }
func (Silent) HangupAfter() time.Duration                   { return 0 }

// ParseInput reads one --input value: digits (0-9 * #, like 1 or 12#),
// speech:words, or - for no input.
func ParseInput(v string) (Reply, error) {
	switch {
	case v == "-" || v == "":
		return Reply{}, nil
	case strings.HasPrefix(v, "speech:"):
		w := strings.TrimSpace(strings.TrimPrefix(v, "speech:"))
		if w == "" {
			return Reply{}, fmt.Errorf("--input %q: say something after speech:", v)
		}
		return Reply{Speech: w}, nil
	}
	for _, c := range v {
		if !strings.ContainsRune("0123456789*#", c) {
			return Reply{}, fmt.Errorf("--input %q: give keys (0-9, *, #) like 1 or 12#, speech:words, or - for no input", v)
		}
	}
	return Reply{Digits: v}, nil
}

// Script is the caller the flags describe; when they run out it asks
// Terminal if there is one.
type Script struct {
	Inputs []Reply
	Dials  []string
	// RecordSeconds is the length of every recording; negative means not
	// given (ask the terminal, else silence).
	RecordSeconds int
	Hangup        time.Duration
	Terminal      *Terminal
}

// NewScript checks the flags' values.
func NewScript(inputs, dials []string, record int, hangup time.Duration, term *Terminal) (*Script, error) {
	s := &Script{RecordSeconds: record, Hangup: hangup, Terminal: term}
	for _, v := range inputs {
		r, err := ParseInput(v)
		if err != nil {
			return nil, err
		}
		s.Inputs = append(s.Inputs, r)
	}
	for _, d := range dials {
		if !contains(DialOutcomes, d) {
			return nil, fmt.Errorf("--dial %q: use %s", d, strings.Join(DialOutcomes, ", "))
		}
		s.Dials = append(s.Dials, d)
	}
	return s, nil
}

func (s *Script) Gather(ctx context.Context, a Ask) (Reply, error) {
	if len(s.Inputs) > 0 {
		r := s.Inputs[0]
		s.Inputs = s.Inputs[1:]
		return r, nil
	}
	if s.Terminal != nil {
		return s.Terminal.Gather(ctx, a)
	}
	return Reply{}, nil
}

func (s *Script) Record(ctx context.Context, a Ask) (int, string, error) {
	// A recording ended by a key takes that key from --input: "#" ends it.
	digits := ""
	if len(s.Inputs) > 0 && s.Inputs[0].Digits != "" {
		digits = s.Inputs[0].Digits[:1]
		s.Inputs = s.Inputs[1:]
	} else if len(s.Inputs) > 0 {
		s.Inputs = s.Inputs[1:]
	}
	if s.RecordSeconds >= 0 {
		return s.RecordSeconds, digits, nil
	}
	if s.Terminal != nil {
		return s.Terminal.Record(ctx, a)
	}
	return 0, digits, nil
}

func (s *Script) Dial(ctx context.Context, target string) (string, error) {
	if len(s.Dials) > 0 {
		d := s.Dials[0]
		s.Dials = s.Dials[1:]
		return d, nil
	}
	if s.Terminal != nil {
		return s.Terminal.Dial(ctx, target)
	}
	return "completed", nil
}

func (s *Script) HangupAfter() time.Duration { return s.Hangup }

// Terminal asks the person at the keyboard. At a Gather on a real
// terminal it works like a phone's keypad: each key counts as it is
// pressed, and the Gather ends on its finish key or its number of digits
// without Enter. Elsewhere (and for Record and Dial) it asks one line per
// question.
type Terminal struct {
	in  *bufio.Reader
	out io.Writer
	// raw puts the terminal into raw mode and returns the restore; nil
	// means line mode.
	raw func() (func(), error)
}

// NewTerminal reads answers from in and asks on out; when in is a
// terminal, Gathers read single keys.
func NewTerminal(in io.Reader, out io.Writer) *Terminal {
	t := &Terminal{in: bufio.NewReader(in), out: out}
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fd := int(f.Fd())
		t.raw = func() (func(), error) {
			old, err := term.MakeRaw(fd)
			if err != nil {
				return nil, err
			}
			return func() { term.Restore(fd, old) }, nil
		}
	}
	return t
}

// ErrHungUp is the caller pressing Ctrl-C at the keypad: the call ends as
// a caller's hang-up.
var ErrHungUp = errors.New("the caller hung up (Ctrl-C)")

// keypad reads keys one at a time in raw mode. ok is false when raw mode
// is not available (line mode is used instead).
func (t *Terminal) keypad(a Ask) (r Reply, ok bool, err error) {
	if t.raw == nil || !a.DTMF {
		return Reply{}, false, nil
	}
	speak := ""
	if a.Speech {
		speak = ", s to speak"
	}
	fmt.Fprint(t.out, "  ☎ press keys (Enter ends, Enter alone is silence"+speak+", Ctrl-C hangs up) > ")
	restore, err := t.raw()
	if err != nil {
		return Reply{}, false, nil
	}
	var keys []byte
	defer func() {
		restore()
		fmt.Fprint(t.out, "\n")
	}()
	for {
		c, err := t.in.ReadByte()
		if err != nil {
			return Reply{Digits: string(keys)}, true, nil
		}
		switch {
		case c == 3 || c == 4: // Ctrl-C, Ctrl-D
			return Reply{}, true, ErrHungUp
		case c == '\r' || c == '\n':
			return Reply{Digits: string(keys)}, true, nil
		case c == 0x7f || c == 8:
			if len(keys) > 0 {
				keys = keys[:len(keys)-1]
				fmt.Fprint(t.out, "\b \b")
			}
		case c == 's' && a.Speech && len(keys) == 0:
			restore()
			restore = func() {}
			fmt.Fprint(t.out, "\r\n")
			line, err := t.line("  ☎ say (type the words, then Enter) > ")
			if err != nil || line == "" {
				return Reply{}, true, nil
			}
			return Reply{Speech: line}, true, nil
		case strings.IndexByte("0123456789*#", c) >= 0:
			keys = append(keys, c)
			fmt.Fprintf(t.out, "%c", c)
			if strings.IndexByte(a.FinishOnKey, c) >= 0 || (a.NumDigits > 0 && len(keys) >= a.NumDigits) {
				return Reply{Digits: string(keys)}, true, nil
			}
		}
	}
}

func (t *Terminal) line(prompt string) (string, error) {
	fmt.Fprint(t.out, prompt)
	s, err := t.in.ReadString('\n')
	if err != nil && s == "" {
		return "", err
	}
	return strings.TrimSpace(s), nil
}

// interrupted is the error of a question left unasked because the call's
// context has ended: a Ctrl-C outside a prompt (during a --realtime Say)
// or SIGTERM ends the call there instead of waiting at the next prompt.
func interrupted(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted: %w", err)
	}
	return nil
}

func (t *Terminal) Gather(ctx context.Context, a Ask) (Reply, error) {
	if err := interrupted(ctx); err != nil {
		return Reply{}, err
	}
	if r, ok, err := t.keypad(a); ok || err != nil {
		return r, err
	}
	what := "press keys"
	switch {
	case a.Speech && a.DTMF:
		what = "press keys or type speech:words"
	case a.Speech:
		what = "type speech:words"
	}
	for {
		if err := interrupted(ctx); err != nil {
			return Reply{}, err
		}
		s, err := t.line("  ☎ " + what + ", then Enter (Enter alone: silence) > ")
		if err != nil {
			return Reply{}, nil // the terminal closed: the caller is silent
		}
		if s == "" {
			return Reply{}, nil
		}
		if a.Speech && !a.DTMF && !strings.HasPrefix(s, "speech:") {
			s = "speech:" + s
		}
		r, err := ParseInput(s)
		if err == nil {
			return r, nil
		}
		fmt.Fprintln(t.out, "  ", strings.TrimPrefix(err.Error(), "--input "))
	}
}

func (t *Terminal) Record(ctx context.Context, a Ask) (int, string, error) {
	for {
		if err := interrupted(ctx); err != nil {
			return 0, "", err
		}
		s, err := t.line("  ☎ seconds to speak (Enter: silence) > ")
		if err != nil || s == "" {
			return 0, "", nil
		}
		n, err := strconv.Atoi(s)
		if err == nil && n >= 0 {
			return n, "", nil
		}
		fmt.Fprintln(t.out, "   give a number of seconds, like 5")
	}
}

func (t *Terminal) Dial(ctx context.Context, target string) (string, error) {
	for {
		if err := interrupted(ctx); err != nil {
			return "", err
		}
		// target is the handler's (<Dial>'s text): shown, never obeyed.
		s, err := t.line("  ☎ " + termsafe.String(target) + " answers? " + strings.Join(DialOutcomes, "|") + " (Enter: completed) > ")
		if err != nil || s == "" {
			return "completed", nil
		}
		if contains(DialOutcomes, s) {
			return s, nil
		}
	}
}

func (t *Terminal) HangupAfter() time.Duration { return 0 }
