-- Recommendation lifecycle columns (postgres). Keep in step with the other
-- dialect's 00005.
--
-- dedup_key: what makes two recommendations the same (e.g. "anomaly:AAPL",
-- "harvest:<account>:<lot>"); a refresh that finds a key again updates its
-- row instead of adding one. detected_on..last_seen_on: the range of
-- refresh dates (YYYY-MM-DD) that found it. active: the signal was found by
-- the latest refresh that looked (a row of any status); at most one active
-- row per key, so a dismissed or accepted recommendation is not raised
-- again while its signal lasts. details: the figures behind the rationale,
-- JSON. note: the reason given on dismissal or acceptance.

-- +goose Up
ALTER TABLE ai_recommendations ADD COLUMN dedup_key TEXT NOT NULL DEFAULT '';
ALTER TABLE ai_recommendations ADD COLUMN detected_on TEXT NOT NULL DEFAULT '';
ALTER TABLE ai_recommendations ADD COLUMN last_seen_on TEXT NOT NULL DEFAULT '';
ALTER TABLE ai_recommendations ADD COLUMN active BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE ai_recommendations ADD COLUMN details TEXT;
ALTER TABLE ai_recommendations ADD COLUMN note TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX ai_recommendations_active_key ON ai_recommendations (portfolio_id, dedup_key) WHERE active;
CREATE INDEX educational_videos_topic ON educational_videos (topic);

-- +goose Down
DROP INDEX educational_videos_topic;
DROP INDEX ai_recommendations_active_key;
ALTER TABLE ai_recommendations DROP COLUMN note;
ALTER TABLE ai_recommendations DROP COLUMN details;
ALTER TABLE ai_recommendations DROP COLUMN active;
ALTER TABLE ai_recommendations DROP COLUMN last_seen_on;
ALTER TABLE ai_recommendations DROP COLUMN detected_on;
ALTER TABLE ai_recommendations DROP COLUMN dedup_key;
