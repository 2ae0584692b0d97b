-- Hardening for several workers and hostile clients (keep in step with migrations/sqlite).

-- Per-account webhook sequence numbers come from a counter row per (app, account); '' is the
-- app's own stream (events about no account). Taking the next number locks the row until the
-- transaction ends, so concurrent writers of one account get distinct numbers in commit order.
CREATE TABLE event_sequences (
    app_id              TEXT NOT NULL,
    account_key         TEXT NOT NULL,
    last                BIGINT NOT NULL,
    PRIMARY KEY (app_id, account_key)
);

-- Earlier versions could hand out one number twice under concurrency: renumber, then enforce.
UPDATE events SET sequence = r.n
FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY app_id, account_id ORDER BY sequence, created_at, id) AS n
      FROM events WHERE account_id IS NOT NULL) r
WHERE events.id = r.id AND events.sequence <> r.n;
UPDATE events SET sequence = r.n
FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY app_id ORDER BY created_at, id) AS n
      FROM events WHERE account_id IS NULL) r
WHERE events.id = r.id AND events.sequence <> r.n;
INSERT INTO event_sequences (app_id, account_key, last)
    SELECT app_id, COALESCE(account_id, ''), MAX(sequence) FROM events GROUP BY app_id, COALESCE(account_id, '');
DROP INDEX events_account_sequence;
CREATE UNIQUE INDEX events_account_sequence ON events (app_id, account_id, sequence);

-- A pending event is held while an earlier event of its account is pending; delivering (or
-- giving up on) the head releases the next one. The claim then needs no per-row ordering check.
ALTER TABLE events ADD COLUMN held BIGINT NOT NULL DEFAULT 0;
UPDATE events SET held = 1
WHERE status = 'pending' AND account_id IS NOT NULL
  AND EXISTS (SELECT 1 FROM events p WHERE p.app_id = events.app_id AND p.account_id = events.account_id
                                     AND p.status = 'pending' AND p.sequence < events.sequence);
DROP INDEX events_pending;
CREATE INDEX events_due ON events (app_id, next_attempt_at) WHERE status = 'pending' AND held = 0;
CREATE INDEX events_account_pending ON events (app_id, account_id, sequence) WHERE status = 'pending';

-- Jobs belong to an app, so that they are claimed fairly and one app's backlog is bounded.
ALTER TABLE jobs ADD COLUMN app_id TEXT NOT NULL DEFAULT '';
UPDATE jobs SET app_id = COALESCE((SELECT app_id FROM accounts WHERE accounts.id = jobs.subject),
                                  (SELECT app_id FROM statements WHERE statements.id = jobs.subject), '');
CREATE INDEX jobs_app_due ON jobs (app_id, run_at) WHERE done_at IS NULL AND failed_at IS NULL;
-- One pending job of a kind per subject: identical requests share it.
UPDATE jobs SET failed_at = created_at, last_error = 'superseded by an identical job'
WHERE done_at IS NULL AND failed_at IS NULL
  AND EXISTS (SELECT 1 FROM jobs j WHERE j.kind = jobs.kind AND j.subject = jobs.subject
                                     AND j.done_at IS NULL AND j.failed_at IS NULL AND j.id < jobs.id);
CREATE UNIQUE INDEX jobs_pending_once ON jobs (kind, subject) WHERE done_at IS NULL AND failed_at IS NULL;
-- One PDF being built per account and period: identical requests share it.
UPDATE statements SET status = 'FAILED'
WHERE status = 'BUILDING'
  AND EXISTS (SELECT 1 FROM statements s WHERE s.app_id = statements.app_id AND s.account_id = statements.account_id
                                           AND s.months = statements.months AND s.status = 'BUILDING' AND s.id < statements.id);
CREATE UNIQUE INDEX statements_building_once ON statements (app_id, account_id, months) WHERE status = 'BUILDING';

-- Link sessions are saved only over the version they were read at; attempts are counted
-- before the bank is asked, in one statement each.
ALTER TABLE link_sessions ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE link_sessions ADD COLUMN challenge_attempts BIGINT NOT NULL DEFAULT 0;

-- Widget messages for the parent window, queued by the actions that cause them and taken by the
-- page that shows them: a page load never rewrites the session, so it cannot undo an action.
CREATE TABLE widget_messages (
    session_id          TEXT NOT NULL,
    position            BIGINT NOT NULL,
    message_sealed      BYTEA NOT NULL,
    PRIMARY KEY (session_id, position)
);
