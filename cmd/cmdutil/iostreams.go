// Package cmdutil holds what every command is handed instead of reaching for
// globals: its streams, its environment, its clock and HTTP client, and the
// error types that decide the exit status. Tests build one with Test() and
// run commands in-process.
package cmdutil

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams are a command's standard streams plus what it needs to know
// about them (is this a terminal, how wide) to choose its output.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdoutTTY bool
	stdinTTY  bool
	colorOK   bool
}

// System returns the process's own streams.
func System() *IOStreams {
	s := &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	s.stdoutTTY = term.IsTerminal(int(os.Stdout.Fd()))
	s.stdinTTY = term.IsTerminal(int(os.Stdin.Fd()))
	s.colorOK = s.stdoutTTY && os.Getenv("NO_COLOR") == "" && os.Getenv("TERM") != "dumb"
	return s
}

// Test returns streams backed by buffers: stdin, stdout, stderr.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// IsStdoutTTY says whether stdout is a terminal (TUI and colours) or a pipe
// (plain lines a script can read).
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStdinTTY says whether stdin is a terminal, so "-" can refuse to wait for
// a person to type a body by accident.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// ColorEnabled says whether ANSI colour may be written to stdout.
func (s *IOStreams) ColorEnabled() bool { return s.colorOK }

// SetStdoutTTY lets tests pretend to be a terminal.
func (s *IOStreams) SetStdoutTTY(v bool) { s.stdoutTTY = v }

// SetStdinTTY lets tests pretend stdin is a terminal.
func (s *IOStreams) SetStdinTTY(v bool) { s.stdinTTY = v }

// SetColorEnabled lets tests switch colour on or off.
func (s *IOStreams) SetColorEnabled(v bool) { s.colorOK = v }
