//! The shapes of text fields, as regular expressions for the OpenAPI document. The domain's
//! parsers are the judges; these say the same thing to generators and readers (schemathesis
//! checks that the two agree).

/// `page`: a whole number from 1 to 1,000,000,000, or nothing.
pub const PAGE: &str = r"^([1-9][0-9]{0,8}|1000000000)?$";
/// `limit` of transactions: 1 to 500, or nothing.
pub const TRANSACTIONS_LIMIT: &str = r"^([1-9][0-9]?|[1-4][0-9]{2}|500)?$";
/// `limit` of events: 1 to 200, or nothing.
pub const EVENTS_LIMIT: &str = r"^([1-9][0-9]?|1[0-9]{2}|200)?$";
/// A day as `DD-MM-YYYY` or `YYYY-MM-DD` (every day up to the 28th of each month; later days
/// are accepted where the month has them).
pub const DATE: &str =
    r"^((0[1-9]|1[0-9]|2[0-8])-(0[1-9]|1[0-2])-[0-9]{4}|[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8]))$";
/// A Bank Verification Number.
pub const BVN: &str = r"^[0-9]{11}$";
/// Ids of accounts, customers and institutions: 24 hexadecimal digits.
pub const OBJECT_ID: &str = r"^[0-9a-fA-F]{24}$";
/// Names, references and addresses: no control characters (blank is the same as absent).
pub const TEXT: &str = r"^[^\u0000-\u001f\u007f-\u009f]*$";
/// An e-mail address as Passbook accepts it.
pub const EMAIL: &str = r"^[^@\s\u0000-\u001f\u007f-\u009f]+@[^@.\s\u0000-\u001f\u007f-\u009f][^@\s\u0000-\u001f\u007f-\u009f]*\.[^@\s\u0000-\u001f\u007f-\u009f]*[^@.\s\u0000-\u001f\u007f-\u009f]$";
/// A phone number: 7 to 15 digits, with `+`, spaces, `-` and brackets between them.
pub const PHONE: &str = r"^(\s*|[+ ()-]*([0-9][+ ()-]*){7,15})$";
/// An instant as RFC 3339 (`2026-01-27T21:00:38.850Z`) or a day (`YYYY-MM-DD`, `DD-MM-YYYY`).
pub const INSTANT: &str = r"^(|[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])([Tt ][01][0-9]:[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?([Zz]|[+-][01][0-9]:[0-5][0-9]))?|(0[1-9]|1[0-9]|2[0-8])-(0[1-9]|1[0-2])-[0-9]{4})$";
/// How a user logs in (blank: any way).
pub const AUTH_METHOD: &str = r"^\s*(internet_banking|mobile_banking|statement_upload|open_banking)?\s*$";
/// A customer's type (blank keeps it).
pub const CUSTOMER_TYPE: &str = r"^\s*(individual|business)?\s*$";
/// An absolute http(s) URL whose host is a name (its last label starting with a letter) or an
/// IPv4 address. (`url` reads more than this, IPv6 hosts among them; they are accepted too.)
pub const HTTP_URL: &str = concat!(
    r"^\s*https?://",
    r"(([A-Za-z0-9-]+\.)*[A-Za-z][A-Za-z0-9-]*|((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9]))",
    r"(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?",
    r"([/?#][^\s\u0000-\u001f\u007f-\u009f]*)?\s*$"
);
/// A webhook URL, or blank to remove it.
pub const WEBHOOK_URL: &str = concat!(
    r"^(\s*|\s*https?://",
    r"(([A-Za-z0-9-]+\.)*[A-Za-z][A-Za-z0-9-]*|((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9]))",
    r"(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[0-9]{1,4}))?",
    r"([/?#][^\s\u0000-\u001f\u007f-\u009f]*)?\s*)$"
);
/// The webhooks the sandbox sends on demand.
pub const SANDBOX_WEBHOOK: &str = r"^(mono\.events\.account_(connected|updated|reauthorized|unlinked)|mono\.accounts\.jobs\.update|passbook\.events\.sync_updates_available)$";
