package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/wealthalloc/wealthalloc/internal/ids"
	"github.com/wealthalloc/wealthalloc/internal/portfolio"
)

// RecStatus is what became of a recommendation.
type RecStatus string

// The recommendation statuses.
const (
	RecNew       RecStatus = "new"       // raised by a refresh, not acted on
	RecAccepted  RecStatus = "accepted"  // the user took it
	RecDismissed RecStatus = "dismissed" // the user said no
	RecExpired   RecStatus = "expired"   // no longer found by a refresh, or past its TTL
)

// ParseRecStatus accepts a status name.
func ParseRecStatus(s string) (RecStatus, error) {
	switch st := RecStatus(strings.ToLower(strings.TrimSpace(s))); st {
	case RecNew, RecAccepted, RecDismissed, RecExpired:
		return st, nil
	}
	return "", fmt.Errorf("unknown recommendation status %q: want new, accepted, dismissed or expired", s)
}

// Recommendation is one row of ai_recommendations.
type Recommendation struct {
	ID              string // set by RecordRecs
	AccountID       string // "" when not about one account
	Kind            string // the signal: anomaly, drift, concentration, risk, harvest, network
	Action          string // buy, sell, hold, rebalance, harvest, review
	Symbol          string // "" for a portfolio-wide recommendation
	Confidence      float64
	Rationale       string
	VideoID         string // an educational_videos id, or ""
	ModelArtifactID string // the model behind it, or ""
	// Key says which recommendations are the same one: a refresh that
	// finds a key again updates its row rather than adding another.
	Key        string
	Details    string // JSON: the figures behind the rationale
	Status     RecStatus
	DetectedOn portfolio.Date // first refresh date that found it
	LastSeenOn portfolio.Date // last refresh date that found it
	ExpiresOn  *portfolio.Date
	// Active: the latest refresh found its signal. At most one active row
	// per key, so a dismissed or accepted one is not raised again while
	// its signal lasts.
	Active    bool
	Note      string // reason given with accept or dismiss
	CreatedAt time.Time
	UpdatedAt time.Time
}

// confidenceToDB scales a confidence in [0, 1] to the column's ×1e6.
func confidenceToDB(c float64) (int64, error) {
	if math.IsNaN(c) || c < 0 || c > 1 {
		return 0, fmt.Errorf("confidence %v: %w (want 0 to 1)", c, ErrConstraint)
	}
	return int64(math.Round(c * 1e6)), nil
}

// RecPlan is what a refresh does to the stored recommendations: the pure
// part of RecordRecs, decided from the active rows and what was found.
type RecPlan struct {
	Insert []Recommendation // found keys with no active row
	Update []Recommendation // active new rows found again: figures and range refreshed
	Keep   []Recommendation // active accepted or dismissed rows found again: only their range widens
	Expire []Recommendation // active new rows not found: expired and inactive
	Close  []Recommendation // active rows of other statuses not found: inactive
	// Found has one row per distinct key found, in the order first found;
	// Created tells which of them are inserted.
	Found   []Recommendation
	Created []bool
}

// PlanRecs decides a refresh at asOf. active are the portfolio's active
// rows; found are the recommendations the refresh computed (without ID or
// status). A key found twice keeps its most confident recommendation.
// A refresh of an earlier date than a row was last seen only widens the
// row's range (its figures stay the later ones) and never expires or
// closes it. ttlDays > 0 sets ExpiresOn to LastSeenOn + ttlDays.
func PlanRecs(active, found []Recommendation, asOf portfolio.Date, ttlDays int) RecPlan {
	var plan RecPlan
	byKey := map[string]Recommendation{}
	for _, r := range active {
		byKey[r.Key] = r
	}
	best := map[string]int{}
	var uniq []Recommendation
	for _, r := range found {
		if i, ok := best[r.Key]; ok {
			if r.Confidence > uniq[i].Confidence {
				uniq[i] = r
			}
			continue
		}
		best[r.Key] = len(uniq)
		uniq = append(uniq, r)
	}
	expires := func(r *Recommendation) {
		r.ExpiresOn = nil
		if ttlDays > 0 {
			d := r.LastSeenOn.AddDays(ttlDays)
			r.ExpiresOn = &d
		}
	}
	seen := map[string]bool{}
	for _, r := range uniq {
		seen[r.Key] = true
		old, ok := byKey[r.Key]
		if !ok {
			r.ID, r.Status, r.Active, r.DetectedOn, r.LastSeenOn = "", RecNew, true, asOf, asOf
			expires(&r)
			plan.Insert = append(plan.Insert, r)
			plan.Found, plan.Created = append(plan.Found, r), append(plan.Created, true)
			continue
		}
		if old.Status != RecNew || asOf < old.LastSeenOn {
			// Accepted or dismissed: the user's word stands while the
			// signal lasts. An earlier refresh keeps the later figures.
			r = old
		} else {
			r.ID, r.Status, r.Active, r.Note, r.CreatedAt = old.ID, RecNew, true, old.Note, old.CreatedAt
		}
		r.DetectedOn, r.LastSeenOn = min(old.DetectedOn, asOf), max(old.LastSeenOn, asOf)
		if r.Status == RecNew {
			expires(&r)
			plan.Update = append(plan.Update, r)
		} else {
			plan.Keep = append(plan.Keep, r)
		}
		plan.Found, plan.Created = append(plan.Found, r), append(plan.Created, false)
	}
	for _, r := range active {
		if seen[r.Key] || r.LastSeenOn > asOf {
			continue
		}
		r.Active = false
		if r.Status == RecNew {
			r.Status = RecExpired
			plan.Expire = append(plan.Expire, r)
		} else {
			plan.Close = append(plan.Close, r)
		}
	}
	sortRecs(plan.Expire)
	sortRecs(plan.Close)
	return plan
}

func sortRecs(rs []Recommendation) {
	slices.SortFunc(rs, func(a, b Recommendation) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Symbol, b.Symbol), cmp.Compare(a.Key, b.Key))
	})
}

// RecordRecs stores what a refresh at asOf found (see PlanRecs) in one
// transaction (or the caller's) and returns the plan with IDs filled in.
func (q *Queries) RecordRecs(ctx context.Context, userID, portfolioID string, asOf portfolio.Date, found []Recommendation, ttlDays int) (RecPlan, error) {
	var plan RecPlan
	err := q.atomic(ctx, func(q *Queries) error {
		active, err := q.recs(ctx, portfolioID, `active`, nil)
		if err != nil {
			return err
		}
		plan = PlanRecs(active, found, asOf, ttlDays)
		at := now()
		idOf := map[string]string{}
		for i := range plan.Insert {
			r := &plan.Insert[i]
			r.ID, r.CreatedAt, r.UpdatedAt = ids.New(), at, at
			idOf[r.Key] = r.ID
			if err := q.insertRec(ctx, userID, portfolioID, *r); err != nil {
				return err
			}
		}
		for i := range plan.Update {
			r := &plan.Update[i]
			r.UpdatedAt = at
			if err := q.updateRec(ctx, portfolioID, *r); err != nil {
				return err
			}
		}
		for i := range plan.Keep {
			r := &plan.Keep[i]
			r.UpdatedAt = at
			if _, err := q.db.ExecContext(ctx, `UPDATE ai_recommendations SET detected_on = $1, last_seen_on = $2,
				updated_at = $3 WHERE portfolio_id = $4 AND id = $5`,
				r.DetectedOn.String(), r.LastSeenOn.String(), at, portfolioID, r.ID); err != nil {
				return wrapErr("keep recommendation "+r.ID, err)
			}
		}
		for _, set := range [][]Recommendation{plan.Expire, plan.Close} {
			for i := range set {
				r := &set[i]
				r.UpdatedAt = at
				if _, err := q.db.ExecContext(ctx, `UPDATE ai_recommendations SET status = $1, active = FALSE,
					updated_at = $2 WHERE portfolio_id = $3 AND id = $4`, string(r.Status), at, portfolioID, r.ID); err != nil {
					return wrapErr("expire recommendation "+r.ID, err)
				}
			}
		}
		for i := range plan.Found {
			r := &plan.Found[i]
			if plan.Created[i] {
				r.ID, r.CreatedAt, r.UpdatedAt = idOf[r.Key], at, at
			} else {
				r.UpdatedAt = at
			}
		}
		return nil
	})
	if err != nil {
		return RecPlan{}, fmt.Errorf("record recommendations: %w", err)
	}
	return plan, nil
}

func expiresArg(d *portfolio.Date) any {
	if d == nil {
		return nil
	}
	return d.Time()
}

func (q *Queries) insertRec(ctx context.Context, userID, portfolioID string, r Recommendation) error {
	conf, err := confidenceToDB(r.Confidence)
	if err != nil {
		return fmt.Errorf("recommendation %s: %w", r.Key, err)
	}
	_, err = q.db.ExecContext(ctx, `INSERT INTO ai_recommendations (id, user_id, portfolio_id, account_id, kind, action,
		symbol, confidence, rationale, video_id, model_artifact_id, status, created_at, updated_at, expires_at,
		dedup_key, detected_on, last_seen_on, active, details, note)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21)`,
		r.ID, userID, portfolioID, nullString(r.AccountID), r.Kind, r.Action, r.Symbol, conf, r.Rationale,
		nullString(r.VideoID), nullString(r.ModelArtifactID), string(r.Status), r.CreatedAt, r.UpdatedAt,
		expiresArg(r.ExpiresOn), r.Key, r.DetectedOn.String(), r.LastSeenOn.String(), r.Active, nullString(r.Details), r.Note)
	return wrapErr("insert recommendation "+r.Key, err)
}

func (q *Queries) updateRec(ctx context.Context, portfolioID string, r Recommendation) error {
	conf, err := confidenceToDB(r.Confidence)
	if err != nil {
		return fmt.Errorf("recommendation %s: %w", r.Key, err)
	}
	_, err = q.db.ExecContext(ctx, `UPDATE ai_recommendations SET account_id = $1, kind = $2, action = $3, symbol = $4,
		confidence = $5, rationale = $6, video_id = $7, model_artifact_id = $8, updated_at = $9, expires_at = $10,
		detected_on = $11, last_seen_on = $12, details = $13 WHERE portfolio_id = $14 AND id = $15`,
		nullString(r.AccountID), r.Kind, r.Action, r.Symbol, conf, r.Rationale, nullString(r.VideoID),
		nullString(r.ModelArtifactID), r.UpdatedAt, expiresArg(r.ExpiresOn), r.DetectedOn.String(),
		r.LastSeenOn.String(), nullString(r.Details), portfolioID, r.ID)
	return wrapErr("update recommendation "+r.ID, err)
}

// recColumns are the columns scanRec reads, in its order.
const recColumns = `id, account_id, kind, action, symbol, confidence, rationale, video_id, model_artifact_id, status,
	created_at, updated_at, expires_at, dedup_key, detected_on, last_seen_on, active, details, note`

// Recommendations lists the portfolio's recommendations with the given
// statuses (all when none is given), most confident first.
func (q *Queries) Recommendations(ctx context.Context, portfolioID string, statuses ...RecStatus) ([]Recommendation, error) {
	where := ""
	var args []any
	if len(statuses) > 0 {
		ph := make([]string, len(statuses))
		for i, s := range statuses {
			args = append(args, string(s))
			ph[i] = fmt.Sprintf("$%d", i+2)
		}
		where = `status IN (` + strings.Join(ph, ", ") + `)`
	}
	return q.recs(ctx, portfolioID, where, args)
}

// Recommendation returns one recommendation of the portfolio by id, or
// ErrNotFound.
func (q *Queries) Recommendation(ctx context.Context, portfolioID, id string) (Recommendation, error) {
	rs, err := q.recs(ctx, portfolioID, `id = $2`, []any{id})
	if err != nil {
		return Recommendation{}, err
	}
	if len(rs) == 0 {
		return Recommendation{}, fmt.Errorf("recommendation %s: %w", id, ErrNotFound)
	}
	return rs[0], nil
}

// recs lists rows of the portfolio matching where (placeholders from $2,
// args after the portfolio id).
func (q *Queries) recs(ctx context.Context, portfolioID, where string, args []any) ([]Recommendation, error) {
	query := `SELECT ` + recColumns + ` FROM ai_recommendations WHERE ` + byPortfolio
	if where != "" {
		query += ` AND ` + where
	}
	query += ` ORDER BY confidence DESC, kind, symbol, dedup_key, id`
	rows, err := q.db.QueryContext(ctx, query, append([]any{portfolioID}, args...)...)
	if err != nil {
		return nil, wrapErr("list recommendations", err)
	}
	defer rows.Close()
	out := []Recommendation{}
	for rows.Next() {
		r, err := scanRec(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr("list recommendations", err)
	}
	return out, nil
}

func scanRec(rows *sql.Rows) (Recommendation, error) {
	var (
		r                           Recommendation
		acct, video, model, details sql.NullString
		conf                        int64
		status, detected, seen      string
		expires                     sql.NullTime
	)
	if err := rows.Scan(&r.ID, &acct, &r.Kind, &r.Action, &r.Symbol, &conf, &r.Rationale, &video, &model, &status,
		&r.CreatedAt, &r.UpdatedAt, &expires, &r.Key, &detected, &seen, &r.Active, &details, &r.Note); err != nil {
		return Recommendation{}, wrapErr("list recommendations", err)
	}
	r.AccountID, r.VideoID, r.ModelArtifactID, r.Details = acct.String, video.String, model.String, details.String
	r.Confidence, r.Status = float64(conf)/1e6, RecStatus(status)
	r.CreatedAt, r.UpdatedAt = r.CreatedAt.UTC(), r.UpdatedAt.UTC()
	var err error
	parse := func(s string) portfolio.Date {
		if s == "" {
			return 0
		}
		d, e := portfolio.ParseDate(s)
		if e != nil && err == nil {
			err = fmt.Errorf("recommendation %s: stored date: %w", r.ID, e)
		}
		return d
	}
	r.DetectedOn, r.LastSeenOn = parse(detected), parse(seen)
	if expires.Valid {
		d := portfolio.DateOf(expires.Time.UTC())
		r.ExpiresOn = &d
	}
	return r, err
}

// SetRecStatus moves a recommendation from one of the statuses in from to
// status, with a note (an empty note keeps the old one). An id not in the
// portfolio is ErrNotFound; one in another status is ErrConflict, wrapped
// with the status it has.
func (q *Queries) SetRecStatus(ctx context.Context, portfolioID, id string, from []RecStatus, status RecStatus, note string) (Recommendation, error) {
	var out Recommendation
	err := q.atomic(ctx, func(q *Queries) error {
		r, err := q.Recommendation(ctx, portfolioID, id)
		if err != nil {
			return err
		}
		if !slices.Contains(from, r.Status) {
			return fmt.Errorf("recommendation %s is %s: %w", id, r.Status, ErrConflict)
		}
		at := now()
		if _, err := q.db.ExecContext(ctx, `UPDATE ai_recommendations SET status = $1,
			note = CASE WHEN CAST($2 AS TEXT) = '' THEN note ELSE CAST($2 AS TEXT) END, updated_at = $3
			WHERE portfolio_id = $4 AND id = $5`, string(status), note, at, portfolioID, id); err != nil {
			return wrapErr("set recommendation status", err)
		}
		r.Status, r.UpdatedAt = status, at
		if note != "" {
			r.Note = note
		}
		out = r
		return nil
	})
	return out, err
}

// ExpireRecs marks the portfolio's new recommendations whose TTL ended on
// or before asOf expired and inactive (a later refresh that finds them
// raises them again as new rows), and returns them.
func (q *Queries) ExpireRecs(ctx context.Context, portfolioID string, asOf portfolio.Date) ([]Recommendation, error) {
	var out []Recommendation
	err := q.atomic(ctx, func(q *Queries) error {
		rs, err := q.recs(ctx, portfolioID, `status = 'new' AND expires_at IS NOT NULL AND expires_at <= $2`, []any{asOf.Time()})
		if err != nil {
			return err
		}
		at := now()
		for i := range rs {
			r := &rs[i]
			if _, err := q.db.ExecContext(ctx, `UPDATE ai_recommendations SET status = 'expired', active = FALSE,
				updated_at = $1 WHERE portfolio_id = $2 AND id = $3`, at, portfolioID, r.ID); err != nil {
				return wrapErr("expire recommendation "+r.ID, err)
			}
			r.Status, r.Active, r.UpdatedAt = RecExpired, false, at
		}
		sortRecs(rs)
		out = rs
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("expire recommendations: %w", err)
	}
	return out, nil
}
