-- A partial index per kind instead of one index over (account, kind, date, id), as on
-- PostgreSQL, where it saves room (migrations/postgres/0014); here the two hold what the one
-- held. The table is written again to keep the two schemas in step (column order means nothing
-- to SQLite's record format). Queries name the kind as a literal: SQLite, like PostgreSQL, uses
-- a partial index only when the query's own terms imply its condition.
CREATE TABLE transactions_packed (
    date                INTEGER NOT NULL,
    amount              INTEGER NOT NULL,
    balance             INTEGER,
    kind                INTEGER NOT NULL,
    account_id          BLOB NOT NULL,
    id                  BLOB NOT NULL,
    narration           TEXT NOT NULL,
    currency            TEXT NOT NULL,
    fingerprint         TEXT NOT NULL,
    PRIMARY KEY (account_id, date, id)
) WITHOUT ROWID;
INSERT INTO transactions_packed (date, amount, balance, kind, account_id, id, narration, currency, fingerprint)
    SELECT date, amount, balance, kind, account_id, id, narration, currency, fingerprint
    FROM transactions ORDER BY account_id, date, id;
DROP TABLE transactions;
ALTER TABLE transactions_packed RENAME TO transactions;
CREATE UNIQUE INDEX transactions_fingerprint ON transactions (account_id, fingerprint);
CREATE INDEX transactions_debits ON transactions (account_id, date, id) WHERE kind = 0;
CREATE INDEX transactions_credits ON transactions (account_id, date, id) WHERE kind = 1;
