-- trades for bulk imports (postgres). Keep in step with the other dialect's
-- 00008, which says why. Here only the keys change: PostgreSQL evaluates an
-- IN list of constants without SQLite's per-row temporary b-tree, so the
-- checks stay as they are.

-- +goose Up
UPDATE trades SET trade_key = 'csv:' || trade_date || ':' || substr(trade_key, 5)
WHERE substr(trade_key, 1, 4) = 'csv:' AND substr(trade_key, 1, 7) <> 'csv:id:';

-- +goose Down
UPDATE trades SET trade_key = 'csv:' || substr(trade_key, 16)
WHERE substr(trade_key, 1, 4) = 'csv:' AND substr(trade_key, 1, 7) <> 'csv:id:';
