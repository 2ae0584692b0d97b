-- Uploaded statements: what was read from each file (sealed: it is personal data), its summary
-- (each account's period and reconciliation, read when an account is shown), and the file itself
-- only when the operator keeps uploads (all sealed). Accounts linked from a statement
-- name their import in their connector reference.
CREATE TABLE statement_imports (
    id                  TEXT PRIMARY KEY,
    app_id              TEXT NOT NULL,
    file_sealed         BYTEA NOT NULL,
    summary_sealed      BYTEA NOT NULL,
    original_sealed     BYTEA,
    created_at          BIGINT NOT NULL
);
CREATE INDEX statement_imports_app ON statement_imports (app_id, created_at);
