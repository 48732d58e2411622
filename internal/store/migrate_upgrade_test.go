package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wealthalloc/wealthalloc/internal/ids"
)

// TestMigrateBulkSchemaUpgrade takes a database written at version 6 (old
// csv:<hash>:<n> keys; derived tables with foreign keys) up through 00007
// and 00008 and back down, on both engines: rows survive both ways, keys
// gain and lose their date, and a re-import's keys match the rewritten ones.
func TestMigrateBulkSchemaUpgrade(t *testing.T) {
	engines := []struct {
		name string
		open func(t *testing.T) (*sql.DB, Dialect)
	}{
		{"sqlite", func(t *testing.T) (*sql.DB, Dialect) {
			db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "old.db")+"?"+sqliteParams)
			if err != nil {
				t.Fatal(err)
			}
			return db, SQLite
		}},
		{"postgres", func(t *testing.T) (*sql.DB, Dialect) {
			db, err := sql.Open("pgx", createPostgresDB(t, false))
			if err != nil {
				t.Fatal(err)
			}
			return db, Postgres
		}},
	}
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			db, d := e.open(t)
			t.Cleanup(func() { _ = db.Close() })
			ctx := context.Background()
			p, err := migrator(db, d)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.UpTo(ctx, 6); err != nil {
				t.Fatalf("migrate to 6: %v", err)
			}
			user, pf, acct := ids.New(), ids.New(), ids.New()
			const oldKey = "csv:0123456789abcdef01234567:0"
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := db.ExecContext(ctx, rebind(d, q), args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			now := now()
			exec(`INSERT INTO users (id, name, created_at) VALUES (?, 'u', ?)`, user, now)
			exec(`INSERT INTO portfolios (id, user_id, name, created_at) VALUES (?, ?, 'p', ?)`, pf, user, now)
			exec(`INSERT INTO external_accounts (id, user_id, portfolio_id, name, tax_type, lot_method, created_at)
				VALUES (?, ?, ?, 'a', 'taxable', 'fifo', ?)`, acct, user, pf, now)
			trade := `INSERT INTO trades (id, user_id, portfolio_id, account_id, trade_date, action, symbol, quantity,
				price, fees, amount, currency, lots, note, trade_key, status, created_at, updated_at)
				VALUES (?, ?, ?, ?, '2024-01-03', ?, 'VTI', 1000000000, 235500000, 0, 0, 'USD', '', '', ?, 'filled', ?, ?)`
			exec(trade, "t1", user, pf, acct, "BUY", oldKey, now, now)
			exec(trade, "t2", user, pf, acct, "SELL", "csv:id:b7", now, now)
			exec(trade, "t3", user, pf, acct, "BUY", "ib:exec:0001.01", now, now)
			exec(`INSERT INTO lots (id, user_id, portfolio_id, account_id, symbol, open_trade_id, date_acquired,
				adjusted_date_acquired, original_quantity, quantity, original_basis, cost_basis, adjusted_basis, updated_at)
				VALUES ('t1', ?, ?, ?, 'VTI', 't1', '2024-01-03', '2024-01-03', 1, 1, 1, 1, 1, ?)`, user, pf, acct, now)
			exec(`INSERT INTO lot_disposals (user_id, portfolio_id, seq, sell_trade_id, lot_id, account_id, symbol, quantity,
				date_acquired, adjusted_date_acquired, date_sold, proceeds, cost_basis, adjusted_basis, updated_at, wash_disallowed)
				VALUES (?, ?, 0, 't2', 't1', ?, 'VTI', 1, '2024-01-03', '2024-01-03', '2024-02-01', 1, 1, 1, ?, 5)`, user, pf, acct, now)
			exec(`INSERT INTO holdings (user_id, portfolio_id, account_id, symbol, quantity, cost_basis, adjusted_basis,
				lot_count, first_acquired, updated_at) VALUES (?, ?, ?, 'VTI', 1, 1, 1, 1, '2024-01-03', ?)`, user, pf, acct, now)
			exec(`INSERT INTO cash_balances (account_id, user_id, portfolio_id, amount, updated_at) VALUES (?, ?, ?, 7, ?)`, acct, user, pf, now)

			keys := func() string {
				t.Helper()
				rows, err := db.QueryContext(ctx, `SELECT trade_key FROM trades ORDER BY id`)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				var out []string
				for rows.Next() {
					var k string
					if err := rows.Scan(&k); err != nil {
						t.Fatal(err)
					}
					out = append(out, k)
				}
				return strings.Join(out, " ")
			}
			counts := func() string {
				t.Helper()
				var lots, disp, hold, cash, washed int
				for q, v := range map[string]*int{
					"SELECT count(*) FROM lots": &lots, "SELECT count(*) FROM lot_disposals": &disp,
					"SELECT count(*) FROM holdings": &hold, "SELECT count(*) FROM cash_balances": &cash,
					"SELECT wash_disallowed FROM lot_disposals": &washed,
				} {
					if err := db.QueryRowContext(ctx, q).Scan(v); err != nil {
						t.Fatalf("%s: %v", q, err)
					}
				}
				return strings.Join([]string{itoa(lots), itoa(disp), itoa(hold), itoa(cash), itoa(washed)}, " ")
			}
			if _, err := p.Up(ctx); err != nil {
				t.Fatalf("migrate up: %v", err)
			}
			if got, want := keys(), "csv:2024-01-03:0123456789abcdef01234567:0 csv:id:b7 ib:exec:0001.01"; got != want {
				t.Errorf("keys after 00008 = %q; want %q", got, want)
			}
			if got := counts(); got != "1 1 1 1 5" {
				t.Errorf("derived rows after 00007 (lots disposals holdings cash washed) = %s; want 1 1 1 1 5", got)
			}
			// No foreign key is left on the derived tables: a lot of an
			// account that does not exist is accepted (ReplaceDerived checks).
			exec(`INSERT INTO lots (id, user_id, portfolio_id, account_id, symbol, open_trade_id, date_acquired,
				adjusted_date_acquired, original_quantity, quantity, original_basis, cost_basis, adjusted_basis, updated_at)
				VALUES ('x', ?, ?, 'no-such-account', 'VTI', 'x', '2024-01-03', '2024-01-03', 1, 1, 1, 1, 1, ?)`, user, pf, now)
			exec(`DELETE FROM lots WHERE id = 'x'`)
			// trades keeps its own: a trade of an unknown account is refused.
			if _, err := db.ExecContext(ctx, rebind(d, trade), "t9", user, pf, "no-such-account", "BUY", "k9", now, now); err == nil {
				t.Error("trade of an unknown account accepted after the migration; want the foreign key to refuse it")
			}
			// And the action check still refuses an unknown action.
			if _, err := db.ExecContext(ctx, rebind(d, trade), "t8", user, pf, acct, "BYU", "k8", now, now); err == nil {
				t.Error("action BYU accepted after the migration; want the check to refuse it")
			}

			if _, err := p.DownTo(ctx, 6); err != nil {
				t.Fatalf("migrate down to 6: %v", err)
			}
			if got, want := keys(), "csv:0123456789abcdef01234567:0 csv:id:b7 ib:exec:0001.01"; got != want {
				t.Errorf("keys after down = %q; want %q", got, want)
			}
			if got := counts(); got != "1 1 1 1 5" {
				t.Errorf("derived rows after down = %s; want 1 1 1 1 5", got)
			}
		})
	}
}

// rebind turns the ? placeholders of q into $n for PostgreSQL.
func rebind(d Dialect, q string) string {
	if d != Postgres {
		return q
	}
	var sb strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			sb.WriteString("$" + itoa(n))
			continue
		}
		sb.WriteRune(c)
	}
	return sb.String()
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestOpenRefusesNewerSchema: a database a newer release migrated further
// is refused with a message that says to upgrade, and left as it was.
func TestOpenRefusesNewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "newer.db")
	s := openSQLiteAt(t, path)
	if _, err := s.db.Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES (999, TRUE)`); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), path)
	if err == nil || !strings.Contains(err.Error(), "schema is version 999") || !strings.Contains(err.Error(), "upgrade wealthalloc") {
		t.Fatalf("Open(newer schema) err = %v; want a refusal naming version 999 and the upgrade", err)
	}
}
