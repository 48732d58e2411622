package cmdutil

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/cobra"

	"github.com/wealthalloc/wealthalloc/internal/iostreams"
)

func gatewayFactory(t *testing.T, cfg string, env map[string]string) *Factory {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	io, _, _, _ := iostreams.Test()
	f := New(io, "test")
	f.Global.Config = path
	f.Getenv = func(k string) string {
		if k == "HOME" || k == "XDG_CONFIG_HOME" || k == "XDG_DATA_HOME" {
			return dir
		}
		return env[k]
	}
	return f
}

func TestGatewayConfigPrecedence(t *testing.T) {
	const file = "gateway:\n  host: 10.0.0.9\n  port: 4001\n  client_id: 5\n"
	for _, c := range []struct {
		name     string
		args     []string
		env      map[string]string
		cfg      string
		wantAddr string
		wantID   int
	}{
		{"defaults", nil, nil, "", "127.0.0.1:4002", 17},
		{"file", nil, nil, file, "10.0.0.9:4001", 5},
		{"env over file", nil, map[string]string{"WEALTHALLOC_GATEWAY": "h:1", "WEALTHALLOC_CLIENT_ID": "8"}, file, "h:1", 8},
		{"flags over env", []string{"--gateway", "g:2", "--client-id", "0"}, map[string]string{"WEALTHALLOC_GATEWAY": "h:1", "WEALTHALLOC_CLIENT_ID": "8"}, file, "g:2", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := gatewayFactory(t, c.cfg, c.env)
			var g GatewayFlags
			cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
			AddGatewayFlags(cmd, &g)
			cmd.SetArgs(c.args)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			got, err := f.GatewayConfig(&g)
			if err != nil {
				t.Fatal(err)
			}
			if got.Addr != c.wantAddr || got.ClientID != c.wantID || got.AllowLive {
				t.Errorf("got addr %q id %d live %v, want %q %d false", got.Addr, got.ClientID, got.AllowLive, c.wantAddr, c.wantID)
			}
		})
	}
}

// TestLiveNeedsConfigAndFlag proves orders on live accounts are allowed
// only when the config says trading.live: true and the command says --live.
func TestLiveNeedsConfigAndFlag(t *testing.T) {
	for _, c := range []struct {
		cfg       string
		flag      bool
		wantLive  bool
		wantUsage bool
	}{
		{"", false, false, false},
		{"trading:\n  live: true\n", false, false, false},
		{"", true, false, true},
		{"trading:\n  live: false\n", true, false, true},
		{"trading:\n  live: true\n", true, true, false},
	} {
		f := gatewayFactory(t, c.cfg, nil)
		got, err := f.GatewayConfig(&GatewayFlags{Live: c.flag})
		var fe *FlagError
		if c.wantUsage != errors.As(err, &fe) {
			t.Errorf("config %q --live=%v: err %v, want usage error %v", c.cfg, c.flag, err, c.wantUsage)
			continue
		}
		if err == nil && got.AllowLive != c.wantLive {
			t.Errorf("config %q --live=%v: AllowLive %v, want %v", c.cfg, c.flag, got.AllowLive, c.wantLive)
		}
	}
	if _, err := gatewayFactory(t, "", nil).GatewayConfig(&GatewayFlags{Addr: "nohostport"}); err == nil {
		t.Error("--gateway without a port accepted")
	}
}
