package store

import (
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestMigrationsPortable keeps the schema inside what CockroachDB runs and
// ids generated in Go: no SERIAL/sequences/AUTOINCREMENT, advisory locks,
// triggers or LISTEN/NOTIFY. Comments are ignored.
func TestMigrationsPortable(t *testing.T) {
	banned := regexp.MustCompile(`(?i)\b(BIGSERIAL|SMALLSERIAL|SERIAL|SEQUENCE|NEXTVAL|AUTOINCREMENT|pg_advisory\w*|ADVISORY|TRIGGER|LISTEN|NOTIFY|UNLISTEN)\b`)
	comment := regexp.MustCompile(`--.*`)
	files := map[string][]string{}
	err := fs.WalkDir(migrationsFS, "migrations", func(path string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrationsFS, path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if m := banned.FindString(comment.ReplaceAllString(line, "")); m != "" {
				t.Errorf("%s:%d uses %s, which CockroachDB (or Go-made ids) rules out: %s", path, i+1, m, strings.TrimSpace(line))
			}
		}
		dir, name, _ := strings.Cut(strings.TrimPrefix(path, "migrations/"), "/")
		files[dir] = append(files[dir], name)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files["sqlite"]) == 0 {
		t.Fatal("no SQLite migrations embedded")
	}
	if diff := cmp.Diff(files["sqlite"], files["postgres"]); diff != "" {
		t.Errorf("the dialects have different migration files (-sqlite +postgres):\n%s", diff)
	}
}

// testSchemaParity checks that s (PostgreSQL) has the same tables and
// columns as a freshly migrated SQLite store.
func testSchemaParity(t *testing.T, s *Store) {
	ctx := t.Context()
	lite := openSQLiteTest(t)
	read := func(s *Store, query string) map[string][]string {
		t.Helper()
		rows, err := s.db.QueryContext(ctx, query)
		must(t, "list columns", err)
		defer rows.Close()
		m := map[string][]string{}
		for rows.Next() {
			var table, col string
			must(t, "scan", rows.Scan(&table, &col))
			if strings.HasPrefix(table, "goose_") {
				continue
			}
			m[table] = append(m[table], col)
		}
		must(t, "rows", rows.Err())
		for _, cols := range m {
			sort.Strings(cols)
		}
		return m
	}
	want := read(lite, `SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`)
	got := read(s, `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'`)
	if len(want) < 14 {
		t.Fatalf("SQLite schema has only %d tables: %v", len(want), want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PostgreSQL schema differs from SQLite's (-sqlite +postgres):\n%s", diff)
	}
}
