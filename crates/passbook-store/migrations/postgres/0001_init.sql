-- Passbook schema, PostgreSQL flavour (keep in step with migrations/sqlite). Times are Unix milliseconds (BIGINT); columns ending in
-- _sealed hold XChaCha20-Poly1305 ciphertext (see passbook_domain::crypto).

CREATE TABLE apps (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    secret_key_hash     TEXT NOT NULL UNIQUE,
    secret_key_hint     TEXT NOT NULL,
    public_key          TEXT NOT NULL UNIQUE,
    webhook_url         TEXT,
    webhook_secret_sealed BYTEA NOT NULL,
    -- During a secret rotation the previous secret keeps signing until it expires.
    previous_webhook_secret_sealed BYTEA,
    previous_webhook_secret_expires_at BIGINT,
    refresh_interval_hours BIGINT NOT NULL DEFAULT 24,
    created_at          BIGINT NOT NULL
);

CREATE TABLE customers (
    id                  TEXT PRIMARY KEY,
    app_id              TEXT NOT NULL REFERENCES apps(id),
    email_index         TEXT NOT NULL,
    name_sealed         BYTEA NOT NULL,
    email_sealed        BYTEA NOT NULL,
    profile_sealed      BYTEA NOT NULL,
    created_at          BIGINT NOT NULL,
    UNIQUE (app_id, email_index)
);

CREATE TABLE link_sessions (
    id                  TEXT PRIMARY KEY,
    mode                TEXT NOT NULL,
    app_id              TEXT NOT NULL REFERENCES apps(id),
    customer_id         TEXT NOT NULL REFERENCES customers(id),
    reference           TEXT,
    redirect_url        TEXT,
    step                TEXT NOT NULL,
    flow_sealed         BYTEA NOT NULL,
    login_attempts      BIGINT NOT NULL DEFAULT 0,
    created_at          BIGINT NOT NULL,
    expires_at          BIGINT NOT NULL,
    completed_at        BIGINT
);
-- A hosted link's reference is unique within the app; the widget may reuse its reference.
CREATE UNIQUE INDEX link_sessions_app_reference ON link_sessions (app_id, reference)
    WHERE reference IS NOT NULL AND mode = 'hosted';

-- Codes the widget hands to the app, exchanged once for the account id.
CREATE TABLE auth_codes (
    code_hash           TEXT PRIMARY KEY,
    app_id              TEXT NOT NULL REFERENCES apps(id),
    account_id          TEXT NOT NULL,
    created_at          BIGINT NOT NULL,
    expires_at          BIGINT NOT NULL,
    used_at             BIGINT
);

CREATE TABLE accounts (
    id                  TEXT PRIMARY KEY,
    app_id              TEXT NOT NULL REFERENCES apps(id),
    customer_id         TEXT NOT NULL REFERENCES customers(id),
    institution_id      TEXT NOT NULL,
    auth_method         TEXT NOT NULL,
    connector_ref_sealed BYTEA NOT NULL,
    name_sealed         BYTEA,
    account_number      TEXT NOT NULL,
    currency            TEXT NOT NULL,
    kind                TEXT,
    bvn_sealed          BYTEA,
    balance             BIGINT,
    data_status         TEXT NOT NULL,
    retrieved_data      TEXT NOT NULL DEFAULT '',
    reference           TEXT,
    transaction_count   BIGINT NOT NULL DEFAULT 0,
    authorised_at       BIGINT NOT NULL,
    needs_reauth        BIGINT NOT NULL DEFAULT 0,
    next_refresh_at     BIGINT NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    UNIQUE (app_id, customer_id, institution_id, account_number)
);
CREATE INDEX accounts_refresh_due ON accounts (next_refresh_at) WHERE needs_reauth = 0;
CREATE INDEX accounts_app_created ON accounts (app_id, created_at DESC, id DESC);

CREATE TABLE identities (
    account_id          TEXT PRIMARY KEY REFERENCES accounts(id),
    identity_sealed     BYTEA NOT NULL,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);

CREATE TABLE transactions (
    id                  TEXT PRIMARY KEY,
    account_id          TEXT NOT NULL REFERENCES accounts(id),
    date                BIGINT NOT NULL,
    narration           TEXT NOT NULL,
    amount              BIGINT NOT NULL,
    kind                TEXT NOT NULL,
    balance             BIGINT,
    category            TEXT NOT NULL,
    currency            TEXT NOT NULL,
    fingerprint         TEXT NOT NULL,
    UNIQUE (account_id, fingerprint)
);
-- Every transactions page is a range scan of this index.
CREATE INDEX transactions_account_date ON transactions (account_id, date DESC, id DESC);
CREATE INDEX transactions_account_kind_date ON transactions (account_id, kind, date DESC, id DESC);

-- Background work, claimed with leases.
CREATE TABLE jobs (
    id                  TEXT PRIMARY KEY,
    kind                TEXT NOT NULL,
    subject             TEXT NOT NULL,
    run_at              BIGINT NOT NULL,
    attempts            BIGINT NOT NULL DEFAULT 0,
    locked_until        BIGINT,
    last_error          TEXT,
    done_at             BIGINT,
    failed_at           BIGINT,
    -- What the job found (JSON), for the jobs endpoint.
    outcome             TEXT,
    created_at          BIGINT NOT NULL
);
CREATE INDEX jobs_subject ON jobs (subject, created_at);
CREATE INDEX jobs_due ON jobs (run_at) WHERE done_at IS NULL AND failed_at IS NULL;

-- The webhook outbox: written in the same transaction as the change each event reports.
CREATE TABLE events (
    id                  TEXT PRIMARY KEY,
    app_id              TEXT NOT NULL REFERENCES apps(id),
    account_id          TEXT,
    sequence            BIGINT NOT NULL,
    event               TEXT NOT NULL,
    payload_sealed      BYTEA NOT NULL,
    status              TEXT NOT NULL DEFAULT 'pending',
    attempts            BIGINT NOT NULL DEFAULT 0,
    next_attempt_at     BIGINT NOT NULL,
    locked_until        BIGINT,
    last_error          TEXT,
    created_at          BIGINT NOT NULL,
    delivered_at        BIGINT
);
CREATE INDEX events_pending ON events (app_id, next_attempt_at) WHERE status = 'pending';
CREATE INDEX events_in_flight ON events (app_id, locked_until) WHERE status = 'pending' AND locked_until IS NOT NULL;
CREATE INDEX events_account_sequence ON events (app_id, account_id, sequence);
CREATE INDEX events_app_created ON events (app_id, created_at DESC, id DESC);

-- One row per delivery attempt, for the events API.
CREATE TABLE delivery_attempts (
    id                  TEXT PRIMARY KEY,
    event_id            TEXT NOT NULL REFERENCES events(id),
    attempted_at        BIGINT NOT NULL,
    status_code         BIGINT,
    latency_ms          BIGINT NOT NULL,
    error               TEXT,
    next_attempt_at     BIGINT
);
CREATE INDEX delivery_attempts_event ON delivery_attempts (event_id, attempted_at);

-- What the operator keeps after data is deleted: who asked for what, and when.
CREATE TABLE audit_log (
    app_id              TEXT NOT NULL,
    action              TEXT NOT NULL,
    subject             TEXT NOT NULL,
    at                  BIGINT NOT NULL
);

-- PDF statements built in the background; the file holds personal data and is sealed.
CREATE TABLE statements (
    id                  TEXT PRIMARY KEY,
    app_id              TEXT NOT NULL REFERENCES apps(id),
    account_id          TEXT NOT NULL,
    months              BIGINT NOT NULL,
    status              TEXT NOT NULL,
    pdf_sealed          BYTEA,
    created_at          BIGINT NOT NULL,
    built_at            BIGINT
);

-- Income reports computed for `GET /v2/accounts/{id}/income`; sealed (they describe a person's pay).
CREATE TABLE income_records (
    id                  TEXT PRIMARY KEY,
    app_id              TEXT NOT NULL REFERENCES apps(id),
    account_id          TEXT NOT NULL,
    record_sealed       BYTEA NOT NULL,
    created_at          BIGINT NOT NULL
);
CREATE INDEX income_records_account ON income_records (account_id, created_at DESC);
