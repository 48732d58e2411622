package store

import "testing"

func TestBatchSQL(t *testing.T) {
	b := newBatch("INSERT INTO t (u, ts, a, b) VALUES ", "($1,$2,?,?)", " ON CONFLICT DO NOTHING", 2)
	tests := []struct {
		d    Dialect
		n    int
		want string
	}{
		{Postgres, 1, "INSERT INTO t (u, ts, a, b) VALUES ($1,$2,$3,$4) ON CONFLICT DO NOTHING"},
		{Postgres, 2, "INSERT INTO t (u, ts, a, b) VALUES ($1,$2,$3,$4),($1,$2,$5,$6) ON CONFLICT DO NOTHING"},
		{SQLite, 2, "INSERT INTO t (u, ts, a, b) VALUES (?1,?2,?,?),(?1,?2,?,?) ON CONFLICT DO NOTHING"},
	}
	for _, tt := range tests {
		if got := b.sql(tt.d, tt.n); got != tt.want {
			t.Errorf("sql(%s, %d) = %q, want %q", tt.d, tt.n, got, tt.want)
		}
	}
	if b.perRow != 2 {
		t.Errorf("perRow = %d, want 2", b.perRow)
	}
	for _, row := range []string{"(?,$1)", "($1,?,$2)", "($3,?)"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("newBatch(%q) accepted a row that names a shared value late or out of range", row)
				}
			}()
			newBatch("", row, "", 2)
		}()
	}
	// Statements stay under each engine's parameter limit.
	for _, d := range []Dialect{SQLite, Postgres} {
		for _, bb := range []batch{insertTrades, insertLots, insertDisposals, insertHoldings, insertCash, upsertPrices} {
			limit := maxParamsPostgres
			if d == SQLite {
				limit = maxParamsSQLite
			}
			if n := bb.shared + bb.rowsPerStmt(d)*bb.perRow; n > limit {
				t.Errorf("%s: %d parameters per statement, limit %d", bb.head, n, limit)
			}
		}
	}
}
