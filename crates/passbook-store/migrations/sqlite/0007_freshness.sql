-- Freshness: when an account's data was last fetched successfully, and when and why the last
-- attempt failed (a short code: bank_unavailable, login_refused, reauthorisation_required,
-- fetch_failed, retries_exhausted, no_connector, statement_unreadable). Accounts that already have data count
-- as fetched when they were last updated.
ALTER TABLE accounts ADD COLUMN last_refreshed_at INTEGER;
ALTER TABLE accounts ADD COLUMN last_failed_at INTEGER;
ALTER TABLE accounts ADD COLUMN last_failure TEXT;
UPDATE accounts SET last_refreshed_at = updated_at WHERE retrieved_data <> '';
