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
	// goose leaves a database a newer release migrated further as it is;
	// this release would then misread it (an older one, for instance,
	// would not recognise date-led CSV keys and import everything again).
	have, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("read %s schema version: %w", d, err)
	}
	if srcs := p.ListSources(); len(srcs) > 0 && have > srcs[len(srcs)-1].Version {
		return fmt.Errorf("the database's schema is version %d, newer than the %d this wealthalloc knows: a newer release wrote it; upgrade wealthalloc (go install github.com/wealthalloc/wealthalloc/cmd/wealthalloc@latest) to use it",
			have, srcs[len(srcs)-1].Version)
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
