-- A widget opened with a public key names its customer by name and e-mail; the customer is made
-- (or found by e-mail) only when the flow needs one (a statement read, the link's completion),
-- so a session has no customer until then. The table is rebuilt the same way on both backends
-- (SQLite cannot drop a NOT NULL).
CREATE TABLE link_sessions_next (
    id                  TEXT PRIMARY KEY,
    mode                TEXT NOT NULL,
    app_id              TEXT NOT NULL REFERENCES apps(id),
    customer_id         TEXT REFERENCES customers(id),
    reference           TEXT,
    redirect_url        TEXT,
    step                TEXT NOT NULL,
    flow_sealed         BYTEA NOT NULL,
    login_attempts      BIGINT NOT NULL DEFAULT 0,
    created_at          BIGINT NOT NULL,
    expires_at          BIGINT NOT NULL,
    completed_at        BIGINT,
    version             BIGINT NOT NULL DEFAULT 0,
    challenge_attempts  BIGINT NOT NULL DEFAULT 0,
    institution_id      TEXT,
    failure_reason      TEXT,
    reached             BIGINT NOT NULL DEFAULT 0,
    last_step           TEXT
);
INSERT INTO link_sessions_next (id, mode, app_id, customer_id, reference, redirect_url, step, flow_sealed,
    login_attempts, created_at, expires_at, completed_at, version, challenge_attempts, institution_id,
    failure_reason, reached, last_step)
SELECT id, mode, app_id, customer_id, reference, redirect_url, step, flow_sealed, login_attempts, created_at,
    expires_at, completed_at, version, challenge_attempts, institution_id, failure_reason, reached, last_step
FROM link_sessions;
DROP TABLE link_sessions;
ALTER TABLE link_sessions_next RENAME TO link_sessions;
CREATE UNIQUE INDEX link_sessions_app_reference ON link_sessions (app_id, reference)
    WHERE reference IS NOT NULL AND mode = 'hosted';
CREATE INDEX link_sessions_created ON link_sessions (created_at, step, reached, last_step);
