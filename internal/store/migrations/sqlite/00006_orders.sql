-- Orders placed through the broker (sqlite). Keep in step with the other
-- dialect's 00006.
--
-- An order row is written, status pending, BEFORE the order is sent: its
-- order_ref is the idempotency key the broker carries with the order, so a
-- reconnect (or a later "trade status") finds the order by it and never
-- sends it twice. Orders are not trades: only executions the broker
-- confirmed become rows of trades (key ib:exec:<execId>), so nothing
-- unconfirmed reaches the books.
--
-- status: pending (stored, not yet acknowledged), submitted (working at
-- the broker), partially_filled, filled, cancelled (possibly after a
-- partial fill), rejected (reason holds the broker's text), failed (never
-- reached the broker: safe to place again). broker_status is IB's own word.
-- Quantities ×1e8, prices and money ×1e6. lots holds the sale's lot picks
-- as "LOTID:QTY;…" (the trades column's format). plan_id groups the orders
-- of one harvest or rebalance plan; harvest_id names the tax_harvests row
-- (no foreign key: the order log outlives what it describes).

-- +goose Up
CREATE TABLE orders (
    id               TEXT PRIMARY KEY,
    user_id          TEXT NOT NULL,
    portfolio_id     TEXT NOT NULL,
    account_id       TEXT NOT NULL,
    order_ref        TEXT NOT NULL CHECK (order_ref <> ''),
    plan_id          TEXT NOT NULL DEFAULT '',
    harvest_id       TEXT NOT NULL DEFAULT '',
    symbol           TEXT NOT NULL,
    action           TEXT NOT NULL CHECK (action IN ('BUY', 'SELL')),
    quantity         BIGINT NOT NULL CHECK (quantity > 0),
    order_type       TEXT NOT NULL CHECK (order_type IN ('MKT', 'LMT', 'STP', 'STP LMT')),
    limit_price      BIGINT,
    stop_price       BIGINT,
    tif              TEXT NOT NULL CHECK (tif IN ('DAY', 'GTC')),
    outside_rth      BOOLEAN NOT NULL DEFAULT FALSE,
    lots             TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL CHECK (status IN ('pending', 'submitted', 'partially_filled', 'filled', 'cancelled', 'rejected', 'failed')),
    broker_status    TEXT NOT NULL DEFAULT '',
    broker_order_id  BIGINT,
    broker_perm_id   BIGINT,
    broker_client_id BIGINT,
    filled           BIGINT NOT NULL DEFAULT 0,
    avg_fill_price   BIGINT NOT NULL DEFAULT 0,
    commission       BIGINT NOT NULL DEFAULT 0,
    reason           TEXT NOT NULL DEFAULT '',
    gateway          TEXT NOT NULL DEFAULT '',
    trade_date       TEXT NOT NULL,
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    submitted_at     TIMESTAMP,
    finished_at      TIMESTAMP,
    UNIQUE (user_id, portfolio_id, order_ref),
    FOREIGN KEY (user_id, portfolio_id, account_id) REFERENCES external_accounts (user_id, portfolio_id, id)
);
CREATE INDEX orders_portfolio_status ON orders (portfolio_id, status);
CREATE INDEX orders_portfolio_date ON orders (portfolio_id, trade_date);

-- +goose Down
DROP TABLE orders;
