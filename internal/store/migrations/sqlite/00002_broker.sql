-- Broker sync state (sqlite). Keep in step with the other dialect's 00002.
--
-- broker_positions and broker_balances are the broker's own view of an
-- account at the last sync, replaced as a whole per account, so that
-- reconciliation and "what does IB say" never need a live connection.
-- quotes caches the last quote per symbol; like prices it is market data,
-- shared by every user, so it carries no user_id.

-- +goose Up
CREATE TABLE broker_positions (
    user_id      TEXT NOT NULL REFERENCES users (id),
    portfolio_id TEXT NOT NULL REFERENCES portfolios (id),
    account_id   TEXT NOT NULL REFERENCES external_accounts (id),
    symbol       TEXT NOT NULL,
    con_id       BIGINT NOT NULL,
    quantity     BIGINT NOT NULL,
    avg_cost     BIGINT NOT NULL,
    synced_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, portfolio_id, account_id, symbol)
) WITHOUT ROWID;

CREATE TABLE broker_balances (
    user_id      TEXT NOT NULL REFERENCES users (id),
    portfolio_id TEXT NOT NULL REFERENCES portfolios (id),
    account_id   TEXT NOT NULL REFERENCES external_accounts (id),
    tag          TEXT NOT NULL,
    currency     TEXT NOT NULL,
    amount       BIGINT NOT NULL,
    synced_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, portfolio_id, account_id, tag, currency)
) WITHOUT ROWID;

-- Prices ×1e6 and sizes ×1e8, NULL when the gateway sent none.
CREATE TABLE quotes (
    symbol     TEXT PRIMARY KEY,
    bid        BIGINT,
    ask        BIGINT,
    last       BIGINT,
    close      BIGINT,
    bid_size   BIGINT,
    ask_size   BIGINT,
    last_size  BIGINT,
    delayed    BOOLEAN NOT NULL,
    quote_time TIMESTAMP NOT NULL,
    fetched_at TIMESTAMP NOT NULL
) WITHOUT ROWID;

-- +goose Down
DROP TABLE quotes;
DROP TABLE broker_balances;
DROP TABLE broker_positions;
