package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrationsFS holds one directory of goose migrations per dialect; files
// with the same version number must describe the same schema.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationsFS embed.FS

// migrate applies every pending migration of the dialect.
func migrate(ctx context.Context, db *sql.DB, d Dialect) error {
	p, err := migrator(db, d)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate %s schema: %w", d, err)
	}
	return nil
}

// migrator is the goose provider of the dialect's embedded migrations.
func migrator(db *sql.DB, d Dialect) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrationsFS, "migrations/"+string(d))
	if err != nil {
		return nil, err
	}
	var (
		gd   goose.Dialect
		opts = []goose.ProviderOption{goose.WithLogger(goose.NopLogger()), goose.WithDisableGlobalRegistry(true)}
	)
	switch d {
	case SQLite:
		gd = goose.DialectSQLite3
	case Postgres:
		gd = goose.DialectPostgres
		// A lock row rather than an advisory lock, which CockroachDB lacks,
		// so that serve instances starting together migrate once.
		l, err := lock.NewPostgresTableLocker(lock.WithTableLockTimeout(time.Second, 300))
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithLocker(l))
	default:
		return nil, fmt.Errorf("unknown dialect %q", d)
	}
	return goose.NewProvider(gd, db, fsys, opts...)
}
