package cli_test

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wealthalloc/wealthalloc/internal/cli"
	"github.com/wealthalloc/wealthalloc/internal/cli/gateway"
	"github.com/wealthalloc/wealthalloc/internal/demo"
	"github.com/wealthalloc/wealthalloc/internal/ibkr/sim"
	"github.com/wealthalloc/wealthalloc/internal/iostreams"
)

// TestGatewayExitCodes: an unreachable gateway and one that drops the
// connection mid-sync both exit 5, name the step, and write nothing.
func TestGatewayExitCodes(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "cfg"))
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	t.Setenv("WEALTHALLOC_DB", "")
	t.Setenv("WEALTHALLOC_CONFIG", "")
	t.Setenv("WEALTHALLOC_GATEWAY", "")
	db := filepath.Join(dir, "w.db")
	run := func(args ...string) (int, string, string) {
		io, _, out, errOut := iostreams.Test()
		code := cli.Run(context.Background(), args, io)
		return code, out.String(), errOut.String()
	}
	if code, _, stderr := run("init", "--db", db); code != 0 {
		t.Fatalf("init: exit %d: %s", code, stderr)
	}

	// A port nobody listens on.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	code, _, stderr := run("sync", "--db", db, "--gateway", closed)
	if code != 5 || !strings.Contains(stderr, "dial") {
		t.Errorf("sync to a closed port: exit %d, stderr %q; want 5 naming the dial", code, stderr)
	}

	// A simulator that drops the connection during the positions download.
	cfg, err := gateway.DemoConfig(demo.AsOf)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Faults = []sim.Fault{{Name: sim.FaultDisconnectAfter, Arg: "7"}}
	srv, err := sim.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	code, _, stderr = run("sync", "--db", db, "--gateway", addr, "--as-of", "2008-11-20")
	if code != 5 || !strings.Contains(stderr, "sync: positions") || !strings.Contains(stderr, "nothing was written") {
		t.Errorf("sync cut mid-way: exit %d, stderr %q; want 5 naming the positions step", code, stderr)
	}
	code, out, stderr := run("accounts", "list", "--db", db, "-o", "json")
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("after the failed sync: exit %d, accounts %q (%s); want none", code, out, stderr)
	}

	// The same simulator without the fault: the sync lands.
	srv.SetFaults()
	code, _, stderr = run("sync", "--db", db, "--gateway", addr, "--as-of", "2008-11-20")
	if code != 0 || !strings.Contains(stderr, "books and IB agree") {
		t.Errorf("sync: exit %d, stderr %q", code, stderr)
	}
}
