-- trades for bulk imports (sqlite). Keep in step with the other dialect's
-- 00008.
--
-- 1. Date-led keys for CSV rows without an id: such a row's key was
--    csv:<hash>:<n> and is now csv:<date>:<hash>:<n> (docs/import-formats.md),
--    so that a history imported in date order appends to the unique key
--    index instead of scattering across it, which made that index the
--    costliest part of an import. The hash covers the date already, so the
--    new keys are as unique as the old; rewriting the stored ones keeps
--    re-imports of files imported before idempotent.
-- 2. The action and status checks as OR chains: SQLite evaluates a CHECK's
--    IN list of more than two constants by building a temporary b-tree of
--    the list for every row inserted. The accepted values are unchanged.
--
-- SQLite cannot alter a CHECK, so the table is rebuilt and its rows copied.

-- +goose Up
CREATE TABLE trades_new (
    id              TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    portfolio_id    TEXT NOT NULL,
    account_id      TEXT NOT NULL,
    trade_date      TEXT NOT NULL,
    action          TEXT NOT NULL CHECK (action = 'BUY' OR action = 'SELL' OR action = 'DIVIDEND' OR action = 'REINVEST' OR
                                        action = 'SPLIT' OR action = 'DEPOSIT' OR action = 'WITHDRAWAL' OR action = 'FEE' OR
                                        action = 'INTEREST'),
    symbol          TEXT NOT NULL,
    quantity        BIGINT NOT NULL,
    split_from      BIGINT NOT NULL DEFAULT 0 CHECK (split_from >= 0 AND (split_from = 0 OR action = 'SPLIT')),
    price           BIGINT NOT NULL,
    fees            BIGINT NOT NULL,
    amount          BIGINT NOT NULL,
    currency        TEXT NOT NULL,
    lots            TEXT NOT NULL,
    note            TEXT NOT NULL,
    trade_key       TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status = 'filled' OR status = 'pending' OR status = 'submitted' OR
                                        status = 'partially_filled' OR status = 'cancelled' OR status = 'rejected'),
    broker_order_id TEXT,
    broker_perm_id  TEXT,
    broker_exec_id  TEXT,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (portfolio_id, id),
    UNIQUE (user_id, portfolio_id, trade_key),
    FOREIGN KEY (user_id, portfolio_id, account_id) REFERENCES external_accounts (user_id, portfolio_id, id)
) WITHOUT ROWID;
INSERT INTO trades_new (id, user_id, portfolio_id, account_id, trade_date, action, symbol, quantity, split_from,
    price, fees, amount, currency, lots, note, trade_key, status, broker_order_id, broker_perm_id, broker_exec_id,
    created_at, updated_at)
SELECT id, user_id, portfolio_id, account_id, trade_date, action, symbol, quantity, split_from,
    price, fees, amount, currency, lots, note,
    CASE WHEN substr(trade_key, 1, 4) = 'csv:' AND substr(trade_key, 1, 7) <> 'csv:id:'
         THEN 'csv:' || trade_date || ':' || substr(trade_key, 5) ELSE trade_key END,
    status, broker_order_id, broker_perm_id, broker_exec_id, created_at, updated_at
FROM trades;
DROP TABLE trades;
ALTER TABLE trades_new RENAME TO trades;

-- +goose Down
CREATE TABLE trades_old (
    id              TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    portfolio_id    TEXT NOT NULL,
    account_id      TEXT NOT NULL,
    trade_date      TEXT NOT NULL,
    action          TEXT NOT NULL CHECK (action IN ('BUY', 'SELL', 'DIVIDEND', 'REINVEST', 'SPLIT', 'DEPOSIT', 'WITHDRAWAL', 'FEE', 'INTEREST')),
    symbol          TEXT NOT NULL,
    quantity        BIGINT NOT NULL,
    split_from      BIGINT NOT NULL DEFAULT 0 CHECK (split_from >= 0 AND (split_from = 0 OR action = 'SPLIT')),
    price           BIGINT NOT NULL,
    fees            BIGINT NOT NULL,
    amount          BIGINT NOT NULL,
    currency        TEXT NOT NULL,
    lots            TEXT NOT NULL,
    note            TEXT NOT NULL,
    trade_key       TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'submitted', 'partially_filled', 'filled', 'cancelled', 'rejected')),
    broker_order_id TEXT,
    broker_perm_id  TEXT,
    broker_exec_id  TEXT,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (portfolio_id, id),
    UNIQUE (user_id, portfolio_id, trade_key),
    FOREIGN KEY (user_id, portfolio_id, account_id) REFERENCES external_accounts (user_id, portfolio_id, id)
) WITHOUT ROWID;
INSERT INTO trades_old (id, user_id, portfolio_id, account_id, trade_date, action, symbol, quantity, split_from,
    price, fees, amount, currency, lots, note, trade_key, status, broker_order_id, broker_perm_id, broker_exec_id,
    created_at, updated_at)
SELECT id, user_id, portfolio_id, account_id, trade_date, action, symbol, quantity, split_from,
    price, fees, amount, currency, lots, note,
    CASE WHEN substr(trade_key, 1, 4) = 'csv:' AND substr(trade_key, 1, 7) <> 'csv:id:'
         THEN 'csv:' || substr(trade_key, 16) ELSE trade_key END,
    status, broker_order_id, broker_perm_id, broker_exec_id, created_at, updated_at
FROM trades;
DROP TABLE trades;
ALTER TABLE trades_old RENAME TO trades;
