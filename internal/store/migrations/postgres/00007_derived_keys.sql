-- Derived tables without foreign keys (postgres). Keep in step with the
-- other dialect's 00007, which says why. lots keeps its (portfolio_id, id)
-- primary key here: PostgreSQL's heap needs a key and the portfolio index
-- serves reads.

-- +goose Up
ALTER TABLE lot_disposals DROP CONSTRAINT lot_disposals_portfolio_id_lot_id_fkey;
ALTER TABLE lot_disposals DROP CONSTRAINT lot_disposals_user_id_portfolio_id_account_id_fkey;
DROP INDEX lot_disposals_lot_id;
ALTER TABLE lots DROP CONSTRAINT lots_user_id_portfolio_id_account_id_fkey;
ALTER TABLE holdings DROP CONSTRAINT holdings_user_id_portfolio_id_account_id_fkey;
ALTER TABLE cash_balances DROP CONSTRAINT cash_balances_user_id_portfolio_id_account_id_fkey;

-- +goose Down
ALTER TABLE cash_balances ADD FOREIGN KEY (user_id, portfolio_id, account_id) REFERENCES external_accounts (user_id, portfolio_id, id);
ALTER TABLE holdings ADD FOREIGN KEY (user_id, portfolio_id, account_id) REFERENCES external_accounts (user_id, portfolio_id, id);
ALTER TABLE lots ADD FOREIGN KEY (user_id, portfolio_id, account_id) REFERENCES external_accounts (user_id, portfolio_id, id);
CREATE INDEX lot_disposals_lot_id ON lot_disposals (portfolio_id, lot_id);
ALTER TABLE lot_disposals ADD FOREIGN KEY (user_id, portfolio_id, account_id) REFERENCES external_accounts (user_id, portfolio_id, id);
ALTER TABLE lot_disposals ADD FOREIGN KEY (portfolio_id, lot_id) REFERENCES lots (portfolio_id, id);
