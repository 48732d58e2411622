package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/wealthalloc/wealthalloc/internal/ids"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// HarvestStatus is what became of a harvest opportunity.
type HarvestStatus string

// The harvest statuses.
const (
	HarvestNew       HarvestStatus = "new"       // found by a scan, not acted on
	HarvestExecuted  HarvestStatus = "executed"  // the lot was sold
	HarvestDismissed HarvestStatus = "dismissed" // the user said no; scans keep it dismissed
	HarvestExpired   HarvestStatus = "expired"   // a later scan no longer found it
)

// Harvest is one row of tax_harvests: a loss-harvest opportunity on one lot.
type Harvest struct {
	ID                string // set by RecordHarvestScan
	AccountID         string
	Symbol            string
	LotID             string
	Quantity          decimal.Decimal
	AdjustedBasis     decimal.Decimal
	Price             decimal.Decimal
	PriceDate         portfolio.Date
	UnrealizedLoss    decimal.Decimal // positive
	LongTerm          bool
	EstimatedSaving   decimal.Decimal
	Costs             decimal.Decimal
	WashSafe          bool
	ReplacementSymbol string // the first suggestion, "" for none
	Status            HarvestStatus
	DetectedOn        portfolio.Date // first scan date that found it
	LastSeenOn        portfolio.Date // last scan date that found it
	ExecutedOn        *portfolio.Date
	SellTradeID       string
	BuyTradeID        string
	RealizedLoss      decimal.NullDecimal
	WashSaleUntil     *portfolio.Date // the lock-out date
	Note              string
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// HarvestScanResult says what RecordHarvestScan did.
type HarvestScanResult struct {
	// Found has one entry per opportunity given, in the same order: its
	// row (ID, Status, DetectedOn filled in) and whether the row is new.
	Found   []Harvest
	Created []bool
	// Expired are the rows this scan marked expired.
	Expired []Harvest
}

// RecordHarvestScan stores the opportunities one scan at asOf found in the
// given accounts (all of the portfolio's when accountIDs is empty), so that
// repeated scans never duplicate:
//
//   - an opportunity on a lot that already has a new row updates that row:
//     its detected_on..last_seen_on range widens to asOf, and its figures
//     become this scan's unless the row was last seen after asOf;
//   - one on a lot whose latest row is dismissed stays dismissed: it is
//     returned with that status and nothing is written;
//   - any other is inserted as new;
//   - new rows of the scanned accounts that the scan did not find, and
//     that were last seen on or before asOf, become expired (a scan of an
//     earlier date never expires what a later one found).
//
// It runs in one transaction (or the caller's).
func (q *Queries) RecordHarvestScan(ctx context.Context, userID, portfolioID string, asOf portfolio.Date,
	accountIDs []string, found []Harvest) (HarvestScanResult, error) {
	var res HarvestScanResult
	err := q.atomic(ctx, func(q *Queries) error {
		res = HarvestScanResult{Found: make([]Harvest, 0, len(found)), Created: make([]bool, 0, len(found)), Expired: []Harvest{}}
		existing, err := q.harvests(ctx, portfolioID, accountIDs, HarvestNew, HarvestDismissed)
		if err != nil {
			return err
		}
		type key struct{ acct, lot string }
		open := map[key]Harvest{}
		dismissed := map[key]Harvest{}
		for _, h := range existing {
			k := key{h.AccountID, h.LotID}
			switch h.Status {
			case HarvestNew:
				open[k] = h
			case HarvestDismissed:
				if d, ok := dismissed[k]; !ok || h.LastSeenOn > d.LastSeenOn {
					dismissed[k] = h
				}
			}
		}
		seen := map[key]bool{}
		at := now()
		for _, h := range found {
			k := key{h.AccountID, h.LotID}
			seen[k] = true
			if old, ok := open[k]; ok {
				if asOf < old.LastSeenOn {
					// A scan of an earlier date only widens the range:
					// the figures stay those of the latest scan date.
					h = old
				}
				h.ID, h.Status, h.CreatedAt, h.UpdatedAt = old.ID, HarvestNew, old.CreatedAt, at
				h.DetectedOn, h.LastSeenOn = min(old.DetectedOn, asOf), max(old.LastSeenOn, asOf)
				if err := q.updateHarvest(ctx, portfolioID, h); err != nil {
					return err
				}
				res.Found, res.Created = append(res.Found, h), append(res.Created, false)
				continue
			}
			if d, ok := dismissed[k]; ok {
				res.Found, res.Created = append(res.Found, d), append(res.Created, false)
				continue
			}
			h.ID, h.Status, h.DetectedOn, h.LastSeenOn, h.CreatedAt, h.UpdatedAt = ids.New(), HarvestNew, asOf, asOf, at, at
			if err := q.insertHarvest(ctx, userID, portfolioID, h); err != nil {
				return err
			}
			open[k] = h
			res.Found, res.Created = append(res.Found, h), append(res.Created, true)
		}
		for k, h := range open {
			if seen[k] || h.LastSeenOn > asOf {
				continue
			}
			if _, err := q.db.ExecContext(ctx, `UPDATE tax_harvests SET status = 'expired', updated_at = $1
				WHERE portfolio_id = $2 AND id = $3`, at, portfolioID, h.ID); err != nil {
				return wrapErr("expire harvest "+h.ID, err)
			}
			h.Status, h.UpdatedAt = HarvestExpired, at
			res.Expired = append(res.Expired, h)
		}
		sortHarvests(res.Expired)
		return nil
	})
	if err != nil {
		return HarvestScanResult{}, fmt.Errorf("record harvest scan: %w", err)
	}
	return res, nil
}

func sortHarvests(hs []Harvest) {
	slices.SortFunc(hs, func(a, b Harvest) int {
		return cmp.Or(cmp.Compare(a.AccountID, b.AccountID), cmp.Compare(a.Symbol, b.Symbol), cmp.Compare(a.LotID, b.LotID))
	})
}

// harvestArgs converts h's scaled columns, in the order
// quantity, adjusted_basis, price, unrealized_loss, estimated_saving, costs.
func harvestArgs(h Harvest) ([]any, error) {
	var c converter
	args := []any{
		c.scaled("quantity", h.Quantity, qtyPlaces),
		c.scaled("adjusted basis", h.AdjustedBasis, moneyPlaces),
		c.scaled("price", h.Price, moneyPlaces),
		c.scaled("unrealized loss", h.UnrealizedLoss, moneyPlaces),
		c.scaled("estimated saving", h.EstimatedSaving, moneyPlaces),
		c.scaled("costs", h.Costs, moneyPlaces),
	}
	if c.err != nil {
		return nil, fmt.Errorf("harvest of lot %s: %s: %w", h.LotID, c.field, c.err)
	}
	return args, nil
}

func termOf(long bool) string {
	if long {
		return "long"
	}
	return "short"
}

func dateArg(d *portfolio.Date) any {
	if d == nil {
		return nil
	}
	return d.String()
}

func (q *Queries) insertHarvest(ctx context.Context, userID, portfolioID string, h Harvest) error {
	scaled, err := harvestArgs(h)
	if err != nil {
		return err
	}
	args := append([]any{h.ID, userID, portfolioID, h.AccountID, h.Symbol, h.LotID}, scaled...)
	args = append(args, h.PriceDate.String(), termOf(h.LongTerm), h.WashSafe, h.ReplacementSymbol, string(h.Status),
		h.DetectedOn.String(), h.LastSeenOn.String(), dateArg(h.WashSaleUntil), h.Note, h.CreatedAt, h.UpdatedAt)
	_, err = q.db.ExecContext(ctx, `INSERT INTO tax_harvests (id, user_id, portfolio_id, account_id, symbol, lot_id,
		quantity, adjusted_basis, price, unrealized_loss, estimated_saving, costs,
		price_date, term, wash_safe, replacement_symbol, status, detected_on, last_seen_on, wash_sale_until, note,
		created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23)`,
		args...)
	return wrapErr("insert harvest of lot "+h.LotID, err)
}

func (q *Queries) updateHarvest(ctx context.Context, portfolioID string, h Harvest) error {
	scaled, err := harvestArgs(h)
	if err != nil {
		return err
	}
	args := append(scaled, h.Symbol, h.PriceDate.String(), termOf(h.LongTerm), h.WashSafe, h.ReplacementSymbol,
		h.DetectedOn.String(), h.LastSeenOn.String(), dateArg(h.WashSaleUntil), h.UpdatedAt, portfolioID, h.ID)
	_, err = q.db.ExecContext(ctx, `UPDATE tax_harvests SET quantity = $1, adjusted_basis = $2, price = $3,
		unrealized_loss = $4, estimated_saving = $5, costs = $6, symbol = $7, price_date = $8, term = $9,
		wash_safe = $10, replacement_symbol = $11, detected_on = $12, last_seen_on = $13, wash_sale_until = $14,
		updated_at = $15 WHERE portfolio_id = $16 AND id = $17`, args...)
	return wrapErr("update harvest "+h.ID, err)
}

// Harvests lists the portfolio's harvest opportunities with the given
// statuses (every status when none is given), by account, symbol, lot and
// detection date.
func (q *Queries) Harvests(ctx context.Context, portfolioID string, statuses ...HarvestStatus) ([]Harvest, error) {
	return q.harvests(ctx, portfolioID, nil, statuses...)
}

// harvestColumns are the columns scanHarvest reads, in its order.
const harvestColumns = `id, account_id, symbol, lot_id, quantity, adjusted_basis, price, price_date, unrealized_loss,
	term, estimated_saving, costs, wash_safe, replacement_symbol, status, detected_on, last_seen_on, executed_on,
	sell_trade_id, buy_trade_id, realized_loss, wash_sale_until, note, created_at, updated_at`

func (q *Queries) harvests(ctx context.Context, portfolioID string, accountIDs []string, statuses ...HarvestStatus) ([]Harvest, error) {
	query := `SELECT ` + harvestColumns + ` FROM tax_harvests WHERE ` + byPortfolio
	args := []any{portfolioID}
	in := func(col string, vals []string) {
		if len(vals) == 0 {
			return
		}
		ph := make([]string, len(vals))
		for i, v := range vals {
			args = append(args, v)
			ph[i] = fmt.Sprintf("$%d", len(args))
		}
		query += ` AND ` + col + ` IN (` + strings.Join(ph, ", ") + `)`
	}
	st := make([]string, len(statuses))
	for i, s := range statuses {
		st[i] = string(s)
	}
	in("status", st)
	in("account_id", accountIDs)
	query += ` ORDER BY account_id, symbol, lot_id, detected_on, id`
	rows, err := q.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrapErr("list harvests", err)
	}
	defer rows.Close()
	out := []Harvest{}
	for rows.Next() {
		h, err := scanHarvest(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr("list harvests", err)
	}
	return out, nil
}

func scanHarvest(rows *sql.Rows) (Harvest, error) {
	var (
		h                                       Harvest
		qty, basis, price, loss, saving, costs  int64
		priceDate, term, status, detected, seen string
		executed, sellID, buyID, washUntil      sql.NullString
		realized                                sql.NullInt64
	)
	if err := rows.Scan(&h.ID, &h.AccountID, &h.Symbol, &h.LotID, &qty, &basis, &price, &priceDate, &loss, &term,
		&saving, &costs, &h.WashSafe, &h.ReplacementSymbol, &status, &detected, &seen, &executed, &sellID, &buyID,
		&realized, &washUntil, &h.Note, &h.CreatedAt, &h.UpdatedAt); err != nil {
		return Harvest{}, wrapErr("list harvests", err)
	}
	h.Quantity, h.AdjustedBasis, h.Price = qtyFromDB(qty), moneyFromDB(basis), moneyFromDB(price)
	h.UnrealizedLoss, h.EstimatedSaving, h.Costs = moneyFromDB(loss), moneyFromDB(saving), moneyFromDB(costs)
	h.RealizedLoss = nullFromDB(realized, moneyPlaces)
	h.LongTerm, h.Status = term == "long", HarvestStatus(status)
	h.SellTradeID, h.BuyTradeID = sellID.String, buyID.String
	h.CreatedAt, h.UpdatedAt = h.CreatedAt.UTC(), h.UpdatedAt.UTC()
	var err error
	parse := func(s string) portfolio.Date {
		d, e := portfolio.ParseDate(s)
		if e != nil && err == nil {
			err = fmt.Errorf("harvest %s: stored date: %w", h.ID, e)
		}
		return d
	}
	h.PriceDate, h.DetectedOn, h.LastSeenOn = parse(priceDate), parse(detected), parse(seen)
	if executed.Valid {
		d := parse(executed.String)
		h.ExecutedOn = &d
	}
	if washUntil.Valid {
		d := parse(washUntil.String)
		h.WashSaleUntil = &d
	}
	return h, err
}

// SetHarvestStatus changes a harvest's status and note (an empty note
// keeps the old one). An id not in the portfolio is ErrNotFound.
func (q *Queries) SetHarvestStatus(ctx context.Context, portfolioID, id string, status HarvestStatus, note string) error {
	res, err := q.db.ExecContext(ctx, `UPDATE tax_harvests SET status = $1,
		note = CASE WHEN CAST($2 AS TEXT) = '' THEN note ELSE CAST($2 AS TEXT) END, updated_at = $3 WHERE portfolio_id = $4 AND id = $5`,
		string(status), note, now(), portfolioID, id)
	if err != nil {
		return wrapErr("set harvest status", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrapErr("set harvest status", err)
	}
	if n == 0 {
		return fmt.Errorf("harvest %s: %w", id, ErrNotFound)
	}
	return nil
}
