-- Initial schema (SQLite). Keep in step with ../postgres/00001_init.sql:
-- the two differ only in types (TIMESTAMP text vs TIMESTAMPTZ, TEXT vs JSONB,
-- BLOB vs BYTEA) and in SQLite's WITHOUT ROWID.
--
-- Conventions: ids are UUIDv7 text made in Go (except trade and lot ids,
-- which an imported file may give, and are unique per portfolio); every tenant row carries
-- user_id (indexed); quantities are BIGINT ×1e8 and money/prices BIGINT ×1e6;
-- civil dates are TEXT 'YYYY-MM-DD'; timestamps are UTC.

-- +goose Up
CREATE TABLE users (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE CHECK (name <> ''),
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE portfolios (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    name       TEXT NOT NULL CHECK (name <> ''),
    created_at TIMESTAMP NOT NULL,
    -- The last trade date the stored lots, holdings and cash are derived
    -- through (set by ReplaceDerived); a report at an earlier date replays.
    books_through TEXT,
    UNIQUE (user_id, name)
);

CREATE TABLE external_accounts (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    portfolio_id TEXT NOT NULL REFERENCES portfolios (id),
    name         TEXT NOT NULL CHECK (name <> ''),
    broker       TEXT NOT NULL DEFAULT '',
    number       TEXT NOT NULL DEFAULT '',
    tax_type     TEXT NOT NULL CHECK (tax_type IN ('taxable', 'traditional_ira', 'roth_ira', 'spouse_taxable')),
    lot_method   TEXT NOT NULL CHECK (lot_method IN ('fifo', 'lifo', 'hifo')),
    created_at   TIMESTAMP NOT NULL,
    UNIQUE (portfolio_id, name),
    UNIQUE (user_id, portfolio_id, id)
);

-- Tenant tables that name an account (trades and the derived tables below)
-- check it with one composite foreign key to external_accounts (user_id,
-- portfolio_id, id): one lookup per row instead of one each for the user,
-- portfolio and account, and it also rules out a row whose user or
-- portfolio is not its account's.
--
-- trades: imported history and, later, orders placed through the broker
-- (status, broker_* ids). trade_key makes re-imports idempotent: it is
-- unique per portfolio. The unique key leads with user_id so that it also
-- serves as the user_id index (one index fewer to maintain on bulk imports);
-- queries by portfolio look the user up first to use it.
-- lots holds a SELL's specific-lot picks as "LOTID:QTY;LOTID".
-- A SPLIT is N-for-M: quantity holds N and split_from M (×1e8 like
-- quantities; 0 means 1, and every other action has 0).
-- ids come from the files imported (a CSV's id column), so they are unique
-- per portfolio, not across the database: two portfolios may both have "b1".
CREATE TABLE trades (
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

-- lots, lot_disposals, holdings and cash_balances are derived from trades by
-- the ledger and replaced as a whole per portfolio; nothing else may
-- reference them with a foreign key. Like trades, their portfolio indexes
-- lead with user_id and double as the user_id index. A lot's id is the id of
-- the trade that opened it, so it too is unique per portfolio only, and a
-- disposal names its lot by portfolio and id. Disposals are keyed by their
-- booking order (seq) and holdings by account and symbol: no surrogate ids.
-- On SQLite, lots are stored in the order reports read them (clustered by
-- portfolio, account, symbol, date), so loading a portfolio's lots is one
-- range scan instead of an index walk plus a seek per lot.
CREATE TABLE lots (
    id                     TEXT NOT NULL,
    user_id                TEXT NOT NULL,
    portfolio_id           TEXT NOT NULL,
    account_id             TEXT NOT NULL,
    symbol                 TEXT NOT NULL,
    open_trade_id          TEXT NOT NULL,
    date_acquired          TEXT NOT NULL,
    adjusted_date_acquired TEXT NOT NULL,
    original_quantity      BIGINT NOT NULL,
    quantity               BIGINT NOT NULL,
    original_basis         BIGINT NOT NULL,
    cost_basis             BIGINT NOT NULL,
    adjusted_basis         BIGINT NOT NULL,
    closed_date            TEXT,
    updated_at             TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, portfolio_id, account_id, symbol, date_acquired, id),
    UNIQUE (portfolio_id, id),
    FOREIGN KEY (user_id, portfolio_id, account_id) REFERENCES external_accounts (user_id, portfolio_id, id)
) WITHOUT ROWID;

CREATE TABLE lot_disposals (
    user_id                TEXT NOT NULL,
    portfolio_id           TEXT NOT NULL,
    seq                    BIGINT NOT NULL,
    sell_trade_id          TEXT NOT NULL,
    lot_id                 TEXT NOT NULL,
    account_id             TEXT NOT NULL,
    symbol                 TEXT NOT NULL,
    quantity               BIGINT NOT NULL,
    date_acquired          TEXT NOT NULL,
    adjusted_date_acquired TEXT NOT NULL,
    date_sold              TEXT NOT NULL,
    proceeds               BIGINT NOT NULL,
    cost_basis             BIGINT NOT NULL,
    adjusted_basis         BIGINT NOT NULL,
    updated_at             TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, portfolio_id, seq),
    FOREIGN KEY (portfolio_id, lot_id) REFERENCES lots (portfolio_id, id),
    FOREIGN KEY (user_id, portfolio_id, account_id) REFERENCES external_accounts (user_id, portfolio_id, id)
) WITHOUT ROWID;
CREATE INDEX lot_disposals_lot_id ON lot_disposals (portfolio_id, lot_id);

CREATE TABLE holdings (
    user_id        TEXT NOT NULL,
    portfolio_id   TEXT NOT NULL,
    account_id     TEXT NOT NULL,
    symbol         TEXT NOT NULL,
    quantity       BIGINT NOT NULL,
    cost_basis     BIGINT NOT NULL,
    adjusted_basis BIGINT NOT NULL,
    lot_count      BIGINT NOT NULL,
    first_acquired TEXT NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, portfolio_id, account_id, symbol),
    FOREIGN KEY (user_id, portfolio_id, account_id) REFERENCES external_accounts (user_id, portfolio_id, id)
) WITHOUT ROWID;

CREATE TABLE cash_balances (
    account_id   TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    portfolio_id TEXT NOT NULL,
    amount       BIGINT NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    FOREIGN KEY (user_id, portfolio_id, account_id) REFERENCES external_accounts (user_id, portfolio_id, id)
);
CREATE INDEX cash_balances_portfolio ON cash_balances (user_id, portfolio_id);

-- prices: shared market data (no tenant), one row per symbol and day.
-- Prices ×1e6, volume ×1e8; only close_price is required.
CREATE TABLE prices (
    symbol      TEXT NOT NULL,
    price_date  TEXT NOT NULL,
    open_price  BIGINT,
    high_price  BIGINT,
    low_price   BIGINT,
    close_price BIGINT NOT NULL,
    adj_close   BIGINT,
    volume      BIGINT,
    updated_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (symbol, price_date)
) WITHOUT ROWID;

CREATE TABLE educational_videos (
    id               TEXT PRIMARY KEY,
    slug             TEXT NOT NULL UNIQUE,
    title            TEXT NOT NULL,
    url              TEXT NOT NULL,
    topic            TEXT NOT NULL DEFAULT '',
    description      TEXT NOT NULL DEFAULT '',
    duration_seconds BIGINT NOT NULL DEFAULT 0,
    created_at       TIMESTAMP NOT NULL
);

-- model_artifacts: trained model weights, versioned; user_id is NULL for a
-- model shared by every user.
CREATE TABLE model_artifacts (
    id         TEXT PRIMARY KEY,
    user_id    TEXT REFERENCES users (id),
    name       TEXT NOT NULL,
    version    BIGINT NOT NULL,
    format     TEXT NOT NULL,
    params     TEXT,
    metrics    TEXT,
    weights    BLOB NOT NULL,
    sha256     TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (name, version)
);
CREATE INDEX model_artifacts_user_id ON model_artifacts (user_id);

-- ai_recommendations: confidence is BIGINT ×1e6 in [0, 1].
CREATE TABLE ai_recommendations (
    id                TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL REFERENCES users (id),
    portfolio_id      TEXT NOT NULL REFERENCES portfolios (id),
    account_id        TEXT REFERENCES external_accounts (id),
    kind              TEXT NOT NULL,
    action            TEXT NOT NULL,
    symbol            TEXT NOT NULL DEFAULT '',
    quantity          BIGINT,
    confidence        BIGINT NOT NULL CHECK (confidence BETWEEN 0 AND 1000000),
    rationale         TEXT NOT NULL DEFAULT '',
    video_id          TEXT REFERENCES educational_videos (id),
    model_artifact_id TEXT REFERENCES model_artifacts (id),
    status            TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'accepted', 'dismissed', 'expired')),
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    expires_at        TIMESTAMP
);
CREATE INDEX ai_recommendations_user_id ON ai_recommendations (user_id);
CREATE INDEX ai_recommendations_portfolio ON ai_recommendations (portfolio_id, status);

-- tax_harvests: a loss-harvest opportunity found by `harvest scan` and what
-- became of it: new (found, not acted on), executed, dismissed, or expired
-- (a later scan no longer found it). lot_id is not a foreign key: lots are
-- derived and replaced. A scan updates the new row of the same account and
-- lot instead of adding one (at most one new row per lot, enforced by the
-- partial unique index); detected_on..last_seen_on is the range of scan
-- dates that found it. Quantities ×1e8, money ×1e6; term is short or long;
-- wash_sale_until is the lock-out date (sale date + 31 days) before which
-- buying back is unsafe.
CREATE TABLE tax_harvests (
    id                 TEXT PRIMARY KEY,
    user_id            TEXT NOT NULL,
    portfolio_id       TEXT NOT NULL,
    account_id         TEXT NOT NULL,
    symbol             TEXT NOT NULL,
    lot_id             TEXT NOT NULL,
    quantity           BIGINT NOT NULL,
    adjusted_basis     BIGINT NOT NULL,
    price              BIGINT NOT NULL,
    price_date         TEXT NOT NULL,
    unrealized_loss    BIGINT NOT NULL,
    term               TEXT NOT NULL CHECK (term IN ('short', 'long')),
    estimated_saving   BIGINT NOT NULL,
    costs              BIGINT NOT NULL,
    wash_safe          BOOLEAN NOT NULL,
    replacement_symbol TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'executed', 'dismissed', 'expired')),
    detected_on        TEXT NOT NULL,
    last_seen_on       TEXT NOT NULL,
    executed_on        TEXT,
    sell_trade_id      TEXT,
    buy_trade_id       TEXT,
    realized_loss      BIGINT,
    wash_sale_until    TEXT,
    note               TEXT NOT NULL DEFAULT '',
    created_at         TIMESTAMP NOT NULL,
    updated_at         TIMESTAMP NOT NULL,
    FOREIGN KEY (user_id, portfolio_id, account_id) REFERENCES external_accounts (user_id, portfolio_id, id)
);
CREATE INDEX tax_harvests_user_id ON tax_harvests (user_id);
CREATE INDEX tax_harvests_portfolio ON tax_harvests (portfolio_id, status);
CREATE UNIQUE INDEX tax_harvests_open_lot ON tax_harvests (portfolio_id, account_id, lot_id) WHERE status = 'new';

-- events: append-only audit log of every state change. user_id is NULL for
-- system events; portfolio_id is no foreign key so the log outlives what it
-- describes.
CREATE TABLE events (
    id           TEXT PRIMARY KEY,
    user_id      TEXT REFERENCES users (id),
    portfolio_id TEXT,
    kind         TEXT NOT NULL,
    subject      TEXT NOT NULL,
    data         TEXT,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX events_user_id ON events (user_id);
CREATE INDEX events_portfolio ON events (portfolio_id, created_at);

-- +goose Down
DROP TABLE events;
DROP TABLE tax_harvests;
DROP TABLE ai_recommendations;
DROP TABLE model_artifacts;
DROP TABLE educational_videos;
DROP TABLE prices;
DROP TABLE cash_balances;
DROP TABLE holdings;
DROP TABLE lot_disposals;
DROP TABLE lots;
DROP TABLE trades;
DROP TABLE external_accounts;
DROP TABLE portfolios;
DROP TABLE users;
