-- Connectors an operator configured from the console or the CLI: each one's values (keys
-- among them) sealed as one JSON object. `version` changes with every save, so every process
-- sees that its connectors were built from older settings without opening them.
CREATE TABLE connector_settings (
    name            TEXT PRIMARY KEY,
    values_sealed   BYTEA NOT NULL,
    version         TEXT NOT NULL,
    updated_at      BIGINT NOT NULL
);
