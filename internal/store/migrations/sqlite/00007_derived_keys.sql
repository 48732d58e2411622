-- Derived tables without foreign keys (sqlite). Keep in step with the other
-- dialect's 00007.
--
-- lots, lot_disposals, holdings and cash_balances are written only by
-- ReplaceDerived, as a whole, from trades that their own foreign key ties
-- to the account; ReplaceDerived checks every row's account against the
-- portfolio's and every lot id for uniqueness before it writes. The per-row
-- foreign-key lookups, the (portfolio_id, id) index on lots (which only
-- served as the disposals' foreign-key target: nothing looks a lot up by
-- id) and the disposals' lot index made rewriting a 100,000-trade history
-- three times slower than the rows themselves. SQLite cannot drop a
-- constraint, so each table is rebuilt and its rows copied.

-- +goose Up
CREATE TABLE lots_new (
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
    PRIMARY KEY (user_id, portfolio_id, account_id, symbol, date_acquired, id)
) WITHOUT ROWID;
INSERT INTO lots_new (id, user_id, portfolio_id, account_id, symbol, open_trade_id, date_acquired,
    adjusted_date_acquired, original_quantity, quantity, original_basis, cost_basis, adjusted_basis,
    closed_date, updated_at)
SELECT id, user_id, portfolio_id, account_id, symbol, open_trade_id, date_acquired,
    adjusted_date_acquired, original_quantity, quantity, original_basis, cost_basis, adjusted_basis,
    closed_date, updated_at FROM lots;

CREATE TABLE lot_disposals_new (
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
    wash_disallowed        BIGINT NOT NULL DEFAULT 0,
    permanently_disallowed BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (user_id, portfolio_id, seq)
) WITHOUT ROWID;
INSERT INTO lot_disposals_new (user_id, portfolio_id, seq, sell_trade_id, lot_id, account_id, symbol,
    quantity, date_acquired, adjusted_date_acquired, date_sold, proceeds, cost_basis, adjusted_basis,
    updated_at, wash_disallowed, permanently_disallowed)
SELECT user_id, portfolio_id, seq, sell_trade_id, lot_id, account_id, symbol,
    quantity, date_acquired, adjusted_date_acquired, date_sold, proceeds, cost_basis, adjusted_basis,
    updated_at, wash_disallowed, permanently_disallowed FROM lot_disposals;

CREATE TABLE holdings_new (
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
    PRIMARY KEY (user_id, portfolio_id, account_id, symbol)
) WITHOUT ROWID;
INSERT INTO holdings_new (user_id, portfolio_id, account_id, symbol, quantity, cost_basis, adjusted_basis,
    lot_count, first_acquired, updated_at)
SELECT user_id, portfolio_id, account_id, symbol, quantity, cost_basis, adjusted_basis,
    lot_count, first_acquired, updated_at FROM holdings;

CREATE TABLE cash_balances_new (
    account_id   TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    portfolio_id TEXT NOT NULL,
    amount       BIGINT NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
INSERT INTO cash_balances_new (account_id, user_id, portfolio_id, amount, updated_at)
SELECT account_id, user_id, portfolio_id, amount, updated_at FROM cash_balances;

DROP TABLE lot_disposals;
DROP TABLE lots;
DROP TABLE holdings;
DROP TABLE cash_balances;
ALTER TABLE lots_new RENAME TO lots;
ALTER TABLE lot_disposals_new RENAME TO lot_disposals;
ALTER TABLE holdings_new RENAME TO holdings;
ALTER TABLE cash_balances_new RENAME TO cash_balances;
CREATE INDEX cash_balances_portfolio ON cash_balances (user_id, portfolio_id);

-- +goose Down
CREATE TABLE lots_old (
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
INSERT INTO lots_old SELECT id, user_id, portfolio_id, account_id, symbol, open_trade_id, date_acquired,
    adjusted_date_acquired, original_quantity, quantity, original_basis, cost_basis, adjusted_basis,
    closed_date, updated_at FROM lots;

CREATE TABLE lot_disposals_old (
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
    wash_disallowed        BIGINT NOT NULL DEFAULT 0,
    permanently_disallowed BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (user_id, portfolio_id, seq),
    FOREIGN KEY (portfolio_id, lot_id) REFERENCES lots_old (portfolio_id, id),
    FOREIGN KEY (user_id, portfolio_id, account_id) REFERENCES external_accounts (user_id, portfolio_id, id)
) WITHOUT ROWID;
INSERT INTO lot_disposals_old SELECT user_id, portfolio_id, seq, sell_trade_id, lot_id, account_id, symbol,
    quantity, date_acquired, adjusted_date_acquired, date_sold, proceeds, cost_basis, adjusted_basis,
    updated_at, wash_disallowed, permanently_disallowed FROM lot_disposals;

CREATE TABLE holdings_old (
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
INSERT INTO holdings_old SELECT user_id, portfolio_id, account_id, symbol, quantity, cost_basis,
    adjusted_basis, lot_count, first_acquired, updated_at FROM holdings;

CREATE TABLE cash_balances_old (
    account_id   TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    portfolio_id TEXT NOT NULL,
    amount       BIGINT NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    FOREIGN KEY (user_id, portfolio_id, account_id) REFERENCES external_accounts (user_id, portfolio_id, id)
);
INSERT INTO cash_balances_old SELECT account_id, user_id, portfolio_id, amount, updated_at FROM cash_balances;

DROP TABLE lot_disposals;
DROP TABLE lots;
DROP TABLE holdings;
DROP TABLE cash_balances;
ALTER TABLE lots_old RENAME TO lots;
ALTER TABLE lot_disposals_old RENAME TO lot_disposals;
ALTER TABLE holdings_old RENAME TO holdings;
ALTER TABLE cash_balances_old RENAME TO cash_balances;
CREATE INDEX lot_disposals_lot_id ON lot_disposals (portfolio_id, lot_id);
CREATE INDEX cash_balances_portfolio ON cash_balances (user_id, portfolio_id);
