-- The sandbox clock: how far each app's sandbox banks are ahead of the time now.
ALTER TABLE apps ADD COLUMN sandbox_offset_ms INTEGER NOT NULL DEFAULT 0;

-- The transaction change feed. Each account numbers its changes (change_seq is the last one);
-- a change names its record by (date, id), the key of posted records, and carries the record
-- itself only while it is pending (posted records never change).
ALTER TABLE accounts ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
-- The moment of the newest bank data applied: a fetch of an earlier moment, saved late, changes
-- no records.
ALTER TABLE accounts ADD COLUMN data_as_of INTEGER NOT NULL DEFAULT 0;
CREATE TABLE transaction_changes (
    account_id          BLOB NOT NULL,
    seq                 INTEGER NOT NULL,
    change              INTEGER NOT NULL,  -- 0 added, 1 modified, 2 removed
    date                INTEGER NOT NULL,
    transaction_id      BLOB NOT NULL,
    pending             TEXT,              -- the pending record as JSON, else NULL
    PRIMARY KEY (account_id, seq)
) WITHOUT ROWID;

-- Records the bank has authorised but not posted; Mono's endpoints never read them.
CREATE TABLE pending_transactions (
    account_id          BLOB NOT NULL,
    id                  BLOB NOT NULL,
    date                INTEGER NOT NULL,
    narration           TEXT NOT NULL,
    amount              INTEGER NOT NULL,
    kind                INTEGER NOT NULL,
    currency            TEXT NOT NULL,
    fingerprint         TEXT NOT NULL,
    PRIMARY KEY (account_id, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX pending_transactions_fingerprint ON pending_transactions (account_id, fingerprint);

-- Records stored before the feed existed are its first changes, in the order the feed would
-- have added them.
INSERT INTO transaction_changes (account_id, seq, change, date, transaction_id)
    SELECT account_id, ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY date, id), 0, date, id
    FROM transactions;
UPDATE accounts SET change_seq = (SELECT COUNT(*) FROM transactions WHERE transactions.account_id = unhex(accounts.id));
