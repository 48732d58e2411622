// Package cli is the command line: the cobra tree, and the one place where
// errors become messages and exit codes.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/build"
	"github.com/wealthalloc/wealthalloc/internal/cli/cmdutil"
	"github.com/wealthalloc/wealthalloc/internal/ibkr"
	"github.com/wealthalloc/wealthalloc/internal/iostreams"
)

// Main runs the program with the process's arguments and returns its exit code.
func Main() int {
	return Run(context.Background(), os.Args[1:], iostreams.System())
}

// Run executes one command line. Tests call it with their own streams.
func Run(ctx context.Context, args []string, io *iostreams.IOStreams) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	f := cmdutil.New(io, build.Get().Version)
	root := NewCmdRoot(f)
	root.SetArgs(args)
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.ErrOut)
	cmd, err := root.ExecuteContextC(ctx)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err == nil {
		return cmdutil.ExitOK
	}
	return report(io.ErrOut, cmd, err, f.Logger)
}

// report prints err once, in the form its type calls for, and picks the exit code.
func report(w io.Writer, cmd *cobra.Command, err error, log *slog.Logger) int {
	log.Debug("command failed", "err", err)
	var exitErr *cmdutil.CodeError
	if errors.As(err, &exitErr) && exitErr.Err == nil {
		return exitErr.Code
	}
	var flagErr *cmdutil.FlagError
	switch {
	case errors.As(err, &flagErr) || isCobraUsageError(err):
		fmt.Fprintf(w, "error: %v\n", err)
		if cmd != nil {
			fmt.Fprintf(w, "usage: %s\nrun %q for help\n", cmd.UseLine(), cmd.CommandPath()+" --help")
		}
		return cmdutil.ExitUsage
	case errors.Is(err, cmdutil.ErrCancelled) || errors.Is(err, context.Canceled):
		fmt.Fprintln(w, "cancelled")
		return cmdutil.ExitCancelled
	}
	fmt.Fprintf(w, "error: %v\n", err)
	switch {
	case errors.As(err, &exitErr):
		return exitErr.Code
	case errors.Is(err, ibkr.ErrUnreachable):
		return cmdutil.ExitGateway
	}
	return cmdutil.ExitError
}

// isCobraUsageError recognises the errors cobra raises itself before a
// command runs: an unknown subcommand and a missing required flag. They are
// plain errors, recognised by how they start (never by what they contain, so
// a value in one of our own messages cannot be mistaken for them).
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command ", "required flag(s) "} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}
