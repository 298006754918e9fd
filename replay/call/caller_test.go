package call

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

// keypadTerminal is a Terminal in keypad mode over a string, as a real
// terminal in raw mode delivers keys.
func keypadTerminal(keys string) (*Terminal, *bytes.Buffer) {
	var out bytes.Buffer
	t := &Terminal{in: bufio.NewReader(strings.NewReader(keys)), out: &out}
	t.raw = func() (func(), error) { return func() {}, nil }
	return t, &out
}

func TestKeypad(t *testing.T) {
	cases := []struct {
		keys string
		ask  Ask
		want Reply
		err  error
	}{
		{"9rest", Ask{DTMF: true, NumDigits: 1}, Reply{Digits: "9"}, nil},     // no Enter needed
		{"12#", Ask{DTMF: true, FinishOnKey: "#"}, Reply{Digits: "12#"}, nil}, // the Gather strips the finish key
		{"13\x7f2\r", Ask{DTMF: true}, Reply{Digits: "12"}, nil},              // backspace
		{"\r", Ask{DTMF: true}, Reply{}, nil},                                 // silence
		{"x\x03", Ask{DTMF: true}, Reply{}, ErrHungUp},                        // Ctrl-C hangs up
		{"ssales\n", Ask{DTMF: true, Speech: true}, Reply{Speech: "sales"}, nil},
	}
	for _, c := range cases {
		term, _ := keypadTerminal(c.keys)
		got, err := term.Gather(context.Background(), c.ask)
		if got != c.want || !errors.Is(err, c.err) {
			t.Errorf("%q: %+v %v, want %+v %v", c.keys, got, err, c.want, c.err)
		}
	}
}

func TestLineTerminal(t *testing.T) {
	var out bytes.Buffer
	term := NewTerminal(strings.NewReader("abc\n12#\nspeech:yes\n\n7\nbusy\n"), &out)
	r, _ := term.Gather(context.Background(), Ask{DTMF: true})
	if r.Digits != "12#" || !strings.Contains(out.String(), "give keys") {
		t.Errorf("a bad line is asked again: %+v\n%s", r, out.String())
	}
	if r, _ := term.Gather(context.Background(), Ask{DTMF: true, Speech: true}); r.Speech != "yes" {
		t.Errorf("speech %+v", r)
	}
	if r, _ := term.Gather(context.Background(), Ask{DTMF: true}); !r.Silent() {
		t.Errorf("Enter alone is silence: %+v", r)
	}
	if n, _, _ := term.Record(context.Background(), Ask{}); n != 7 {
		t.Errorf("record %d", n)
	}
	if d, _ := term.Dial(context.Background(), "+1555"); d != "busy" {
		t.Errorf("dial %q", d)
	}
	if r, _ := term.Gather(context.Background(), Ask{DTMF: true}); !r.Silent() {
		t.Errorf("a closed terminal is a silent caller: %+v", r)
	}
}

// TestTerminalInterrupted: once the call's context has ended (Ctrl-C
// during a --realtime Say, SIGTERM), the terminal asks nothing and reads
// nothing: the call ends instead of waiting at a prompt.
func TestTerminalInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	keypad, kout := keypadTerminal("1#")
	if _, err := keypad.Gather(ctx, Ask{DTMF: true, FinishOnKey: "#"}); !errors.Is(err, context.Canceled) || kout.Len() != 0 {
		t.Errorf("keypad Gather: %v, asked %q", err, kout.String())
	}
	var out bytes.Buffer
	term := NewTerminal(strings.NewReader("1#\n7\nbusy\n"), &out)
	if _, err := term.Gather(ctx, Ask{DTMF: true}); !errors.Is(err, context.Canceled) {
		t.Errorf("Gather: %v", err)
	}
	if n, _, err := term.Record(ctx, Ask{}); !errors.Is(err, context.Canceled) || n != 0 {
		t.Errorf("Record: %d %v", n, err)
	}
	if d, err := term.Dial(ctx, "+1555"); !errors.Is(err, context.Canceled) {
		t.Errorf("Dial: %q %v", d, err)
	}
	if out.Len() != 0 {
		t.Errorf("asked %q", out.String())
	}
}

// TestDialPromptIsTerminalSafe: the dialled party in the prompt comes from
// the handler's answer (<Dial>'s text, SWML connect.to): its escapes are
// shown, not obeyed.
func TestDialPromptIsTerminalSafe(t *testing.T) {
	var out bytes.Buffer
	term := NewTerminal(strings.NewReader("busy\n"), &out)
	if d, err := term.Dial(context.Background(), "+1555\x1b]0;pwned\x07\u009b2J"); d != "busy" || err != nil {
		t.Fatalf("%q %v", d, err)
	}
	if strings.ContainsAny(out.String(), "\x1b\x07\u009b") || !strings.Contains(out.String(), "+1555") {
		t.Errorf("prompt %q", out.String())
	}
}
