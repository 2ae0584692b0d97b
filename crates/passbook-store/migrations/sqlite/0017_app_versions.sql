-- Every change of an app row moves its version on, so that a webhook worker can keep the apps it
-- delivers for and learn from each claim (which returns the version of each event's app) whether
-- the app it kept is still the app. A trigger, so that no write path can forget; the trigger's
-- own update does not fire it again (SQLite's recursive triggers are off, and its condition no
-- longer holds).
ALTER TABLE apps ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER apps_version AFTER UPDATE ON apps
    FOR EACH ROW WHEN NEW.version = OLD.version
BEGIN
    UPDATE apps SET version = OLD.version + 1 WHERE id = NEW.id;
END;
