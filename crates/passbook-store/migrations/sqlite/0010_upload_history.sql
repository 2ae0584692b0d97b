-- What a new upload is compared with: the file's SHA-256 and the customer it was uploaded for
-- (the same file for another customer is a statement reused), and accounts by number (the same
-- account under another customer, or an earlier statement of it whose rows disagree).
ALTER TABLE statement_imports ADD COLUMN file_sha256 TEXT;
ALTER TABLE statement_imports ADD COLUMN customer_id TEXT;
CREATE INDEX statement_imports_file ON statement_imports (app_id, file_sha256);
CREATE INDEX accounts_number ON accounts (app_id, account_number);
