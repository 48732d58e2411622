package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/wealthalloc/wealthalloc/internal/ids"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// EnsureUser returns the id of the user called name, creating the user if
// there is none.
func (q *Queries) EnsureUser(ctx context.Context, name string) (string, error) {
	return q.ensure(ctx, "ensure user "+name,
		`SELECT id FROM users WHERE name = $1`, []any{name},
		`INSERT INTO users (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`,
		func(id string) []any { return []any{id, name, now()} })
}

// EnsurePortfolio returns the id of userID's portfolio called name, creating
// it if there is none. An unknown userID is ErrConstraint.
func (q *Queries) EnsurePortfolio(ctx context.Context, userID, name string) (string, error) {
	return q.ensure(ctx, "ensure portfolio "+name,
		`SELECT id FROM portfolios WHERE user_id = $1 AND name = $2`, []any{userID, name},
		`INSERT INTO portfolios (id, user_id, name, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, name) DO NOTHING`,
		func(id string) []any { return []any{id, userID, name, now()} })
}

// ensure is get-or-create: look up, insert if missing (losing a race to a
// concurrent insert is fine: ON CONFLICT DO NOTHING), look up again. It runs
// in a transaction so that a serialization failure is retried.
func (q *Queries) ensure(ctx context.Context, op, get string, getArgs []any, ins string, insArgs func(id string) []any) (string, error) {
	var id string
	err := q.atomic(ctx, func(q *Queries) error {
		err := q.db.QueryRowContext(ctx, get, getArgs...).Scan(&id)
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := q.db.ExecContext(ctx, ins, insArgs(ids.New())...); err != nil {
			return err
		}
		return q.db.QueryRowContext(ctx, get, getArgs...).Scan(&id)
	})
	if err != nil {
		return "", wrapErr(op, err)
	}
	return id, nil
}

// CreateAccount adds a brokerage account to userID's portfolio portfolioID
// and returns it with its ID (generated when a.ID is empty) and lot method
// (FIFO, the IRS default, when a.LotMethod is empty). A name already
// used in the portfolio is ErrConflict; a portfolio that does not exist or
// is not userID's is ErrNotFound; an invalid tax type or lot method is
// ErrConstraint.
func (q *Queries) CreateAccount(ctx context.Context, userID, portfolioID string, a portfolio.Account) (portfolio.Account, error) {
	if a.ID == "" {
		a.ID = ids.New()
	}
	if a.LotMethod == "" {
		a.LotMethod = portfolio.FIFO
	}
	op := fmt.Sprintf("create account %q", a.Name)
	var n int64
	err := q.atomic(ctx, func(q *Queries) error {
		res, err := q.db.ExecContext(ctx, `INSERT INTO external_accounts
			(id, user_id, portfolio_id, name, broker, number, tax_type, lot_method, created_at)
			SELECT $1, user_id, id, $3, $4, $5, $6, $7, $8 FROM portfolios WHERE id = $2 AND user_id = $9`,
			a.ID, portfolioID, a.Name, a.Broker, a.Number, string(a.TaxType), string(a.LotMethod), now(), userID)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return portfolio.Account{}, wrapErr(op, err)
	}
	if n == 0 {
		return portfolio.Account{}, fmt.Errorf("%s: portfolio %s of user %s: %w", op, portfolioID, userID, ErrNotFound)
	}
	return a, nil
}

// Accounts lists a portfolio's accounts by name ([] when there are none).
func (q *Queries) Accounts(ctx context.Context, portfolioID string) ([]portfolio.Account, error) {
	rows, err := q.db.QueryContext(ctx, `SELECT id, name, broker, number, tax_type, lot_method
		FROM external_accounts WHERE portfolio_id = $1 ORDER BY name, id`, portfolioID)
	if err != nil {
		return nil, wrapErr("list accounts", err)
	}
	defer rows.Close()
	out := []portfolio.Account{}
	for rows.Next() {
		var (
			a      portfolio.Account
			tt, lm string
		)
		if err := rows.Scan(&a.ID, &a.Name, &a.Broker, &a.Number, &tt, &lm); err != nil {
			return nil, wrapErr("list accounts", err)
		}
		a.TaxType, a.LotMethod = portfolio.TaxType(tt), portfolio.LotMethod(lm)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr("list accounts", err)
	}
	return out, nil
}

// accountPortfolios maps the ids of userID's accounts to their portfolios.
func (q *Queries) accountPortfolios(ctx context.Context, userID string) (map[string]string, error) {
	rows, err := q.db.QueryContext(ctx, `SELECT id, portfolio_id FROM external_accounts WHERE user_id = $1`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[string]string{}
	for rows.Next() {
		var id, p string
		if err := rows.Scan(&id, &p); err != nil {
			return nil, err
		}
		m[id] = p
	}
	return m, rows.Err()
}
