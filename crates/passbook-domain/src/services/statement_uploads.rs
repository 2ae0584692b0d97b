//! Accounts from the user's own statement file: reading the upload, keeping what was read, and
//! serving it as the account's data.
use sha2::{Digest, Sha256};

use super::Linking;
use crate::integrity::Integrity;
use crate::linking::StatementUpload;
use crate::model::{
    Account, AccountId, App, AppId, AuthMethod, CustomerId, DiscoveredAccount, LinkMode, LinkSession, LinkState,
    StatementPreview,
};
use crate::statement_file::{FileAccount, FileFormat, ReadReport, Reconciliation, SkippedLine, StatementImport};
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

impl Linking<'_> {
    /// Reads an uploaded file (on the reader pool: parsing is CPU work) and keeps what was
    /// read; answers the accounts to review and the import report, or why the file could not be
    /// read. A file that states no currency is in the one the uploader names, else the chosen
    /// institution's country's, else it stays unknown (empty).
    pub(super) async fn read_statement(
        &self,
        app_id: &AppId,
        customer_id: &CustomerId,
        institution_id: &str,
        upload: StatementUpload,
    ) -> Result<crate::linking::FileRead> {
        let fallback_currency = upload.currency.clone().or_else(|| {
            let institution = self.passbook.institutions.get(institution_id)?;
            (institution.id != crate::institutions::OTHER_BANK_ID).then(|| country_currency(&institution.country))?
        });
        let (reader, signer) = (self.passbook.statements.clone(), self.passbook.signer.clone());
        let keep = self.passbook.settings.keep_statement_files;
        let read = self
            .passbook
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
        let now = self.passbook.now();
        let import = StatementImport {
            id: ids::object_id(now),
            app_id: app_id.to_string(),
            file,
            original,
            created_at: now,
            file_sha256,
            customer_id: customer_id.to_string(),
        };
        self.imports.insert_statement_import(&import).await?;
        Ok(Ok((previews(&import, fallback_currency.as_deref()), ReadReport::of(&import.file))))
    }

    /// Where a statement account's data came from (from the import's summary: the rows are not
    /// read); `None` for accounts linked otherwise.
    pub async fn account_source(&self, account: &Account) -> Result<Option<AccountSource>> {
        if account.auth_method != AuthMethod::StatementUpload {
            return Ok(None);
        }
        let Some((import_id, index)) = crate::statement_account::parse_handle(&account.connector_ref) else {
            return Ok(None);
        };
        let Some(mut summary) = self.imports.statement_import_summary(&account.app_id, &import_id).await? else {
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
                connector_ref: crate::statement_account::handle(&import.id, i),
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

impl Linking<'_> {
    /// Links the accounts of a statement file as a user of the link page would (the same
    /// session steps, the same webhooks), without a browser.
    pub async fn import_statement(&self, app: &App, req: StatementImportRequest) -> Result<ImportedStatement> {
        let link = self.import_link(&req)?;
        let created = self.create_session(app, link, LinkMode::Api, None).await?;
        let (ids, previews, report) = self.walk_import(&created.token, created.session, req.upload).await?;
        let mut accounts = Vec::with_capacity(ids.len());
        for id in ids {
            accounts.push(self.passbook.accounts().get(app, &id).await?);
        }
        let source = match accounts.first() {
            Some(account) => self.account_source(account).await?,
            None => None,
        };
        let integrity = source.map(|s| s.integrity).unwrap_or_default();
        Ok(ImportedStatement { accounts, previews, report, integrity })
    }

    /// The link an import starts: renewing the account it names, or a new one at its
    /// institution ("another bank" by default) for its customer.
    fn import_link(&self, req: &StatementImportRequest) -> Result<super::InitiateLink> {
        if let Some(account) = req.account.as_deref() {
            return super::InitiateLink::reauth(Some(account), req.reference.clone(), None);
        }
        let institution = req.institution.clone().unwrap_or_else(|| crate::institutions::OTHER_BANK_ID.to_string());
        let known = self.passbook.institutions.get(&institution).ok_or_else(|| {
            Error::invalid(
                "institution",
                format!("institution '{institution}' is not a known institution; see GET /v3/institutions"),
            )
        })?;
        Ok(super::InitiateLink {
            customer: req
                .customer
                .clone()
                .ok_or_else(|| Error::invalid("customer", "customer is required: {\"name\", \"email\"} or {\"id\"}"))?,
            reference: req.reference.clone(),
            redirect_url: None,
            institution: Some((known.id, Some(AuthMethod::StatementUpload))),
            reauth_account: None,
        })
    }

    /// Takes the session through the link page's steps (upload, confirm, choose every account):
    /// the linked account ids, with what the review step showed.
    async fn walk_import(
        &self,
        token: &str,
        session: LinkSession,
        upload: StatementUpload,
    ) -> Result<(Vec<AccountId>, Vec<StatementPreview>, ReadReport)> {
        use crate::linking::LinkAction;
        let uploaded = self.advance(token, session, LinkAction::UploadStatement(Ok(upload))).await?.session;
        let (previews, report) = match &uploaded.state {
            LinkState::ReviewStatement { accounts, report, .. } => (accounts.clone(), report.clone()),
            LinkState::UploadStatement { error, .. } => {
                let why = error.clone().unwrap_or_else(|| "The file could not be read".into());
                return Err(Error::invalid("statement", why));
            }
            other => return Err(Error::Conflict(format!("The import stopped at step {}", other.step().as_str()))),
        };
        let mut session = self.advance(token, uploaded, LinkAction::ConfirmStatement).await?.session;
        if let LinkState::SelectAccounts { accounts, .. } = &session.state {
            let all = accounts.iter().map(DiscoveredAccount::choice).collect();
            session = self.advance(token, session, LinkAction::SelectAccounts(all)).await?.session;
        }
        match &session.state {
            LinkState::Linked { account_ids, .. } => Ok((account_ids.clone(), previews, report)),
            other => {
                let why = other
                    .error()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("it stopped at step {}", other.step().as_str()));
                Err(Error::invalid("statement", format!("The statement could not be linked: {why}")))
            }
        }
    }
}
