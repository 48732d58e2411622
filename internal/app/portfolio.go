// Package app holds the use cases that the CLI, the dashboard and the server
// all call, so none is written twice: accounts, imports, holdings, the demo.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
	"github.com/wealthalloc/wealthalloc/internal/store"
	"github.com/wealthalloc/wealthalloc/internal/tax"
)

// Portfolio is one user's portfolio in an open store.
type Portfolio struct {
	Store       *store.Store
	UserID      string
	PortfolioID string
	Logger      *slog.Logger
	// Identical is the substantially-identical relation for wash sales
	// (built-ins plus the config's groups); nil means the built-ins.
	Identical *tax.Identical
}

// OpenPortfolio finds or creates the named user and portfolio.
func OpenPortfolio(ctx context.Context, st *store.Store, user, name string) (*Portfolio, error) {
	uid, err := st.EnsureUser(ctx, user)
	if err != nil {
		return nil, fmt.Errorf("open user %q: %w", user, err)
	}
	pid, err := st.EnsurePortfolio(ctx, uid, name)
	if err != nil {
		return nil, fmt.Errorf("open portfolio %q: %w", name, err)
	}
	return &Portfolio{Store: st, UserID: uid, PortfolioID: pid, Logger: slog.New(slog.DiscardHandler)}, nil
}

// ErrAccountExists means an account of that name is already in the portfolio.
var ErrAccountExists = errors.New("account already exists")

// AddAccount creates an account and records the event.
func (p *Portfolio) AddAccount(ctx context.Context, a portfolio.Account) (portfolio.Account, error) {
	if strings.TrimSpace(a.Name) == "" {
		return a, errors.New("account name is empty: give a name such as \"taxable\" or \"ira\"")
	}
	if a.LotMethod == "" {
		a.LotMethod = portfolio.FIFO
	}
	var out portfolio.Account
	err := p.Store.InTx(ctx, func(q *store.Queries) error {
		var err error
		out, err = q.CreateAccount(ctx, p.UserID, p.PortfolioID, a)
		if errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("%w: %q (see \"wealthalloc accounts list\")", ErrAccountExists, a.Name)
		}
		if err != nil {
			return fmt.Errorf("add account %q: %w", a.Name, err)
		}
		return q.AppendEvent(ctx, store.Event{UserID: p.UserID, PortfolioID: p.PortfolioID,
			Kind: "account.added", Subject: out.ID, Data: map[string]string{
				"name": out.Name, "type": string(out.TaxType), "broker": out.Broker, "lot_method": string(out.LotMethod)}})
	})
	return out, err
}

// Accounts lists the portfolio's accounts by name.
func (p *Portfolio) Accounts(ctx context.Context) ([]portfolio.Account, error) {
	accts, err := p.Store.Accounts(ctx, p.PortfolioID)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	return accts, nil
}

// AccountResolver finds an account by name (case-insensitive) or broker number.
func AccountResolver(accts []portfolio.Account) func(string) (portfolio.Account, bool) {
	byName := make(map[string]portfolio.Account, len(accts))
	byNumber := make(map[string]portfolio.Account, len(accts))
	for _, a := range accts {
		byName[strings.ToLower(a.Name)] = a
		if a.Number != "" {
			byNumber[a.Number] = a
		}
	}
	return func(ref string) (portfolio.Account, bool) {
		ref = strings.TrimSpace(ref)
		if a, ok := byName[strings.ToLower(ref)]; ok {
			return a, true
		}
		a, ok := byNumber[ref]
		return a, ok
	}
}
