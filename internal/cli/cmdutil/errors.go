package cmdutil

import (
	"errors"
	"fmt"
)

// Exit codes, documented in `wealthalloc help exit-codes`. Only internal/cli
// turns errors into these.
const (
	ExitOK          = 0
	ExitError       = 1
	ExitUsage       = 2
	ExitCancelled   = 3
	ExitCredentials = 4
	ExitGateway     = 5
	ExitFound       = 10
)

// FlagError is a usage mistake: a bad flag value or argument. It exits 2 and
// the command's usage line is shown under it.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// FlagErrorf builds a *FlagError.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// CodeError carries a specific exit code. With a nil Err nothing is printed
// (the command already said what it had to, e.g. `--exit-code` found something).
type CodeError struct {
	Code int
	Err  error
}

func (e *CodeError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}

func (e *CodeError) Unwrap() error { return e.Err }

// ErrCancelled is returned when the user declines a prompt.
var ErrCancelled = errors.New("cancelled")
