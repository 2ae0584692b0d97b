-- Every change of an app row moves its version on, so that a webhook worker can keep the apps it
-- delivers for and learn from each claim (which returns the version of each event's app) whether
-- the app it kept is still the app: re-reading it every claim was a quarter of a delivery turn
-- on PostgreSQL. A trigger, so that no write path can forget.
ALTER TABLE apps ADD COLUMN version BIGINT NOT NULL DEFAULT 0;

CREATE FUNCTION passbook_app_next_version() RETURNS trigger AS $$
BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER apps_version BEFORE UPDATE ON apps
    FOR EACH ROW EXECUTE FUNCTION passbook_app_next_version();
