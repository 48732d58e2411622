package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Defaults for settings that have a fixed default. The default database
// depends on the directories: see Paths.DefaultDB.
const (
	DefaultPortfolio   = "default"
	DefaultUser        = "local"
	DefaultGatewayHost = "127.0.0.1"
	DefaultGatewayPort = 4002 // IB Gateway, paper trading
)

// Config is the content of config.yaml. Empty fields mean "not set in the
// file"; Load does not fill in defaults, so that internal/cli can apply
// flag > environment > file > default precedence.
type Config struct {
	// DB is the database DSN: a SQLite path or postgres://…
	// Precedence: --db > $WEALTHALLOC_DB > this > Paths.DefaultDB().
	DB string `yaml:"db,omitempty"`
	// Portfolio is the portfolio commands act on (default "default").
	Portfolio string `yaml:"portfolio,omitempty"`
	// User is the local user name (default "local").
	User string `yaml:"user,omitempty"`

	Display Display `yaml:"display,omitempty"`
	Tax     Tax     `yaml:"tax,omitempty"`

	// Targets maps a symbol or asset class to a target weight, a decimal
	// string such as "0.60".
	Targets map[string]string `yaml:"targets,omitempty"`

	Gateway Gateway `yaml:"gateway,omitempty"`
	Trading Trading `yaml:"trading,omitempty"`

	// Found reports whether Load read a file (false when it did not exist).
	Found bool `yaml:"-"`
}

// Display holds the display section.
type Display struct {
	// Colors is the gain/loss colour convention: "" or "us" (gains green,
	// losses red) or "cn" (red and green swapped).
	Colors string `yaml:"colors,omitempty"`
	// Color is when to use colour: "" (= auto), "auto", "always" or "never".
	Color string `yaml:"color,omitempty"`
}

// Tax holds the tax section.
type Tax struct {
	// FilingStatus is one of FilingStatuses, or empty.
	FilingStatus string `yaml:"filing_status,omitempty"`
	Rates        Rates  `yaml:"rates,omitempty"`
	// SubstantiallyIdentical lists groups of symbols treated as
	// substantially identical for wash sales, e.g. [[VOO, IVV, SPY]].
	SubstantiallyIdentical [][]string `yaml:"substantially_identical,omitempty"`
}

// Rates holds marginal tax rates as decimal strings between 0 and 1, such
// as "0.32".
type Rates struct {
	Short string `yaml:"short,omitempty"` // short-term capital gains
	Long  string `yaml:"long,omitempty"`  // long-term capital gains
	State string `yaml:"state,omitempty"` // state income tax
}

// Gateway holds the IB Gateway section.
type Gateway struct {
	Host     string `yaml:"host,omitempty"`      // default DefaultGatewayHost
	Port     int    `yaml:"port,omitempty"`      // default DefaultGatewayPort
	ClientID int    `yaml:"client_id,omitempty"` // TWS API client id
}

// Trading holds the trading section.
type Trading struct {
	// Live allows orders on live (non-DU) accounts; each order command must
	// say --live as well.
	Live bool `yaml:"live,omitempty"`
}

// Accepted values of the enumerated settings, in documentation order (for
// help text; do not modify).
var (
	ColorsValues   = []string{"us", "cn"}
	ColorValues    = []string{"auto", "always", "never"}
	FilingStatuses = []string{"single", "married_joint", "married_separate", "head_of_household"}
)

// Load reads the config file at path. A missing file is not an error: Load
// returns a zero Config with Found false. An empty file (or one holding only
// comments) gives a zero Config with Found true. Unknown keys, values of the
// wrong type, duplicate keys and YAML syntax errors are errors of the form
// "PATH:LINE: problem". Load does not call Validate.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Config{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	c, err := parse(path, data)
	if err != nil {
		return nil, err
	}
	c.Found = true
	return c, nil
}

// problem is one YAML problem with its line number (0 if unknown).
type problem struct {
	line int
	msg  string
}

// fileError lists the problems found in one config file, one per line of
// its message, each as "PATH:LINE: problem".
type fileError struct {
	path     string
	problems []problem
}

func (e *fileError) Error() string {
	var b strings.Builder
	for i, p := range e.problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.path)
		if p.line > 0 {
			b.WriteString(":" + strconv.Itoa(p.line))
		}
		b.WriteString(": " + p.msg)
	}
	return b.String()
}

var (
	reLine         = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	reUnknownField = regexp.MustCompile(`^field (\S+) not found in type (\S+)$`)
)

// section describes a YAML mapping backed by a struct: the key prefix users
// see and the keys it accepts.
type section struct {
	prefix string
	keys   []string
}

// sections maps the Go type named in yaml.v3's "field not found" message to
// the section it decodes.
var sections = func() map[string]section {
	m := map[string]section{}
	for prefix, v := range map[string]any{
		"":           Config{},
		"display.":   Display{},
		"tax.":       Tax{},
		"tax.rates.": Rates{},
		"gateway.":   Gateway{},
	} {
		t := reflect.TypeOf(v)
		var keys []string
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name != "" && name != "-" {
				keys = append(keys, name)
			}
		}
		m[t.String()] = section{prefix: prefix, keys: keys}
	}
	return m
}()

func parse(path string, data []byte) (*Config, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil {
		if errors.Is(err, io.EOF) {
			return &Config{}, nil
		}
		problems := translateYAMLError(err)
		nameKeys(data, problems)
		return nil, &fileError{path: path, problems: problems}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, &fileError{path: path, problems: translateYAMLError(err)}
		}
		return nil, &fileError{path: path, problems: []problem{{line: extra.Line, msg: "unexpected second YAML document (only one is allowed)"}}}
	}
	return &c, nil
}

// translateYAMLError rewrites yaml.v3's messages as problems, naming unknown
// keys by their dotted path and the keys accepted there instead of a Go
// type.
func translateYAMLError(err error) []problem {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	out := make([]problem, 0, len(msgs))
	for _, m := range msgs {
		p := problem{msg: strings.TrimPrefix(m, "yaml: ")}
		if sm := reLine.FindStringSubmatch(m); sm != nil {
			p.line, _ = strconv.Atoi(sm[1])
			p.msg = sm[2]
		}
		if sm := reUnknownField.FindStringSubmatch(p.msg); sm != nil {
			if sec, ok := sections[sm[2]]; ok {
				where := "at the top level"
				if sec.prefix != "" {
					where = "in " + strings.TrimSuffix(sec.prefix, ".")
				}
				p.msg = fmt.Sprintf("unknown key %q (accepted %s: %s)", sec.prefix+sm[1], where, strings.Join(sec.keys, ", "))
			} else {
				p.msg = fmt.Sprintf("unknown key %q", sm[1])
			}
		}
		out = append(out, p)
	}
	return out
}

// nameKeys prefixes problems other than unknown keys (such as a string
// where a number belongs) with the dotted key at their line, when the
// document parses far enough to tell.
func nameKeys(data []byte, problems []problem) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return
	}
	keys := map[int]string{} // line of a value → its dotted key
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, prefix)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				key := prefix + k.Value
				keys[v.Line] = key // children overwrite parents on the same line
				walk(v, key+".")
			}
		}
	}
	walk(&root, "")
	for i, p := range problems {
		if strings.HasPrefix(p.msg, "unknown key") {
			continue
		}
		if k, ok := keys[p.line]; ok && p.line > 0 {
			problems[i].msg = k + ": " + p.msg
		}
	}
}

// Validate checks the enumerated settings and the decimal strings. It
// returns every problem found, joined; each names the key (e.g.
// "tax.rates.short") and the accepted values.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	checkEnum := func(key, v string, accepted []string) {
		if v == "" {
			return
		}
		for _, a := range accepted {
			if v == a {
				return
			}
		}
		bad("%s: invalid value %q (accepted: %s, or leave it unset)", key, v, strings.Join(accepted, ", "))
	}
	checkEnum("display.colors", c.Display.Colors, ColorsValues)
	checkEnum("display.color", c.Display.Color, ColorValues)
	checkEnum("tax.filing_status", c.Tax.FilingStatus, FilingStatuses)

	for _, r := range []struct{ key, v string }{
		{"tax.rates.short", c.Tax.Rates.Short},
		{"tax.rates.long", c.Tax.Rates.Long},
		{"tax.rates.state", c.Tax.Rates.State},
	} {
		if r.v == "" {
			continue
		}
		x, ok := parseDecimal(r.v)
		if !ok || x.Cmp(big.NewRat(1, 1)) > 0 {
			bad("%s: invalid rate %q (accepted: a decimal between 0 and 1, such as \"0.32\")", r.key, r.v)
		}
	}

	for i, group := range c.Tax.SubstantiallyIdentical {
		key := fmt.Sprintf("tax.substantially_identical[%d]", i)
		if len(group) < 2 {
			bad("%s: a group needs at least two symbols, got %d", key, len(group))
		}
		seen := map[string]bool{}
		for _, s := range group {
			switch {
			case strings.TrimSpace(s) == "":
				bad("%s: empty symbol (accepted: ticker symbols such as VOO)", key)
			case seen[s]:
				bad("%s: symbol %q listed twice", key, s)
			}
			seen[s] = true
		}
	}

	for _, k := range slices.Sorted(maps.Keys(c.Targets)) {
		v := c.Targets[k]
		if strings.TrimSpace(k) == "" {
			bad("targets: empty symbol or asset class name")
			continue
		}
		if _, ok := parseDecimal(v); !ok {
			bad("targets.%s: invalid weight %q (accepted: a non-negative decimal such as \"0.60\")", k, v)
		}
	}

	if p := c.Gateway.Port; p < 0 || p > 65535 {
		bad("gateway.port: invalid port %d (accepted: 1-65535; IB Gateway uses 4002 for paper, 4001 for live)", p)
	}
	if id := c.Gateway.ClientID; id < 0 {
		bad("gateway.client_id: invalid client id %d (accepted: a non-negative integer)", id)
	}
	return errors.Join(errs...)
}

// reDecimal matches plain non-negative decimals: "1", "0.32", ".5".
var reDecimal = regexp.MustCompile(`^(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)$`)

func parseDecimal(s string) (*big.Rat, bool) {
	if !reDecimal.MatchString(s) {
		return nil, false
	}
	r, ok := new(big.Rat).SetString(s)
	return r, ok
}

// WriteDefault writes a commented default config file at path if no file
// exists there, creating the directory (0700) as needed; the file is 0600.
// It reports whether it created the file. An existing file is never
// touched, so calling WriteDefault twice is safe.
func WriteDefault(path string) (created bool, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return false, fmt.Errorf("create config directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("create config file: %w", err)
	}
	_, werr := f.WriteString(DefaultFile)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		_ = os.Remove(path)
		return false, fmt.Errorf("write config file %s: %w", path, werr)
	}
	return true, nil
}

// DefaultFile is the content WriteDefault writes. It loads and validates
// cleanly and sets only values equal to the built-in defaults.
const DefaultFile = `# wealthalloc configuration file (YAML).
#
# Settings here are overridden by environment variables and command-line
# flags (flag > environment > this file > built-in default). Unknown keys
# are an error, so a typo is reported rather than ignored. Lines starting
# with "#" are comments; remove the "#" to use an example.
# Secrets (passwords, tokens) do not belong here: they are kept in the OS
# keyring, or in $WEALTHALLOC_<NAME> environment variables.

# The database, "db": a SQLite file path, or a postgres:// URL for a shared
# PostgreSQL server. Overridden by --db and $WEALTHALLOC_DB. When unset,
# wealthalloc.db in the data directory ($XDG_DATA_HOME/wealthalloc, usually
# ~/.local/share/wealthalloc).
# db: /home/me/finance/wealthalloc.db
# db: postgres://wealthalloc@localhost:5432/wealthalloc?sslmode=disable

# The portfolio that commands act on when none is given.
portfolio: default

# Your local user name (server mode uses real accounts instead).
user: local

display:
  # How gains and losses are coloured. "us" (the default): gains green,
  # losses red. "cn": red and green swapped, for readers who see red as up.
  # Gains always carry "+" and losses "−", so colour is never the only cue.
  # colors: cn

  # When to use colour at all: auto (only on a terminal, and not when
  # $NO_COLOR is set), always or never. Overridden by --color.
  color: auto

tax:
  # Your tax filing status: single, married_joint, married_separate or
  # head_of_household.
  # filing_status: single

  # Your marginal tax rates as decimals (0.32 means 32%), used to estimate
  # the tax effect of sales and of tax-loss harvesting.
  # rates:
  #   short: "0.32"   # short-term capital gains (held one year or less)
  #   long: "0.15"    # long-term capital gains
  #   state: "0.05"   # state income tax

  # Groups of symbols treated as substantially identical when looking for
  # wash sales, such as funds that track the same index.
  # substantially_identical:
  #   - [VOO, IVV, SPY]
  #   - [VTI, ITOT]

# Target allocation for the allocation and rebalance commands: a symbol or
# asset class mapped to a weight, a decimal (weights normally add up to 1).
# targets:
#   VTI: "0.60"
#   VXUS: "0.25"
#   BND: "0.15"

# How to reach Interactive Brokers' IB Gateway (or TWS).
# gateway:
#   host: 127.0.0.1   # the default
#   port: 4002        # 4002 paper trading (the default), 4001 live
#   client_id: 17     # any number not used by another API client

# Orders on live accounts (ids not starting with DU) are refused unless
# this says so AND the order command is given --live.
# trading:
#   live: false
`
