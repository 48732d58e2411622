// Package iostreams is the program's view of its standard streams: whether
// they are terminals, whether colour is wanted, how wide the screen is. Commands
// write through it so that tests can swap the streams and force either mode.
package iostreams

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/term"
)

// ColorMode is the --color setting.
type ColorMode string

// Colour modes.
const (
	ColorAuto   ColorMode = "auto"
	ColorAlways ColorMode = "always"
	ColorNever  ColorMode = "never"
)

// IOStreams holds the standard streams and what is known about them.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY  bool
	stdoutTTY bool
	stderrTTY bool
	width     int
	colorMode ColorMode
	noColor   bool // NO_COLOR is set
}

// System returns streams bound to the process's stdin, stdout and stderr.
func System() *IOStreams {
	s := &IOStreams{
		In:        os.Stdin,
		Out:       os.Stdout,
		ErrOut:    os.Stderr,
		stdinTTY:  isTerminal(os.Stdin),
		stdoutTTY: isTerminal(os.Stdout),
		stderrTTY: isTerminal(os.Stderr),
		colorMode: ColorAuto,
	}
	_, s.noColor = os.LookupEnv("NO_COLOR")
	if s.stdoutTTY {
		if w, _, err := term.GetSize(int(os.Stdout.Fd())); err == nil {
			s.width = w
		}
	}
	return s
}

// Test returns streams over buffers, none of them a terminal.
func Test() (s *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut, colorMode: ColorAuto}, in, out, errOut
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

// IsStdoutTTY reports whether stdout is a terminal (tables) or a pipe (TSV).
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStdinTTY reports whether a person could answer a prompt.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStderrTTY reports whether progress output may be drawn.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetStdoutTTY forces the terminal mode of stdout (tests).
func (s *IOStreams) SetStdoutTTY(v bool) { s.stdoutTTY = v }

// SetStdinTTY forces the terminal mode of stdin (tests).
func (s *IOStreams) SetStdinTTY(v bool) { s.stdinTTY = v }

// SetColorMode applies --color.
func (s *IOStreams) SetColorMode(m ColorMode) { s.colorMode = m }

// ColorEnabled reports whether output may carry ANSI colour: always when
// asked, never when asked or when NO_COLOR is set, otherwise on a terminal.
func (s *IOStreams) ColorEnabled() bool {
	switch s.colorMode {
	case ColorAlways:
		return true
	case ColorNever:
		return false
	}
	return !s.noColor && s.stdoutTTY
}

// TerminalWidth is the width of stdout, or 0 when unknown.
func (s *IOStreams) TerminalWidth() int { return s.width }
