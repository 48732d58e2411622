package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wealthalloc/wealthalloc/internal/cli"
	"github.com/wealthalloc/wealthalloc/internal/iostreams"
)

// TestExitCodes checks the documented exit codes (wealthalloc help exit-codes)
// through the same entry point main uses.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "cfg"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	t.Setenv("WEALTHALLOC_DB", "")
	t.Setenv("WEALTHALLOC_CONFIG", "")
	db := filepath.Join(dir, "w.db")
	run := func(args ...string) (int, string) {
		io, _, _, errOut := iostreams.Test()
		return cli.Run(context.Background(), args, io), errOut.String()
	}
	if code, stderr := run("init", "--db", db); code != 0 {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}
	// An error of ours whose text contains cobra's wording is still exit 1.
	odd := filepath.Join(dir, "odd.csv")
	if err := os.WriteFile(odd, []byte("date,account,action,symbol,quantity,price\n2024-01-02,Bob accepts all,BUY,VTI,1,10\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"ok", []string{"accounts", "list", "--db", db}, 0, ""},
		{"unknown command", []string{"holdngs"}, 2, `unknown command "holdngs"`},
		{"unknown flag", []string{"holdings", "--bogus"}, 2, "unknown flag: --bogus"},
		{"bad flag value", []string{"holdings", "--group-by", "x", "--db", db}, 2, "--group-by"},
		{"bad global flag", []string{"holdings", "-o", "yaml", "--db", db}, 2, "--output"},
		{"bad color", []string{"holdings", "--color", "sometimes", "--db", db}, 2, "--color"},
		{"wrong arg count", []string{"import", "trades", "--db", db}, 2, "accepts 1 arg"},
		{"runtime error", []string{"import", "trades", filepath.Join(dir, "none.csv"), "--db", db}, 1, "no such file"},
		{"our error quoting cobra's words", []string{"import", "trades", odd, "--db", db}, 1, `account "Bob accepts all"`},
		{"file DSN with parameters", []string{"accounts", "list", "--db", "file:" + db + "?_pragma=busy_timeout(1000)"}, 0, ""},
		{"no database", []string{"holdings", "--db", filepath.Join(dir, "missing.db")}, 1, `run "wealthalloc init"`},
		{"cancelled", []string{"holdings", "--db", db}, 3, "cancelled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, _, _, errOut := iostreams.Test()
			ctx := context.Background()
			if tt.code == 3 {
				c, cancel := context.WithCancel(ctx)
				cancel()
				ctx = c
			}
			code := cli.Run(ctx, tt.args, io)
			if code != tt.code {
				t.Errorf("wealthalloc %s: exit %d; want %d (stderr %q)", strings.Join(tt.args, " "), code, tt.code, errOut)
			}
			if !strings.Contains(errOut.String(), tt.stderr) {
				t.Errorf("wealthalloc %s: stderr %q; want it to contain %q", strings.Join(tt.args, " "), errOut, tt.stderr)
			}
		})
	}
}
