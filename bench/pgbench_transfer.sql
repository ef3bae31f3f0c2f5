-- One transfer of one unit from a uniformly chosen player to the house account, written the
-- obvious way: lock both rows (in id order, house first) with SELECT ... FOR UPDATE, check the
-- player's balance, update both rows, record the transfer.
-- Usage: pgbench -n -c 8 -j 2 -T 30 -D players=10000 -f bench/pgbench_transfer.sql "$URL"
\set player random(1, :players)
BEGIN;
SELECT id, debits_posted, credits_posted FROM pgbench_ledger_accounts
    WHERE id IN (0, :player) ORDER BY id FOR UPDATE;
UPDATE pgbench_ledger_accounts SET debits_posted = debits_posted + 1
    WHERE id = :player AND credits_posted - debits_posted >= 1;
UPDATE pgbench_ledger_accounts SET credits_posted = credits_posted + 1 WHERE id = 0;
INSERT INTO pgbench_ledger_transfers (debit_account_id, credit_account_id, amount)
    VALUES (:player, 0, 1);
END;
