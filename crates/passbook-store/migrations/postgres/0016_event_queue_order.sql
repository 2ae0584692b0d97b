-- The due index carries the whole of the claim's order within an app (`next_attempt_at`, then
-- `created_at`), so that a claim reads an app's first due events from it and stops, whatever the
-- planner believes of the table. With `next_attempt_at` alone, a PostgreSQL planner whose
-- statistics were taken while the outbox was nearly empty read every due event and sorted them,
-- on every claim: a drain of 6,000 queued events slowed to about 700 deliveries a second.
DROP INDEX events_due;
CREATE INDEX events_due ON events (app_id, next_attempt_at, created_at) WHERE status = 'pending' AND held = 0;
