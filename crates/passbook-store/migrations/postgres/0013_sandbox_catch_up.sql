-- A sandbox clock move commits at once; the refreshes of the days it crossed then run step by
-- step from `sandbox_catch_up_at` (the next refresh's sandbox time) to `sandbox_catch_up_until`,
-- each step recorded when done, so a move cut short (a timeout, a crash) is finished rather
-- than left half-done. `sandbox_catch_up_touched` is when a process last made progress: a
-- worker takes over a catch-up nobody has touched for a minute.
ALTER TABLE apps ADD COLUMN sandbox_catch_up_at BIGINT;
ALTER TABLE apps ADD COLUMN sandbox_catch_up_until BIGINT;
ALTER TABLE apps ADD COLUMN sandbox_catch_up_touched BIGINT;
