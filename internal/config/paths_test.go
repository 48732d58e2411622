package config

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func envFunc(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestResolvePaths(t *testing.T) {
	j := filepath.Join
	tests := []struct {
		name    string
		goos    string
		env     map[string]string
		want    Paths
		wantErr string
	}{
		{
			name: "unix defaults from HOME",
			goos: "linux",
			env:  map[string]string{"HOME": "/home/u"},
			want: Paths{
				ConfigDir: j("/home/u", ".config", "wealthalloc"),
				DataDir:   j("/home/u", ".local", "share", "wealthalloc"),
				StateDir:  j("/home/u", ".local", "state", "wealthalloc"),
				CacheDir:  j("/home/u", ".cache", "wealthalloc"),
			},
		},
		{
			name: "macOS uses the XDG layout too",
			goos: "darwin",
			env:  map[string]string{"HOME": "/Users/u"},
			want: Paths{
				ConfigDir: j("/Users/u", ".config", "wealthalloc"),
				DataDir:   j("/Users/u", ".local", "share", "wealthalloc"),
				StateDir:  j("/Users/u", ".local", "state", "wealthalloc"),
				CacheDir:  j("/Users/u", ".cache", "wealthalloc"),
			},
		},
		{
			name: "XDG variables",
			goos: "linux",
			env: map[string]string{
				"HOME":            "/home/u",
				"XDG_CONFIG_HOME": "/x/cfg",
				"XDG_DATA_HOME":   "/x/data",
				"XDG_STATE_HOME":  "/x/state",
				"XDG_CACHE_HOME":  "/x/cache",
			},
			want: Paths{
				ConfigDir: j("/x/cfg", "wealthalloc"),
				DataDir:   j("/x/data", "wealthalloc"),
				StateDir:  j("/x/state", "wealthalloc"),
				CacheDir:  j("/x/cache", "wealthalloc"),
			},
		},
		{
			name: "WEALTHALLOC variables beat XDG and need no HOME",
			goos: "linux",
			env: map[string]string{
				"XDG_CONFIG_HOME":        "/x/cfg",
				"XDG_DATA_HOME":          "/x/data",
				"WEALTHALLOC_CONFIG_DIR": "/w/cfg/",
				"WEALTHALLOC_DATA_DIR":   "/w/data",
				"WEALTHALLOC_STATE_DIR":  "/w/state",
				"WEALTHALLOC_CACHE_DIR":  "/w/cache",
			},
			want: Paths{
				ConfigDir: "/w/cfg",
				DataDir:   "/w/data",
				StateDir:  "/w/state",
				CacheDir:  "/w/cache",
			},
		},
		{
			name: "relative XDG values are ignored",
			goos: "linux",
			env:  map[string]string{"HOME": "/home/u", "XDG_CONFIG_HOME": "rel/cfg", "XDG_CACHE_HOME": "/abs/cache"},
			want: Paths{
				ConfigDir: j("/home/u", ".config", "wealthalloc"),
				DataDir:   j("/home/u", ".local", "share", "wealthalloc"),
				StateDir:  j("/home/u", ".local", "state", "wealthalloc"),
				CacheDir:  j("/abs/cache", "wealthalloc"),
			},
		},
		{
			name: "windows AppData and LocalAppData",
			goos: "windows",
			env:  map[string]string{"AppData": "/c/roam", "LocalAppData": "/c/local"},
			want: Paths{
				ConfigDir: j("/c/roam", "wealthalloc"),
				DataDir:   j("/c/local", "wealthalloc"),
				StateDir:  j("/c/local", "wealthalloc", "state"),
				CacheDir:  j("/c/local", "wealthalloc", "cache"),
			},
		},
		{
			name: "windows falls back to USERPROFILE, not HOME",
			goos: "windows",
			env:  map[string]string{"USERPROFILE": "/c/u", "HOME": "/ignored"},
			want: Paths{
				ConfigDir: j("/c/u", "AppData", "Roaming", "wealthalloc"),
				DataDir:   j("/c/u", "AppData", "Local", "wealthalloc"),
				StateDir:  j("/c/u", "AppData", "Local", "wealthalloc", "state"),
				CacheDir:  j("/c/u", "AppData", "Local", "wealthalloc", "cache"),
			},
		},
		{
			name:    "no HOME",
			goos:    "linux",
			env:     map[string]string{"XDG_CONFIG_HOME": "/x/cfg"},
			wantErr: "$HOME is not set",
		},
		{
			name:    "windows without USERPROFILE",
			goos:    "windows",
			env:     map[string]string{"AppData": "/c/roam", "HOME": "/home/u"},
			wantErr: "$USERPROFILE is not set",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resolvePaths(tt.goos, envFunc(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("resolvePaths() error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("resolvePaths() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("resolvePaths() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestResolvePathsCurrentOS(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the current-OS check below uses HOME")
	}
	p, err := ResolvePaths(envFunc(map[string]string{"HOME": "/h"}))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join("/h", ".config", "wealthalloc"); p.ConfigDir != want {
		t.Errorf("ConfigDir = %q, want %q", p.ConfigDir, want)
	}
}

func TestPathsFiles(t *testing.T) {
	p := Paths{ConfigDir: "/c", DataDir: "/d", StateDir: "/s", CacheDir: "/k"}
	for _, tt := range []struct{ name, got, want string }{
		{"ConfigFile", p.ConfigFile(), filepath.Join("/c", "config.yaml")},
		{"SecretsFile", p.SecretsFile(), filepath.Join("/c", "secrets.json")},
		{"DefaultDB", p.DefaultDB(), filepath.Join("/d", "wealthalloc.db")},
		{"DemoDB", p.DemoDB(), filepath.Join("/d", "demo.db")},
	} {
		if tt.got != tt.want {
			t.Errorf("%s() = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}
