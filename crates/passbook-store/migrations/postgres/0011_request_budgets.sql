-- Requests an upstream allows per window (SimpleFIN: about 24 a day per access URL), counted
-- where every replica sees them. `budget_key` is a digest of the connection, never its secret.
CREATE TABLE request_budgets (
    budget_key      TEXT NOT NULL,
    window_start    BIGINT NOT NULL,
    used            BIGINT NOT NULL,
    PRIMARY KEY (budget_key, window_start)
);
