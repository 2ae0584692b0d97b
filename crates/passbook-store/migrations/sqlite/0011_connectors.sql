-- Requests an upstream allows per window (SimpleFIN: about 24 a day per access URL), counted
-- where every replica sees them. `budget_key` is a digest of the connection, never its secret.
CREATE TABLE request_budgets (
    budget_key      TEXT NOT NULL,
    window_start    INTEGER NOT NULL,
    used            INTEGER NOT NULL,
    PRIMARY KEY (budget_key, window_start)
);

-- Passbook served as a SimpleFIN server: a setup token per customer, claimed once for access
-- credentials. Only hashes of the token and of the access password are kept.
CREATE TABLE simplefin_access (
    id                  TEXT PRIMARY KEY,
    app_id              TEXT NOT NULL REFERENCES apps(id),
    customer_id         TEXT NOT NULL,
    claim_hash          TEXT NOT NULL UNIQUE,
    claim_expires_at    INTEGER NOT NULL,
    claimed_at          INTEGER,
    password_hash       TEXT,
    created_at          INTEGER NOT NULL,
    revoked_at          INTEGER
);
CREATE INDEX simplefin_access_customer ON simplefin_access (app_id, customer_id);

-- What connectors keep between calls (an upstream's account id announced by its webhook, a
-- flag it raised), sealed: every replica sees it.
CREATE TABLE connector_memory (
    memory_key      TEXT PRIMARY KEY,
    value_sealed    BLOB NOT NULL,
    updated_at      INTEGER NOT NULL
);
