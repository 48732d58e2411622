package config

import (
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoad(t *testing.T) {
	full := `
db: postgres://u@localhost/w
portfolio: retirement
user: alice
display:
  colors: cn
  color: never
tax:
  filing_status: married_joint
  rates:
    short: 0.32
    long: "0.15"
    state: .05
  substantially_identical:
    - [VOO, IVV, SPY]
    - [VTI, ITOT]
targets:
  VTI: 0.60
  BND: "0.40"
gateway:
  host: 10.0.0.2
  port: 4001
  client_id: 7
trading:
  live: true
`
	wantFull := &Config{
		DB:        "postgres://u@localhost/w",
		Portfolio: "retirement",
		User:      "alice",
		Display:   Display{Colors: "cn", Color: "never"},
		Tax: Tax{
			FilingStatus:           "married_joint",
			Rates:                  Rates{Short: "0.32", Long: "0.15", State: ".05"},
			SubstantiallyIdentical: [][]string{{"VOO", "IVV", "SPY"}, {"VTI", "ITOT"}},
		},
		Targets: map[string]string{"VTI": "0.60", "BND": "0.40"},
		Gateway: Gateway{Host: "10.0.0.2", Port: 4001, ClientID: 7},
		Trading: Trading{Live: true},
		Found:   true,
	}

	tests := []struct {
		name    string
		content string // "" with missing=true: no file at all
		missing bool
		want    *Config
		wantErr []string // substrings; the path is always checked too
	}{
		{name: "missing file", missing: true, want: &Config{}},
		{name: "empty file", content: "", want: &Config{Found: true}},
		{name: "comments only", content: "# nothing\n", want: &Config{Found: true}},
		{name: "every key", content: full, want: wantFull},
		{
			name:    "unknown top-level key",
			content: "portfolio: x\ndatabase: y\n",
			wantErr: []string{":2: ", `unknown key "database"`, "accepted at the top level: db, portfolio"},
		},
		{
			name:    "unknown nested key",
			content: "tax:\n  rates:\n    shortt: 0.3\n",
			wantErr: []string{":3: ", `unknown key "tax.rates.shortt"`, "accepted in tax.rates: short, long, state"},
		},
		{
			name:    "unknown display key",
			content: "display:\n  colour: cn\n",
			wantErr: []string{":2: ", `unknown key "display.colour"`, "colors, color"},
		},
		{
			name:    "wrong type",
			content: "gateway:\n  port: lots\n",
			wantErr: []string{":2: gateway.port: ", "cannot unmarshal !!str `lots` into int"},
		},
		{
			name:    "wrong type in a map",
			content: "targets:\n  VTI: [1, 2]\n",
			wantErr: []string{":2: targets.VTI: ", "cannot unmarshal !!seq into string"},
		},
		{
			name:    "syntax error",
			content: "portfolio: [x\n",
			wantErr: []string{":1: ", "did not find expected"},
		},
		{
			name:    "duplicate key",
			content: "user: a\nuser: b\n",
			wantErr: []string{":2: ", `"user" already defined`},
		},
		{
			name:    "two documents",
			content: "user: a\n---\nuser: b\n",
			wantErr: []string{"second YAML document"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "config.yaml")
			if !tt.missing {
				writeFile(t, dir, "config.yaml", tt.content)
			}
			got, err := Load(path)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("Load() = %+v, want an error", got)
				}
				msg := err.Error()
				for _, w := range append([]string{path}, tt.wantErr...) {
					if !strings.Contains(msg, w) {
						t.Errorf("Load() error = %q, want it to contain %q", msg, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Load() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Load() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadUnreadable(t *testing.T) {
	dir := t.TempDir()
	// A directory where the file should be cannot be read as a file.
	path := filepath.Join(dir, "config.yaml")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Load(dir) error = %v, want one naming %s", err, path)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr []string // nil: valid
	}{
		{name: "zero config", cfg: Config{}},
		{
			name: "all valid",
			cfg: Config{
				Display: Display{Colors: "us", Color: "always"},
				Tax: Tax{
					FilingStatus:           "head_of_household",
					Rates:                  Rates{Short: "0.37", Long: "0.2", State: "0"},
					SubstantiallyIdentical: [][]string{{"VOO", "IVV"}},
				},
				Targets: map[string]string{"VTI": "0.6", "bonds": ".4", "cash": "0"},
				Gateway: Gateway{Port: 4002, ClientID: 0},
			},
		},
		{name: "rate of one", cfg: Config{Tax: Tax{Rates: Rates{Long: "1.0"}}}},
		{
			name:    "bad colors",
			cfg:     Config{Display: Display{Colors: "red"}},
			wantErr: []string{`display.colors: invalid value "red"`, "us, cn"},
		},
		{
			name:    "bad color",
			cfg:     Config{Display: Display{Color: "yes"}},
			wantErr: []string{`display.color: invalid value "yes"`, "auto, always, never"},
		},
		{
			name:    "bad filing status",
			cfg:     Config{Tax: Tax{FilingStatus: "married"}},
			wantErr: []string{`tax.filing_status: invalid value "married"`, "single, married_joint, married_separate, head_of_household"},
		},
		{
			name:    "rate as percent",
			cfg:     Config{Tax: Tax{Rates: Rates{Short: "32%"}}},
			wantErr: []string{`tax.rates.short: invalid rate "32%"`, "between 0 and 1"},
		},
		{
			name:    "rate above one",
			cfg:     Config{Tax: Tax{Rates: Rates{State: "1.5"}}},
			wantErr: []string{`tax.rates.state: invalid rate "1.5"`},
		},
		{
			name:    "negative rate",
			cfg:     Config{Tax: Tax{Rates: Rates{Long: "-0.1"}}},
			wantErr: []string{`tax.rates.long: invalid rate "-0.1"`},
		},
		{
			name:    "exponent rate",
			cfg:     Config{Tax: Tax{Rates: Rates{Long: "1e-1"}}},
			wantErr: []string{`tax.rates.long: invalid rate "1e-1"`},
		},
		{
			name:    "bad target weight",
			cfg:     Config{Targets: map[string]string{"VTI": "sixty"}},
			wantErr: []string{`targets.VTI: invalid weight "sixty"`, "non-negative decimal"},
		},
		{
			name:    "empty target key",
			cfg:     Config{Targets: map[string]string{"": "0.1"}},
			wantErr: []string{"targets: empty symbol"},
		},
		{
			name:    "short identical group",
			cfg:     Config{Tax: Tax{SubstantiallyIdentical: [][]string{{"VOO", "IVV"}, {"SPY"}}}},
			wantErr: []string{"tax.substantially_identical[1]: a group needs at least two symbols"},
		},
		{
			name:    "duplicate and empty symbol",
			cfg:     Config{Tax: Tax{SubstantiallyIdentical: [][]string{{"VOO", "VOO", " "}}}},
			wantErr: []string{`tax.substantially_identical[0]: symbol "VOO" listed twice`, "tax.substantially_identical[0]: empty symbol"},
		},
		{
			name:    "bad port",
			cfg:     Config{Gateway: Gateway{Port: 70000}},
			wantErr: []string{"gateway.port: invalid port 70000", "1-65535"},
		},
		{
			name:    "negative client id",
			cfg:     Config{Gateway: Gateway{ClientID: -1}},
			wantErr: []string{"gateway.client_id: invalid client id -1"},
		},
		{
			name:    "several problems reported together",
			cfg:     Config{Display: Display{Colors: "x"}, Tax: Tax{FilingStatus: "y"}},
			wantErr: []string{"display.colors", "tax.filing_status"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestWriteDefault(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "new", "sub", "config.yaml")

	created, err := WriteDefault(path)
	if err != nil || !created {
		t.Fatalf("WriteDefault() = %v, %v; want true, nil", created, err)
	}
	if runtime.GOOS != "windows" {
		assertMode(t, path, 0o600)
		assertMode(t, filepath.Dir(path), 0o700)
	}

	// The default file loads, validates, and sets only default values.
	cfg, err := Load(path)
	if err != nil {
		t.Fatalf("Load(default) error = %v", err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("default config does not validate: %v", err)
	}
	want := &Config{Portfolio: DefaultPortfolio, User: DefaultUser, Display: Display{Color: "auto"}, Found: true}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("default config mismatch (-want +got):\n%s", diff)
	}

	// Every key is explained in the file.
	for _, key := range []string{"db:", "portfolio:", "user:", "colors:", "color:", "filing_status:", "rates:", "short:", "long:", "state:", "substantially_identical:", "targets:", "gateway:", "host:", "port:", "client_id:", "trading:", "live:"} {
		if !strings.Contains(DefaultFile, key) {
			t.Errorf("DefaultFile does not mention %q", key)
		}
	}

	// A second call leaves an existing (edited) file alone.
	if err := os.WriteFile(path, []byte("user: edited\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	created, err = WriteDefault(path)
	if err != nil || created {
		t.Fatalf("second WriteDefault() = %v, %v; want false, nil", created, err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "user: edited\n" {
		t.Errorf("second WriteDefault() changed the file to %q", b)
	}
}

// TestDefaultFileExamples checks that the commented-out examples in the
// default file load and validate once uncommented. An example is a comment
// whose text is a YAML key or list item; prose never starts with "word:".
func TestDefaultFileExamples(t *testing.T) {
	example := regexp.MustCompile(`^\s*(- |[A-Za-z_]+:)`)
	var lines []string
	for _, l := range strings.Split(DefaultFile, "\n") {
		trimmed := strings.TrimLeft(l, " ")
		indent := l[:len(l)-len(trimmed)]
		rest, ok := strings.CutPrefix(trimmed, "# ")
		// Two db examples are alternatives; loading both would be a
		// duplicate key.
		if ok && example.MatchString(rest) && !strings.HasPrefix(rest, "db: postgres") {
			l = indent + rest
		}
		lines = append(lines, l)
	}
	uncommented := strings.Join(lines, "\n")
	path := writeFile(t, t.TempDir(), "config.yaml", uncommented)
	cfg, err := Load(path)
	if err != nil {
		t.Fatalf("uncommented default file does not load: %v\n%s", err, uncommented)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("uncommented default file does not validate: %v", err)
	}
	want := &Config{
		DB:        "/home/me/finance/wealthalloc.db",
		Portfolio: "default",
		User:      "local",
		Display:   Display{Colors: "cn", Color: "auto"},
		Tax: Tax{
			FilingStatus:           "single",
			Rates:                  Rates{Short: "0.32", Long: "0.15", State: "0.05"},
			SubstantiallyIdentical: [][]string{{"VOO", "IVV", "SPY"}, {"VTI", "ITOT"}},
		},
		Targets: map[string]string{"VTI": "0.60", "VXUS": "0.25", "BND": "0.15"},
		Gateway: Gateway{Host: "127.0.0.1", Port: 4002, ClientID: 17},
		Found:   true,
	}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("uncommented default file mismatch (-want +got):\n%s\n%s", diff, uncommented)
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("mode of %s = %04o, want %04o", path, got, want)
	}
}
