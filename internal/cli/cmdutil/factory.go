// Package cmdutil holds what every command shares: the global options, the
// lazily built dependencies (config, database, printer) and the typed errors
// that internal/cli turns into exit codes.
package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/wealthalloc/wealthalloc/internal/app"
	"github.com/wealthalloc/wealthalloc/internal/cli/output"
	"github.com/wealthalloc/wealthalloc/internal/config"
	"github.com/wealthalloc/wealthalloc/internal/iostreams"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/store"
	"github.com/wealthalloc/wealthalloc/internal/tax"
)

// GlobalOptions are the persistent flags of the root command.
type GlobalOptions struct {
	DB     string
	Config string
	Output string
	AsOf   string
	Color  string
	Debug  bool
}

// Factory builds the dependencies commands ask for, each at most once.
type Factory struct {
	IO      *iostreams.IOStreams
	Global  GlobalOptions
	Getenv  func(string) string
	Now     func() time.Time
	Logger  *slog.Logger
	Version string

	pathsOnce sync.Once
	paths     config.Paths
	pathsErr  error

	cfgOnce sync.Once
	cfg     *config.Config
	cfgErr  error

	closers []func() error
}

// New returns a Factory over the process environment.
func New(io *iostreams.IOStreams, version string) *Factory {
	return &Factory{
		IO:      io,
		Getenv:  os.Getenv,
		Now:     time.Now,
		Logger:  slog.New(slog.DiscardHandler),
		Version: version,
	}
}

// Paths resolves the XDG directories.
func (f *Factory) Paths() (config.Paths, error) {
	f.pathsOnce.Do(func() { f.paths, f.pathsErr = config.ResolvePaths(f.Getenv) })
	return f.paths, f.pathsErr
}

// ConfigPath is --config, else WEALTHALLOC_CONFIG, else the default file.
func (f *Factory) ConfigPath() (string, error) {
	if f.Global.Config != "" {
		return f.Global.Config, nil
	}
	if v := f.Getenv("WEALTHALLOC_CONFIG"); v != "" {
		return v, nil
	}
	p, err := f.Paths()
	if err != nil {
		return "", err
	}
	return p.ConfigFile(), nil
}

// Config loads and validates the config file; a missing file is an empty config.
func (f *Factory) Config() (*config.Config, error) {
	f.cfgOnce.Do(func() {
		path, err := f.ConfigPath()
		if err != nil {
			f.cfgErr = err
			return
		}
		c, err := config.Load(path)
		if err != nil {
			f.cfgErr = err
			return
		}
		if err := c.Validate(); err != nil {
			f.cfgErr = fmt.Errorf("config %s: %w", path, err)
			return
		}
		f.cfg = c
	})
	return f.cfg, f.cfgErr
}

// DSN is --db, else WEALTHALLOC_DB, else the config's db, else the default file.
func (f *Factory) DSN() (string, error) {
	if f.Global.DB != "" {
		return f.Global.DB, nil
	}
	if v := f.Getenv("WEALTHALLOC_DB"); v != "" {
		return v, nil
	}
	c, err := f.Config()
	if err != nil {
		return "", err
	}
	if c.DB != "" {
		return c.DB, nil
	}
	p, err := f.Paths()
	if err != nil {
		return "", err
	}
	return p.DefaultDB(), nil
}

// IsPostgres reports whether a DSN names a PostgreSQL server.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// ErrNoDatabase means the SQLite file does not exist yet.
var ErrNoDatabase = errors.New("no database")

// Portfolio opens the database and the configured portfolio. A SQLite file
// that does not exist is an error pointing at `wealthalloc init`, so a typo in
// --db never silently creates an empty database.
func (f *Factory) Portfolio(ctx context.Context) (*app.Portfolio, error) {
	dsn, err := f.DSN()
	if err != nil {
		return nil, err
	}
	if !IsPostgres(dsn) {
		path, err := store.SQLiteFile(dsn)
		if err != nil {
			return nil, &FlagError{Err: fmt.Errorf("--db: %w", err)}
		}
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w at %s: run \"wealthalloc init\" to create it, or pass --db", ErrNoDatabase, path)
		}
	}
	return f.OpenPortfolio(ctx, dsn)
}

// OpenPortfolio opens (creating if needed) the database at dsn and the
// configured user and portfolio in it. It is closed when the command ends.
func (f *Factory) OpenPortfolio(ctx context.Context, dsn string) (*app.Portfolio, error) {
	c, err := f.Config()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	f.Logger.Debug("database open", "dsn", RedactDSN(dsn), "dialect", st.Dialect(), "took", time.Since(start).Round(time.Microsecond))
	f.closers = append(f.closers, st.Close)
	user, name := Scope(c)
	p, err := app.OpenPortfolio(ctx, st, user, name)
	if err != nil {
		return nil, err
	}
	p.Logger = f.Logger
	if p.Identical, err = tax.NewIdentical(tax.DefaultIdentical, c.Tax.SubstantiallyIdentical); err != nil {
		return nil, fmt.Errorf("config tax.substantially_identical: %w", err)
	}
	return p, nil
}

// Close releases what the factory opened.
func (f *Factory) Close() error {
	var errs []error
	for i := len(f.closers) - 1; i >= 0; i-- {
		errs = append(errs, f.closers[i]())
	}
	f.closers = nil
	return errors.Join(errs...)
}

// Printer returns the output printer for -o and the configured palette.
func (f *Factory) Printer() (*output.Printer, error) {
	format, err := output.ParseFormat(f.Global.Output)
	if err != nil {
		return nil, &FlagError{Err: err}
	}
	pal := output.PaletteUS
	if c, err := f.Config(); err == nil && strings.EqualFold(c.Display.Colors, "cn") {
		pal = output.PaletteCN
	}
	return &output.Printer{IO: f.IO, Format: format, Palette: pal}, nil
}

// AsOf is --as-of, or today in the local time zone.
func (f *Factory) AsOf() (portfolio.Date, error) {
	if f.Global.AsOf == "" {
		return portfolio.DateOf(f.Now()), nil
	}
	d, err := portfolio.ParseDate(f.Global.AsOf)
	if err != nil {
		return 0, &FlagError{Err: fmt.Errorf("--as-of: %w", err)}
	}
	return d, nil
}

// RedactDSN replaces the password of a URL-form DSN with "xxxxx".
func RedactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparseable DSN)"
	}
	return u.Redacted()
}

// Scope is the user and portfolio commands act on: from the config, else
// the local user's default portfolio.
func Scope(c *config.Config) (user, portfolioName string) {
	user, portfolioName = c.User, c.Portfolio
	if user == "" {
		user = config.DefaultUser
	}
	if portfolioName == "" {
		portfolioName = config.DefaultPortfolio
	}
	return user, portfolioName
}
