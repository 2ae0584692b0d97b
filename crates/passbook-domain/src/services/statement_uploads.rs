//! Accounts from the user's own statement file: reading the upload, keeping what was read, and
//! serving it as the account's data.
use sha2::{Digest, Sha256};

use super::Passbook;
use crate::connector::{FetchedData, FetchedTransaction};
use crate::integrity::Integrity;
use crate::linking::StatementUpload;
use crate::model::*;
use crate::statement_file::*;
use crate::{Error, Result, Timestamp, ids};

/// Where an account's data came from and how far it can be trusted: shown beside Mono's fields.
#[derive(Debug, Clone)]
pub struct AccountSource {
    pub format: FileFormat,
    pub imported_at: Timestamp,
    pub period: Option<(Timestamp, Timestamp)>,
    pub account_number_stated: bool,
    pub reconciliation: Reconciliation,
    pub rows_read: usize,
    /// How many lines of the file the reader passed over, and the first of them with why.
    pub lines_skipped: usize,
    pub skipped: Vec<SkippedLine>,
    /// Whether the file was changed after it was made, and the evidence.
    pub integrity: crate::integrity::Integrity,
}

impl Passbook {
    /// Reads an uploaded file (on the reader pool: parsing is CPU work) and keeps what was
    /// read; answers the accounts to review and the import report, or why the file could not be
    /// read. A file that states no currency is in the one the uploader names, else the chosen
    /// institution's country's, else it stays unknown (empty).
    pub(super) async fn read_statement(
        &self,
        app_id: &str,
        customer_id: &str,
        institution_id: &str,
        upload: StatementUpload,
    ) -> Result<std::result::Result<(Vec<StatementPreview>, ReadReport), ReadError>> {
        let fallback_currency = upload.currency.clone().or_else(|| {
            let institution = self.institutions.get(institution_id)?;
            (institution.id != crate::institutions::OTHER_BANK_ID).then(|| country_currency(&institution.country))?
        });
        let (reader, signer) = (self.statements.clone(), self.signer.clone());
        let keep = self.settings.keep_statement_files;
        let read = self
            .readers
            .read(app_id, move || {
                let read = reader.read(&upload.file, upload.file_name.as_deref(), upload.password.as_deref());
                read.map(|mut file| {
                    let evidence = std::mem::take(&mut file.evidence);
                    file.evidence = Integrity::of_file(evidence, &signer.check(&upload.file)).signals;
                    let sha256 = hex::encode(Sha256::digest(&upload.file));
                    (file, sha256, keep.then_some(upload.file))
                })
            })
            .await?;
        let (mut file, file_sha256, original) = match read {
            Ok(read) => read,
            Err(err) => return Ok(Err(err)),
        };
        let history = self.upload_history(app_id, customer_id, &file_sha256, &file).await?;
        file.evidence.extend(history);
        let now = self.clock.now();
        let import = StatementImport {
            id: ids::object_id(now),
            app_id: app_id.to_string(),
            file,
            original,
            created_at: now,
            file_sha256,
            customer_id: customer_id.to_string(),
        };
        self.store.insert_statement_import(&import).await?;
        Ok(Ok((previews(&import, fallback_currency.as_deref()), ReadReport::of(&import.file))))
    }

    /// The import and account index behind a statement account.
    async fn statement_account(&self, account: &Account) -> Result<Option<(StatementImport, usize)>> {
        let Some((import_id, index)) = parse_ref(&account.connector_ref) else { return Ok(None) };
        let import = self.store.statement_import(&account.app_id, import_id).await?;
        Ok(import.filter(|i| index < i.file.accounts.len()).map(|i| (i, index)))
    }

    /// A statement account's data, as a fetch would bring it, and its data status: AVAILABLE when
    /// the statement states its balance and its numbers reconcile, else PARTIAL.
    pub(super) async fn statement_data(&self, account: &Account) -> Result<Option<(FetchedData, DataStatus)>> {
        let Some((import, index)) = self.statement_account(account).await? else { return Ok(None) };
        let file = &import.file.accounts[index];
        let currency = file.currency.clone().unwrap_or_else(|| account.currency.clone());
        let balance = file.closing_balance();
        let reconciled = file.reconcile().status == ReconciliationStatus::Balanced;
        let status = if balance.is_some() && reconciled { DataStatus::Available } else { DataStatus::Partial };
        let data = FetchedData {
            balance,
            identity: file.holder.as_ref().map(|name| Identity {
                full_name: name.clone(),
                bvn: None,
                email: None,
                phone: None,
                gender: None,
                dob: None,
                address_line1: None,
                address_line2: None,
                state_of_origin: None,
                lga_of_origin: None,
                marital_status: None,
            }),
            transactions: Some(transactions(file, &currency)),
            pending: Vec::new(),
            account_type: file.kind.clone(),
            bvn: None,
            renewed_handle: None,
        };
        Ok(Some((data, status)))
    }

    /// Where a statement account's data came from (from the import's summary: the rows are not
    /// read); `None` for accounts linked otherwise.
    pub async fn account_source(&self, account: &Account) -> Result<Option<AccountSource>> {
        if account.auth_method != AuthMethod::StatementUpload {
            return Ok(None);
        }
        let Some((import_id, index)) = parse_ref(&account.connector_ref) else { return Ok(None) };
        let Some(mut summary) = self.store.statement_import_summary(&account.app_id, import_id).await? else {
            return Ok(None);
        };
        if index >= summary.accounts.len() {
            return Ok(None);
        }
        let this = summary.accounts.swap_remove(index);
        Ok(Some(AccountSource {
            format: summary.format,
            imported_at: summary.created_at,
            period: this.period,
            account_number_stated: this.account_number_stated,
            reconciliation: this.reconciliation,
            rows_read: this.rows_read,
            lines_skipped: summary.report.skipped_total,
            skipped: summary.report.skipped,
            integrity: summary.integrity,
        }))
    }
}

/// `statement:{import}:{index}`.
pub(super) fn parse_ref(connector_ref: &str) -> Option<(&str, usize)> {
    let rest = connector_ref.strip_prefix("statement:")?;
    let (import, index) = rest.rsplit_once(':')?;
    Some((import, index.parse().ok()?))
}

/// The currency an uploader names for a file that states none: an ISO 4217 code.
pub fn stated_currency(raw: Option<&str>) -> Result<Option<String>> {
    let Some(raw) = raw.map(str::trim).filter(|c| !c.is_empty()) else { return Ok(None) };
    if raw.len() != 3 || !raw.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(Error::invalid("currency", format!("currency must be an ISO 4217 code such as NGN, not '{raw}'")));
    }
    Ok(Some(raw.to_ascii_uppercase()))
}

/// The currency of a country's accounts (for a file that states none, at a bank of that country).
fn country_currency(country: &str) -> Option<String> {
    let code = match country.to_ascii_uppercase().as_str() {
        "NG" => "NGN",
        "GH" => "GHS",
        "KE" => "KES",
        "ZA" => "ZAR",
        "EG" => "EGP",
        "US" => "USD",
        "GB" => "GBP",
        "CA" => "CAD",
        "CH" => "CHF",
        "AT" | "BE" | "DE" | "EE" | "ES" | "FI" | "FR" | "GR" | "HR" | "IE" | "IT" | "LT" | "LU" | "LV" | "MT"
        | "NL" | "PT" | "SI" | "SK" | "CY" => "EUR",
        _ => return None,
    };
    Some(code.to_string())
}

/// What the review step shows of each account in the file; `currency` for accounts whose file
/// states none (else their currency stays unknown: empty).
pub(crate) fn previews(import: &StatementImport, currency: Option<&str>) -> Vec<StatementPreview> {
    import
        .file
        .accounts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let number = account_number(&import.file.accounts, i);
            StatementPreview {
                connector_ref: format!("statement:{}:{i}", import.id),
                format: import.file.format,
                name: a
                    .holder
                    .clone()
                    .unwrap_or_else(|| format!("Account ending {}", crate::linking::last_digits(&number))),
                account_number: number,
                number_stated: a.account_number.is_some(),
                currency: a.currency.clone().or_else(|| currency.map(str::to_string)).unwrap_or_default(),
                first_day: a.period.map(|p| p.0),
                last_day: a.period.map(|p| p.1),
                transactions: a.rows.len(),
                opening: a.opening.map(|b| b.amount),
                closing: a.closing_balance(),
                reconciliation: a.reconcile().status,
            }
        })
        .collect()
}

/// The number an account of the file is linked under. The number the file states; where two
/// accounts of one file state the same number (an OFX file with a checking and a savings account
/// under two bank ids), each is told apart by the bank id and type the file gives it. Where the
/// file states no number, ten digits derived from what it does state (holder, currency, bank,
/// type, place in the file): the same on every upload of the customer's statements, so a newer
/// statement renews the account (the account's source says the number was not stated).
fn account_number(accounts: &[FileAccount], index: usize) -> String {
    let account = &accounts[index];
    let Some(number) = &account.account_number else { return derived_number(account, index) };
    let shared = accounts.iter().filter(|a| a.account_number.as_ref() == Some(number)).count() > 1;
    if !shared {
        return number.clone();
    }
    [account.bank_id.as_deref(), account.kind.as_deref(), Some(number.as_str())]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
}

fn derived_number(account: &FileAccount, index: usize) -> String {
    let facts = serde_json::to_vec(&(&account.holder, &account.currency, &account.bank_id, &account.kind, index))
        .expect("facts serialise");
    let digest = Sha256::digest(&facts);
    let n = u64::from_be_bytes(digest[..8].try_into().expect("eight bytes")) % 10_000_000_000;
    format!("{n:010}")
}

/// The rows as transactions. A row is known by everything the bank states of it (date,
/// amount, narration, reference, running balance) and, among rows that state exactly the same,
/// by how many came before it: two different rows never share an identity (a reference is not
/// unique in every format: MT940 files repeat `NONREF` and batch references), and a newer
/// statement that overlaps an older one adds only the rows that are new.
pub(crate) fn transactions(file: &FileAccount, currency: &str) -> Vec<FetchedTransaction> {
    let mut seen: std::collections::HashMap<[u8; 32], u32> = std::collections::HashMap::new();
    file.rows
        .iter()
        .map(|row| {
            let stated = serde_json::to_vec(&(row.date.0, row.amount, &row.narration, &row.reference, row.balance))
                .expect("a row serialises");
            let digest: [u8; 32] = Sha256::digest(&stated).into();
            let n = seen.entry(digest).or_default();
            let fingerprint = format!("row:{}:{n}", hex::encode(&digest[..16]));
            *n += 1;
            FetchedTransaction {
                fingerprint,
                date: row.date,
                narration: row.narration.clone(),
                amount: row.amount.abs(),
                kind: if row.amount < 0 { TxKind::Debit } else { TxKind::Credit },
                balance: row.balance,
                currency: currency.to_string(),
            }
        })
        .collect()
}

/// An import without a browser (the API and the CLI): the file and whom it belongs to.
pub struct StatementImportRequest {
    /// The customer the accounts belong to (ignored when re-authorising an account).
    pub customer: Option<super::CustomerSpec>,
    /// The institution; by default "another bank".
    pub institution: Option<String>,
    /// An account of the app to renew with a newer statement.
    pub account: Option<String>,
    pub reference: Option<String>,
    pub upload: crate::linking::StatementUpload,
}

/// The accounts an import linked.
pub struct ImportedStatement {
    pub accounts: Vec<Account>,
    pub previews: Vec<StatementPreview>,
    pub report: ReadReport,
    pub integrity: Integrity,
}

impl Passbook {
    /// Links the accounts of a statement file as a user of the link page would (the same
    /// session steps, the same webhooks), without a browser.
    pub async fn import_statement(&self, app: &App, req: StatementImportRequest) -> Result<ImportedStatement> {
        use crate::linking::LinkAction;
        let link = match req.account.as_deref() {
            Some(account) => super::InitiateLink::reauth(Some(account), req.reference.clone(), None)?,
            None => {
                let institution =
                    req.institution.clone().unwrap_or_else(|| crate::institutions::OTHER_BANK_ID.to_string());
                let known = self.institutions.get(&institution).ok_or_else(|| {
                    Error::invalid(
                        "institution",
                        format!("institution '{institution}' is not a known institution; see GET /v3/institutions"),
                    )
                })?;
                super::InitiateLink {
                    customer: req.customer.clone().ok_or_else(|| {
                        Error::invalid("customer", "customer is required: {\"name\", \"email\"} or {\"id\"}")
                    })?,
                    reference: req.reference.clone(),
                    redirect_url: None,
                    institution: Some((known.id.clone(), Some(AuthMethod::StatementUpload))),
                    reauth_account: None,
                }
            }
        };
        let created = self.create_session(app, link, LinkMode::Api, None).await?;
        let token = created.token;
        let uploaded =
            self.advance(&token, created.session, LinkAction::UploadStatement(Ok(req.upload))).await?.session;
        let (previews, report) = match &uploaded.state {
            LinkState::ReviewStatement { accounts, report, .. } => (accounts.clone(), report.clone()),
            LinkState::UploadStatement { error, .. } => {
                return Err(Error::invalid(
                    "statement",
                    error.clone().unwrap_or_else(|| "The file could not be read".into()),
                ));
            }
            other => return Err(Error::Conflict(format!("The import stopped at step {}", other.step().as_str()))),
        };
        let mut session = self.advance(&token, uploaded, LinkAction::ConfirmStatement).await?.session;
        if let LinkState::SelectAccounts { accounts, .. } = &session.state {
            let all = accounts.iter().map(DiscoveredAccount::choice).collect();
            session = self.advance(&token, session, LinkAction::SelectAccounts(all)).await?.session;
        }
        let ids = match &session.state {
            LinkState::Linked { account_ids, .. } => account_ids.clone(),
            other => {
                let why = other
                    .error()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("it stopped at step {}", other.step().as_str()));
                return Err(Error::invalid("statement", format!("The statement could not be linked: {why}")));
            }
        };
        let mut accounts = Vec::with_capacity(ids.len());
        for id in ids {
            accounts.push(self.account(app, &AccountId(id)).await?);
        }
        let source = match accounts.first() {
            Some(account) => self.account_source(account).await?,
            None => None,
        };
        let integrity = source.map(|s| s.integrity).unwrap_or_default();
        Ok(ImportedStatement { accounts, previews, report, integrity })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(day: i64, amount: i64, narration: &str, reference: Option<&str>) -> FileRow {
        FileRow {
            date: Timestamp(day * 86_400_000),
            amount,
            narration: narration.into(),
            reference: reference.map(str::to_string),
            balance: None,
        }
    }

    /// Rows from a small alphabet of dates, amounts, narrations and references, so that many
    /// share a reference and a date, and some are identical.
    fn generated(seed: u64, n: usize) -> Vec<FileRow> {
        let mut x = seed;
        let mut next = move |m: u64| {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (x >> 33) % m
        };
        (0..n)
            .map(|_| {
                let reference = ["NONREF", "BATCH1", ""][next(3) as usize];
                row(next(3) as i64, next(4) as i64 * 100 - 150, ["fee", "transfer"][next(2) as usize], {
                    (!reference.is_empty()).then_some(reference)
                })
            })
            .collect()
    }

    #[test]
    fn no_two_rows_share_an_identity_and_a_reimport_matches_every_row() {
        for seed in 0..200 {
            let account = FileAccount { rows: generated(seed, 1 + seed as usize % 60), ..FileAccount::default() };
            let first = transactions(&account, "NGN");
            let ids: std::collections::HashSet<&str> = first.iter().map(|t| t.fingerprint.as_str()).collect();
            assert_eq!(ids.len(), account.rows.len(), "seed {seed}: every row read is kept");
            let again = transactions(&account, "NGN");
            assert!(again.iter().all(|t| ids.contains(t.fingerprint.as_str())), "seed {seed}: re-import adds none");
            // A later statement that repeats the days from the second on adds nothing.
            let later: Vec<FileRow> = account.rows.iter().filter(|r| r.date.0 >= 86_400_000).cloned().collect();
            let overlap = transactions(&FileAccount { rows: later, ..FileAccount::default() }, "NGN");
            assert!(overlap.iter().all(|t| ids.contains(t.fingerprint.as_str())), "seed {seed}: overlap adds none");
        }
    }

    #[test]
    fn rows_sharing_a_reference_and_a_date_stay_apart() {
        let account = FileAccount {
            rows: vec![row(1, -500, "a", Some("NONREF")), row(1, -700, "b", Some("NONREF"))],
            ..FileAccount::default()
        };
        let t = transactions(&account, "DKK");
        assert_ne!(t[0].fingerprint, t[1].fingerprint);
    }
}
