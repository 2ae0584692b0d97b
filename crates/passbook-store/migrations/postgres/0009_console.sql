-- The operator console: operators, their invitations and sessions, failed logins, the audit
-- log's actors, institution switches, and what the console's charts read.
CREATE TABLE operators (
    id                  TEXT PRIMARY KEY,
    email_index         TEXT NOT NULL UNIQUE,
    email_sealed        BYTEA NOT NULL,
    password_hash       TEXT NOT NULL,
    role                TEXT NOT NULL,
    created_at          BIGINT NOT NULL
);

-- One-time links that make an operator: the setup link (invited_by NULL) and invitations.
CREATE TABLE operator_invites (
    token_hash          TEXT PRIMARY KEY,
    role                TEXT NOT NULL,
    invited_by          TEXT,
    created_at          BIGINT NOT NULL,
    expires_at          BIGINT NOT NULL,
    used_at             BIGINT
);

-- Console sessions by the SHA-256 of the cookie's token, bound to the browser that logged in.
CREATE TABLE operator_sessions (
    token_hash          TEXT PRIMARY KEY,
    operator_id         TEXT NOT NULL REFERENCES operators(id) ON DELETE CASCADE,
    browser_hash        TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    expires_at          BIGINT NOT NULL
);
CREATE INDEX operator_sessions_operator ON operator_sessions (operator_id);

-- Console logins counted against the limits, by account (a hash of the e-mail) and by address:
-- each attempt is claimed before its password is checked and stays only if it failed.
CREATE TABLE login_failures (
    subject             TEXT NOT NULL,
    attempt             TEXT NOT NULL,
    at                  BIGINT NOT NULL
);
CREATE INDEX login_failures_subject ON login_failures (subject, at);
CREATE INDEX login_failures_attempt ON login_failures (attempt);

-- Who did it: 'api' for an app's own requests, 'operator:<id>' for the console and the CLI.
ALTER TABLE audit_log ADD COLUMN actor TEXT NOT NULL DEFAULT 'api';
ALTER TABLE audit_log ADD COLUMN detail TEXT NOT NULL DEFAULT '';
CREATE INDEX audit_log_at ON audit_log (at);

-- An operator's word on an institution's health, shown on the link page and /v3/institutions.
CREATE TABLE institution_overrides (
    institution_id      TEXT PRIMARY KEY,
    status              TEXT NOT NULL,
    updated_at          BIGINT NOT NULL
);

-- Secret-key rotation: the previous key keeps working until it expires.
ALTER TABLE apps ADD COLUMN previous_secret_key_hash TEXT;
ALTER TABLE apps ADD COLUMN previous_secret_key_expires_at BIGINT;
CREATE INDEX apps_previous_secret_key ON apps (previous_secret_key_hash);

-- What a link reached, for the funnel and each institution's health: kept on the session row as
-- it is saved (the steps reached as a bit set, the last step before failing), so the charts
-- read one row per link instead of its timeline.
ALTER TABLE link_sessions ADD COLUMN institution_id TEXT;
ALTER TABLE link_sessions ADD COLUMN failure_reason TEXT;
ALTER TABLE link_sessions ADD COLUMN reached BIGINT NOT NULL DEFAULT 0;
ALTER TABLE link_sessions ADD COLUMN last_step TEXT;
-- Covers the overview's one pass over a period's links.
CREATE INDEX link_sessions_created ON link_sessions (created_at, step, reached, last_step);
-- Each step a link reached and what the user was told there (never what they typed).
CREATE TABLE link_timeline (
    session_id          TEXT NOT NULL,
    position            BIGINT NOT NULL,
    at                  BIGINT NOT NULL,
    step                TEXT NOT NULL,
    note                TEXT,
    institution_id      TEXT,
    PRIMARY KEY (session_id, position)
);
-- The errors users were shown, by time, for each institution's login errors.
CREATE INDEX link_timeline_notes ON link_timeline (at) WHERE note IS NOT NULL;

-- When a job's latest attempt started, for fetch durations.
ALTER TABLE jobs ADD COLUMN started_at BIGINT;
CREATE INDEX jobs_done ON jobs (done_at) WHERE done_at IS NOT NULL;

-- The start of what the endpoint answered.
ALTER TABLE delivery_attempts ADD COLUMN response_excerpt TEXT;
CREATE INDEX delivery_attempts_at ON delivery_attempts (attempted_at);
