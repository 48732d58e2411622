package cmdutil

import (
	"fmt"
	"time"
)

// Progress shows what long work is doing on one line of stderr, on a
// terminal only: piped or redirected runs stay quiet.
func (f *Factory) Progress(format string, args ...any) {
	if !f.IO.IsStderrTTY() {
		return
	}
	fmt.Fprintf(f.IO.ErrOut, "\r\x1b[K"+format+"…", args...)
}

// ProgressDone clears the progress line.
func (f *Factory) ProgressDone() {
	if f.IO.IsStderrTTY() {
		fmt.Fprint(f.IO.ErrOut, "\r\x1b[K")
	}
}

// Timed logs how long a step took at debug level.
func (f *Factory) Timed(step string, start time.Time) {
	f.Logger.Debug(step, "took", time.Since(start).Round(time.Microsecond))
}
