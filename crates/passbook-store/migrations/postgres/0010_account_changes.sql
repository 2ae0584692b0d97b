-- Every change of an account row is announced to every Passbook process, which then forgets the
-- version it kept of that account (passbook-store/src/versions.rs). A trigger, so that no write
-- path can forget to announce; NOTIFY is sent at commit, and only if the transaction commits.
CREATE FUNCTION passbook_account_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('passbook_accounts', OLD.id);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER accounts_changed AFTER UPDATE OR DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION passbook_account_changed();
