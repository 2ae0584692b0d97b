-- Which worker holds an event's lease. A worker may lease an app's next events ahead of its
-- delivery slots (so that a slot freed need not wait for the database), and then sends at most
-- the app's limit of them at once itself; so that the limit still holds over all workers, a
-- claim takes nothing of an app whose live leases are another worker's.
ALTER TABLE events ADD COLUMN locked_by INTEGER;
