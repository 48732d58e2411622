package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

var upsertPrices = newBatch(`INSERT INTO prices (updated_at, symbol, price_date, open_price, high_price,
	low_price, close_price, adj_close, volume) VALUES `,
	`($1,?,?,?,?,?,?,?,?)`,
	` ON CONFLICT (symbol, price_date) DO UPDATE SET open_price = excluded.open_price,
	high_price = excluded.high_price, low_price = excluded.low_price, close_price = excluded.close_price,
	adj_close = excluded.adj_close, volume = excluded.volume, updated_at = excluded.updated_at`, 1)

// UpsertPrices stores daily bars, replacing any stored bar of the same
// symbol and date, all or none. When bars repeats a (symbol, date), the
// last one wins. It returns the number of bars written.
func (q *Queries) UpsertPrices(ctx context.Context, bars []portfolio.Bar) (int, error) {
	if len(bars) == 0 {
		return 0, nil
	}
	// One statement may not touch a row twice (PostgreSQL refuses), so keep
	// the last bar of each (symbol, date), in first-seen order.
	type key struct {
		sym string
		d   portfolio.Date
	}
	pos := make(map[key]int, len(bars))
	uniq := make([]portfolio.Bar, 0, len(bars))
	for _, b := range bars {
		k := key{b.Symbol, b.Date}
		if i, ok := pos[k]; ok {
			uniq[i] = b
			continue
		}
		pos[k] = len(uniq)
		uniq = append(uniq, b)
	}
	err := q.atomic(ctx, func(q *Queries) error {
		_, err := upsertPrices.exec(ctx, q, len(uniq), []any{now()}, func(args []any, i int) ([]any, error) {
			b := &uniq[i]
			if b.Symbol == "" {
				return nil, fmt.Errorf("bar of %s: empty symbol: %w", b.Date, ErrConstraint)
			}
			var c converter
			args = append(args, b.Symbol, b.Date.String(),
				c.null("open", b.Open, moneyPlaces),
				c.null("high", b.High, moneyPlaces),
				c.null("low", b.Low, moneyPlaces),
				c.scaled("close", b.Close, moneyPlaces),
				c.null("adjusted close", b.AdjClose, moneyPlaces),
				c.null("volume", b.Volume, qtyPlaces))
			if c.err != nil {
				return nil, fmt.Errorf("bar %s %s: %s: %w", b.Symbol, b.Date, c.field, c.err)
			}
			return args, nil
		})
		return wrapErr("upsert prices", err)
	})
	if err != nil {
		return 0, fmt.Errorf("store %d bars: %w", len(uniq), err)
	}
	return len(uniq), nil
}

// latestChunk bounds the UNION ALL arms of one LatestPrices statement
// (SQLite allows 500 compound terms).
const latestChunk = 200

// LatestPrices returns, for each symbol, the bar with the greatest date on
// or before asOf. A symbol with no such bar is absent from the map. Each
// symbol costs one index seek on (symbol, price_date).
func (q *Queries) LatestPrices(ctx context.Context, symbols []string, asOf portfolio.Date) (map[string]portfolio.Bar, error) {
	out := make(map[string]portfolio.Bar, len(symbols))
	seen := make(map[string]bool, len(symbols))
	uniq := make([]string, 0, len(symbols))
	for _, s := range symbols {
		if !seen[s] {
			seen[s] = true
			uniq = append(uniq, s)
		}
	}
	for start := 0; start < len(uniq); start += latestChunk {
		chunk := uniq[start:min(start+latestChunk, len(uniq))]
		var sb strings.Builder
		args := make([]any, 0, len(chunk)+1)
		args = append(args, asOf.String())
		for i, s := range chunk {
			if i > 0 {
				sb.WriteString(" UNION ALL ")
			}
			args = append(args, s)
			sb.WriteString(`SELECT * FROM (SELECT symbol, price_date, open_price, high_price, low_price, close_price,
				adj_close, volume FROM prices WHERE symbol = ` + param(q.dialect, i+2) +
				` AND price_date <= ` + param(q.dialect, 1) + ` ORDER BY price_date DESC LIMIT 1) AS p` + strconv.Itoa(i))
		}
		if err := q.scanBars(ctx, sb.String(), args, func(b portfolio.Bar) { out[b.Symbol] = b }); err != nil {
			return nil, fmt.Errorf("latest prices: %w", err)
		}
	}
	return out, nil
}

// Bars returns symbol's bars from from to to inclusive, by date.
func (q *Queries) Bars(ctx context.Context, symbol string, from, to portfolio.Date) ([]portfolio.Bar, error) {
	out := []portfolio.Bar{}
	err := q.scanBars(ctx, `SELECT symbol, price_date, open_price, high_price, low_price, close_price,
		adj_close, volume FROM prices WHERE symbol = $1 AND price_date >= $2 AND price_date <= $3
		ORDER BY price_date`, []any{symbol, from.String(), to.String()},
		func(b portfolio.Bar) { out = append(out, b) })
	if err != nil {
		return nil, fmt.Errorf("bars of %s: %w", symbol, err)
	}
	return out, nil
}

func (q *Queries) scanBars(ctx context.Context, query string, args []any, emit func(portfolio.Bar)) error {
	rows, err := q.db.QueryContext(ctx, query, args...)
	if err != nil {
		return wrapErr("query prices", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			b                                 portfolio.Bar
			date                              string
			closePx                           int64
			openPx, high, low, adjClose, volu sql.NullInt64
		)
		if err := rows.Scan(&b.Symbol, &date, &openPx, &high, &low, &closePx, &adjClose, &volu); err != nil {
			return wrapErr("query prices", err)
		}
		if b.Date, err = portfolio.ParseDate(date); err != nil {
			return fmt.Errorf("bar of %s: stored date: %w", b.Symbol, err)
		}
		b.Open, b.High, b.Low = nullFromDB(openPx, moneyPlaces), nullFromDB(high, moneyPlaces), nullFromDB(low, moneyPlaces)
		b.Close = moneyFromDB(closePx)
		b.AdjClose, b.Volume = nullFromDB(adjClose, moneyPlaces), nullFromDB(volu, qtyPlaces)
		emit(b)
	}
	if err := rows.Err(); err != nil {
		return wrapErr("query prices", err)
	}
	return nil
}

// PriceSymbols lists the symbols that have at least one stored bar.
func (q *Queries) PriceSymbols(ctx context.Context) ([]string, error) {
	rows, err := q.db.QueryContext(ctx, `SELECT DISTINCT symbol FROM prices ORDER BY symbol`)
	if err != nil {
		return nil, wrapErr("list price symbols", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, wrapErr("list price symbols", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr("list price symbols", err)
	}
	return out, nil
}
