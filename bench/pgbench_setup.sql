-- Schema for the hand-written baseline ledger that bench/pgbench_transfer.sql drives.
-- Same shape of work as bench/ledger.py: a pre-funded player pays the single house account.
-- Usage: psql "$URL" -v players=10000 -f bench/pgbench_setup.sql
DROP TABLE IF EXISTS pgbench_ledger_transfers;
DROP TABLE IF EXISTS pgbench_ledger_accounts;
CREATE TABLE pgbench_ledger_accounts (
    id bigint PRIMARY KEY,
    debits_posted bigint NOT NULL DEFAULT 0,
    credits_posted bigint NOT NULL DEFAULT 0
);
CREATE TABLE pgbench_ledger_transfers (
    id bigserial PRIMARY KEY,
    debit_account_id bigint NOT NULL REFERENCES pgbench_ledger_accounts (id),
    credit_account_id bigint NOT NULL REFERENCES pgbench_ledger_accounts (id),
    amount bigint NOT NULL CHECK (amount > 0),
    created_at timestamptz NOT NULL DEFAULT now()
);
-- account 0 is the house; 1..players are players funded with 10^12 units each
INSERT INTO pgbench_ledger_accounts (id, debits_posted, credits_posted) VALUES (0, 0, 0);
INSERT INTO pgbench_ledger_accounts (id, debits_posted, credits_posted)
    SELECT g, 0, 1000000000000 FROM generate_series(1, :players) AS g;
VACUUM ANALYZE pgbench_ledger_accounts;
