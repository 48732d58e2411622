-- Wash-sale results on each disposal (postgres). Keep in step with the other
-- dialect's 00004.
--
-- wash_disallowed: the loss disallowed by IRC §1091 on these shares, ×1e6
-- (Form 8949 column (g) with code W); permanently_disallowed: the
-- replacement was bought in an IRA or Roth IRA, so the loss never comes
-- back through a basis adjustment (Rev. Rul. 2008-5).

-- +goose Up
ALTER TABLE lot_disposals ADD COLUMN wash_disallowed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE lot_disposals ADD COLUMN permanently_disallowed BOOLEAN NOT NULL DEFAULT FALSE;

-- +goose Down
ALTER TABLE lot_disposals DROP COLUMN permanently_disallowed;
ALTER TABLE lot_disposals DROP COLUMN wash_disallowed;
