package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/wealthalloc/wealthalloc/internal/ids"
)

// Video is one row of educational_videos: a piece of public investor
// education (a video or a page) that recommendations link to by topic.
type Video struct {
	ID              string // set by SeedVideos
	Slug            string // stable name, e.g. "irs-pub-550"
	Title           string
	URL             string
	Topic           string // e.g. "rebalancing", "tax-loss-harvesting"
	Description     string
	DurationSeconds int64 // 0 for a page
	CreatedAt       time.Time
}

// SeedVideos inserts the catalogue entries whose slug is not stored yet
// and brings the title, URL, topic, description and duration of the
// others up to date, in one transaction. It returns the catalogue as
// stored, in the order given.
func (q *Queries) SeedVideos(ctx context.Context, vs []Video) ([]Video, error) {
	out := make([]Video, 0, len(vs))
	err := q.atomic(ctx, func(q *Queries) error {
		out = out[:0]
		have, err := q.Videos(ctx, "")
		if err != nil {
			return err
		}
		bySlug := map[string]Video{}
		for _, v := range have {
			bySlug[v.Slug] = v
		}
		for _, v := range vs {
			if strings.TrimSpace(v.Slug) == "" || strings.TrimSpace(v.URL) == "" {
				return fmt.Errorf("video %q: %w: slug and URL are required", v.Title, ErrConstraint)
			}
			old, ok := bySlug[v.Slug]
			if !ok {
				v.ID, v.CreatedAt = ids.New(), now()
				if _, err := q.db.ExecContext(ctx, `INSERT INTO educational_videos (id, slug, title, url, topic,
					description, duration_seconds, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
					v.ID, v.Slug, v.Title, v.URL, v.Topic, v.Description, v.DurationSeconds, v.CreatedAt); err != nil {
					return wrapErr("insert video "+v.Slug, err)
				}
				out = append(out, v)
				continue
			}
			v.ID, v.CreatedAt = old.ID, old.CreatedAt
			if v != old {
				if _, err := q.db.ExecContext(ctx, `UPDATE educational_videos SET title = $1, url = $2, topic = $3,
					description = $4, duration_seconds = $5 WHERE id = $6`,
					v.Title, v.URL, v.Topic, v.Description, v.DurationSeconds, v.ID); err != nil {
					return wrapErr("update video "+v.Slug, err)
				}
			}
			out = append(out, v)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("seed videos: %w", err)
	}
	return out, nil
}

// Videos lists the catalogue by topic and title; a non-empty topic keeps
// only that topic (case-insensitive).
func (q *Queries) Videos(ctx context.Context, topic string) ([]Video, error) {
	query := `SELECT id, slug, title, url, topic, description, duration_seconds, created_at FROM educational_videos`
	var args []any
	if topic != "" {
		query += ` WHERE LOWER(topic) = $1`
		args = append(args, strings.ToLower(topic))
	}
	query += ` ORDER BY topic, title, slug`
	rows, err := q.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, wrapErr("list videos", err)
	}
	defer rows.Close()
	out := []Video{}
	for rows.Next() {
		var v Video
		if err := rows.Scan(&v.ID, &v.Slug, &v.Title, &v.URL, &v.Topic, &v.Description, &v.DurationSeconds, &v.CreatedAt); err != nil {
			return nil, wrapErr("list videos", err)
		}
		v.CreatedAt = v.CreatedAt.UTC()
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr("list videos", err)
	}
	return out, nil
}
