-- What a new upload is compared with: the file's SHA-256 and the customer it was uploaded for
-- (the same file for another customer is a statement reused), and accounts by number (the same
-- account under another customer, or an earlier statement of it whose rows disagree).
ALTER TABLE statement_imports ADD COLUMN file_sha256 TEXT;
ALTER TABLE statement_imports ADD COLUMN customer_id TEXT;
CREATE INDEX statement_imports_file ON statement_imports (app_id, file_sha256);
CREATE INDEX accounts_number ON accounts (app_id, account_number);

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
