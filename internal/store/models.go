package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/wealthalloc/wealthalloc/internal/ids"
)

// ModelArtifact is one stored version of a trained model.
type ModelArtifact struct {
	ID        string
	UserID    string // "" for a model shared by every user
	Name      string // e.g. "lstm-ae/AAPL"
	Version   int64  // 1, 2, ... per name; set by SaveModelArtifact
	Format    string // e.g. "wealthalloc-lstm-ae/1"
	Params    string // JSON: the training configuration
	Metrics   string // JSON: losses, threshold, windows
	Weights   []byte
	SHA256    string // hex of Weights; set by SaveModelArtifact
	SizeBytes int64
	CreatedAt time.Time
}

// SaveModelArtifact stores a as the next version of a.Name and returns it
// with ID, Version, SHA256, SizeBytes and CreatedAt set.
func (q *Queries) SaveModelArtifact(ctx context.Context, a ModelArtifact) (ModelArtifact, error) {
	sum := sha256.Sum256(a.Weights)
	a.SHA256, a.SizeBytes, a.ID, a.CreatedAt = hex.EncodeToString(sum[:]), int64(len(a.Weights)), ids.New(), now()
	err := q.atomic(ctx, func(q *Queries) error {
		var cur sql.NullInt64
		if err := q.db.QueryRowContext(ctx, `SELECT MAX(version) FROM model_artifacts WHERE name = $1`, a.Name).Scan(&cur); err != nil {
			return err
		}
		a.Version = cur.Int64 + 1
		_, err := q.db.ExecContext(ctx, `INSERT INTO model_artifacts (id, user_id, name, version, format, params, metrics,
			weights, sha256, size_bytes, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			a.ID, nullString(a.UserID), a.Name, a.Version, a.Format, nullString(a.Params), nullString(a.Metrics),
			a.Weights, a.SHA256, a.SizeBytes, a.CreatedAt)
		return err
	})
	if err != nil {
		return a, wrapErr("save model "+a.Name, err)
	}
	return a, nil
}

// LatestModelArtifact returns the newest version of the named model, or
// ErrNotFound. A stored artifact whose bytes no longer match its checksum is
// an error.
func (q *Queries) LatestModelArtifact(ctx context.Context, name string) (ModelArtifact, error) {
	var (
		a              ModelArtifact
		user, par, met sql.NullString
	)
	err := q.db.QueryRowContext(ctx, `SELECT id, user_id, name, version, format, params, metrics, weights, sha256,
		size_bytes, created_at FROM model_artifacts WHERE name = $1 ORDER BY version DESC LIMIT 1`, name).Scan(
		&a.ID, &user, &a.Name, &a.Version, &a.Format, &par, &met, &a.Weights, &a.SHA256, &a.SizeBytes, &a.CreatedAt)
	if err != nil {
		return a, wrapErr("load model "+name, err)
	}
	a.UserID, a.Params, a.Metrics = user.String, par.String, met.String
	a.CreatedAt = a.CreatedAt.UTC()
	if sum := sha256.Sum256(a.Weights); hex.EncodeToString(sum[:]) != a.SHA256 {
		return a, fmt.Errorf("load model %s v%d: stored weights do not match their checksum", name, a.Version)
	}
	return a, nil
}

// ModelArtifacts lists the newest version of every model whose name starts
// with prefix, by name, without weights.
func (q *Queries) ModelArtifacts(ctx context.Context, prefix string) ([]ModelArtifact, error) {
	rows, err := q.db.QueryContext(ctx, `SELECT m.id, m.name, m.version, m.format, m.metrics, m.size_bytes, m.created_at
		FROM model_artifacts m WHERE m.name LIKE $1 AND m.version = (SELECT MAX(version) FROM model_artifacts WHERE name = m.name)
		ORDER BY m.name`, prefix+"%")
	if err != nil {
		return nil, wrapErr("list models", err)
	}
	defer rows.Close()
	out := []ModelArtifact{}
	for rows.Next() {
		var (
			a   ModelArtifact
			met sql.NullString
		)
		if err := rows.Scan(&a.ID, &a.Name, &a.Version, &a.Format, &met, &a.SizeBytes, &a.CreatedAt); err != nil {
			return nil, wrapErr("list models", err)
		}
		a.Metrics, a.CreatedAt = met.String, a.CreatedAt.UTC()
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr("list models", err)
	}
	return out, nil
}
