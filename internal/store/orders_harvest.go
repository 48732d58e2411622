package store

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// HarvestExecution is what became of a harvest opportunity that was acted
// on: when its lot was sold, the trades (execution keys) of the sale and of
// the replacement purchase, the loss realised, and the date after which
// buying the sold security back is safe from the wash-sale rule.
type HarvestExecution struct {
	ExecutedOn   portfolio.Date
	SellTradeID  string
	BuyTradeID   string // "" when no replacement was bought
	Replacement  string
	RealizedLoss decimal.NullDecimal // positive: the loss realised
	SafeAfter    portfolio.Date      // wash_sale_until: buying back before it would wash the loss
	Note         string
}

// RecordHarvestExecution marks the portfolio's harvest id executed with
// the outcome x. A missing harvest is ErrNotFound.
func (q *Queries) RecordHarvestExecution(ctx context.Context, portfolioID, id string, x HarvestExecution) error {
	var c converter
	loss := c.null("realized loss", x.RealizedLoss, moneyPlaces)
	if c.err != nil {
		return fmt.Errorf("record harvest %s: %s: %w", id, c.field, c.err)
	}
	res, err := q.db.ExecContext(ctx, `UPDATE tax_harvests SET status = 'executed', executed_on = $1, sell_trade_id = $2,
		buy_trade_id = $3, realized_loss = $4, wash_sale_until = $5,
		replacement_symbol = CASE WHEN CAST($6 AS TEXT) = '' THEN replacement_symbol ELSE CAST($6 AS TEXT) END,
		note = CASE WHEN CAST($7 AS TEXT) = '' THEN note ELSE CAST($7 AS TEXT) END, updated_at = $8
		WHERE portfolio_id = $9 AND id = $10`,
		x.ExecutedOn.String(), nullString(x.SellTradeID), nullString(x.BuyTradeID), loss, x.SafeAfter.String(),
		x.Replacement, x.Note, now(), portfolioID, id)
	if err != nil {
		return wrapErr("record harvest "+id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrapErr("record harvest "+id, err)
	}
	if n == 0 {
		return fmt.Errorf("record harvest %s: %w", id, ErrNotFound)
	}
	return nil
}

// Harvest returns one of the portfolio's harvest rows by id, or by a
// prefix of it at least 6 characters long that only one row has.
func (q *Queries) Harvest(ctx context.Context, portfolioID, id string) (Harvest, error) {
	all, err := q.Harvests(ctx, portfolioID)
	if err != nil {
		return Harvest{}, err
	}
	var hit []Harvest
	for _, h := range all {
		if h.ID == id {
			return h, nil
		}
		if len(id) >= 6 && len(h.ID) > len(id) && h.ID[:len(id)] == id {
			hit = append(hit, h)
		}
	}
	switch len(hit) {
	case 0:
		return Harvest{}, fmt.Errorf("harvest %s: %w", id, ErrNotFound)
	case 1:
		return hit[0], nil
	}
	return Harvest{}, fmt.Errorf("harvest %s: several harvests start with it; give more of the id: %w", id, ErrConflict)
}
