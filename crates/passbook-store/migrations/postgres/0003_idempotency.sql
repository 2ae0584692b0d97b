-- Idempotency-Key on POST requests (keep in step with migrations/sqlite). A row is the first
-- request with the key: its fingerprint, then its answer (sealed: answers hold personal data).
CREATE TABLE idempotency_keys (
    app_id              TEXT NOT NULL,
    idempotency_key     TEXT NOT NULL,
    request_hash        TEXT NOT NULL,
    -- NULL while the first request runs.
    status_code         BIGINT,
    content_type        TEXT,
    response_sealed     BYTEA,
    created_at          BIGINT NOT NULL,
    -- A request still running after this is taken for dead (its process crashed).
    locked_until        BIGINT NOT NULL,
    PRIMARY KEY (app_id, idempotency_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
