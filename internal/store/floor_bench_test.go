package store

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wealthalloc/wealthalloc/internal/ids"
)

// BenchmarkImportRowsFloor100k is the floor under BenchmarkImportTrades100k
// (bench/): the rows a 100,000-trade import stores — 100,000 trade rows,
// 80,000 lot rows and 20,000 disposal rows of the real tables' columns and
// widths (three 36-character tenant and account ids, dates as text,
// scaled integers) — written the cheapest way this driver allows: one
// transaction, prepared 500-row INSERTs, the store's pragmas, tables with
// no key, index, foreign key or check at all, then commit and close. No
// schema that keeps the data model's keys can store an import faster, so
// this bounds the whole command's trades/s from above on the machine at
// hand.
func BenchmarkImportRowsFloor100k(b *testing.B) {
	const trades, lots, disposals = 100_000, 80_000, 20_000
	user, pf := ids.New(), ids.New()
	accts := [2]string{ids.New(), ids.New()}
	tradeIDs := make([]string, trades)
	for i := range tradeIDs {
		tradeIDs[i] = ids.New()
	}
	sym := func(i int) string { return fmt.Sprintf("S%03d", (i/2)%250) }
	now := now()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		db, err := sql.Open("sqlite", filepath.Join(b.TempDir(), fmt.Sprintf("floor%d.db", i))+"?"+sqliteParams)
		if err != nil {
			b.Fatal(err)
		}
		db.SetMaxOpenConns(1)
		for _, ddl := range []string{
			`CREATE TABLE trades (id TEXT, user_id TEXT, portfolio_id TEXT, account_id TEXT, trade_date TEXT, action TEXT,
				symbol TEXT, quantity BIGINT, split_from BIGINT, price BIGINT, fees BIGINT, amount BIGINT, currency TEXT,
				lots TEXT, note TEXT, trade_key TEXT, status TEXT, created_at TIMESTAMP, updated_at TIMESTAMP)`,
			`CREATE TABLE lots (id TEXT, user_id TEXT, portfolio_id TEXT, account_id TEXT, symbol TEXT, open_trade_id TEXT,
				date_acquired TEXT, adjusted_date_acquired TEXT, original_quantity BIGINT, quantity BIGINT,
				original_basis BIGINT, cost_basis BIGINT, adjusted_basis BIGINT, closed_date TEXT, updated_at TIMESTAMP)`,
			`CREATE TABLE lot_disposals (user_id TEXT, portfolio_id TEXT, seq BIGINT, sell_trade_id TEXT, lot_id TEXT,
				account_id TEXT, symbol TEXT, quantity BIGINT, date_acquired TEXT, adjusted_date_acquired TEXT,
				date_sold TEXT, proceeds BIGINT, cost_basis BIGINT, adjusted_basis BIGINT, updated_at TIMESTAMP,
				wash_disallowed BIGINT, permanently_disallowed BOOLEAN)`,
		} {
			if _, err := db.Exec(ddl); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		floorInsert(b, tx, "trades", 19, trades, func(args []any, i int) []any {
			return append(args, tradeIDs[i], user, pf, accts[i%2], "2015-03-04", "BUY", sym(i), int64(1_000_000_000), int64(0),
				int64(40_500_000), int64(1_000_000), int64(0), "USD", "", "", fmt.Sprintf("csv:2015-03-04:%024x:0", i), "filled", now, now)
		})
		floorInsert(b, tx, "lots", 15, lots, func(args []any, i int) []any {
			return append(args, tradeIDs[i], user, pf, accts[i%2], sym(i), tradeIDs[i], "2015-03-04", "2015-03-04",
				int64(1_000_000_000), int64(700_000_000), int64(405_000_000), int64(283_500_000), int64(283_500_000), nil, now)
		})
		floorInsert(b, tx, "lot_disposals", 17, disposals, func(args []any, i int) []any {
			return append(args, user, pf, int64(i), tradeIDs[trades-1-i], tradeIDs[i], accts[i%2], sym(i), int64(300_000_000),
				"2015-03-04", "2015-03-04", "2015-06-01", int64(150_000_000), int64(121_500_000), int64(121_500_000), now, int64(0), false)
		})
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(trades*b.N)/b.Elapsed().Seconds(), "trades/s")
}

func floorInsert(b *testing.B, tx *sql.Tx, table string, cols, n int, row func(args []any, i int) []any) {
	b.Helper()
	const per = 500
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	stmt, err := tx.Prepare("INSERT INTO " + table + " VALUES " + strings.TrimSuffix(strings.Repeat(one+",", per), ","))
	if err != nil {
		b.Fatal(err)
	}
	defer stmt.Close()
	args := make([]any, 0, per*cols)
	for start := 0; start < n; start += per {
		args = args[:0]
		for i := start; i < start+per; i++ {
			args = row(args, i)
		}
		if _, err := stmt.Exec(args...); err != nil {
			b.Fatalf("insert %s: %v", table, err)
		}
	}
}
