use serde::{Deserialize, Serialize};

use super::{AccountId, AppId, CustomerId, SessionId};
use super::{AuthMethod, FormField};
use crate::Timestamp;

/// Where the end user is in the hosted link flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkStep {
    ChooseInstitution,
    ChooseAuthMethod,
    Login,
    Challenge,
    UploadStatement,
    ReviewStatement,
    Consent,
    AwaitingConsent,
    SelectAccounts,
    Linked,
    Failed,
}

impl LinkStep {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ChooseInstitution => "choose_institution",
            Self::ChooseAuthMethod => "choose_auth_method",
            Self::Login => "login",
            Self::Challenge => "challenge",
            Self::UploadStatement => "upload_statement",
            Self::ReviewStatement => "review_statement",
            Self::Consent => "consent",
            Self::AwaitingConsent => "awaiting_consent",
            Self::SelectAccounts => "select_accounts",
            Self::Linked => "linked",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::ChooseInstitution,
            Self::ChooseAuthMethod,
            Self::Login,
            Self::Challenge,
            Self::UploadStatement,
            Self::ReviewStatement,
            Self::Consent,
            Self::AwaitingConsent,
            Self::SelectAccounts,
            Self::Linked,
            Self::Failed,
        ]
        .into_iter()
        .find(|step| step.as_str() == s)
    }

    pub fn is_final(self) -> bool {
        matches!(self, Self::Linked | Self::Failed)
    }
}

/// What a link counts and caps: logins, and answers to the bank's questions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptKind {
    Login,
    Challenge,
}

/// How the end user reached the flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkMode {
    /// A `mono_url` from `POST /v2/accounts/initiate`, opened as a page; ends with a redirect.
    Hosted,
    /// The Connect widget in an iframe; talks to the parent window and ends with a code.
    Widget,
    /// The Partners API (`/v2/connect/*`): no pages; ends with a code.
    Api,
}

impl LinkMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hosted => "hosted",
            Self::Widget => "widget",
            Self::Api => "api",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Hosted, Self::Widget, Self::Api].into_iter().find(|m| m.as_str() == s)
    }
}

/// One link: created by `POST /v2/accounts/initiate` (or by opening the widget), walked through
/// by the end user.
#[derive(Debug, Clone)]
pub struct LinkSession {
    /// SHA-256 of the token in the link URL; the token itself is never stored.
    pub id: SessionId,
    pub mode: LinkMode,
    pub app_id: AppId,
    /// `None` while the customer is only named (see [`LinkContext::named_customer`]).
    pub customer_id: Option<CustomerId>,
    pub reference: Option<String>,
    pub redirect_url: Option<String>,
    pub context: LinkContext,
    pub state: LinkState,
    /// Logins tried (counted before the bank is asked; see [`AttemptKind`]).
    pub login_attempts: u32,
    /// One-time codes and security answers tried.
    pub challenge_attempts: u32,
    /// Bumped by every save; a save over an older version is refused, so two requests of one
    /// link never overwrite each other's work.
    pub version: i64,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub completed_at: Option<Timestamp>,
}

impl LinkSession {
    pub fn step(&self) -> LinkStep {
        self.state.step()
    }

    /// The step as the console's timeline names it: a link the user has not yet agreed to is at
    /// the `intro`.
    pub fn timeline_step(&self) -> &'static str {
        if !self.context.consented && !self.state.is_final() { "intro" } else { self.step().as_str() }
    }
}

/// What holds for the whole link, whatever its step. Set when the link is created, except the
/// consent the user gives on the intro page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkContext {
    /// The user agreed to share their data (the intro page).
    pub consented: bool,
    /// Widget mode: where the parent window lives (its origin), for `postMessage`.
    pub widget_origin: Option<String>,
    /// A re-authorisation: the account whose login is renewed.
    pub reauth_account_id: Option<AccountId>,
    /// A widget opened with a public key names its customer by name and e-mail; the customer is
    /// made (or found by e-mail) only when the flow needs one, so that opening the widget
    /// writes no customer and tells nobody whether the e-mail is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub named_customer: Option<NamedCustomer>,
}

/// A customer as a widget names it, before it exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedCustomer {
    pub name: String,
    pub email: String,
}

/// Where the link stands, with exactly the data its step needs. Stored encrypted: a login in
/// progress holds the connector's session with the bank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum LinkState {
    ChooseInstitution,
    /// The bank has two ways in and the user picks one.
    ChooseAuthMethod {
        institution_id: String,
    },
    Login {
        institution_id: String,
        auth_method: AuthMethod,
        /// Why the last try did not get through, for the user.
        error: Option<String>,
    },
    /// The bank asked a question (a one-time code, a security question).
    Challenge {
        institution_id: String,
        auth_method: AuthMethod,
        /// The connector's handle on the login in progress.
        connector_state: String,
        challenge: Challenge,
        error: Option<String>,
    },
    /// The file way in: the user uploads a statement.
    UploadStatement {
        institution_id: String,
        error: Option<String>,
        /// The last file was protected by a password: ask for it.
        password_needed: bool,
    },
    /// A statement was read: the user checks what was read and confirms.
    ReviewStatement {
        institution_id: String,
        accounts: Vec<StatementPreview>,
        #[serde(default)]
        report: crate::statement_file::ReadReport,
    },
    /// Open banking: the user is about to go to the bank to approve access.
    Consent {
        institution_id: String,
        error: Option<String>,
    },
    /// The user is at the bank; its answer comes back with `nonce` as its `state`.
    AwaitingConsent {
        institution_id: String,
        consent_id: String,
        nonce: String,
        bank_url: String,
    },
    /// Logged in (or a statement read) with several accounts: the user picks those to link.
    SelectAccounts {
        institution_id: String,
        auth_method: AuthMethod,
        accounts: Vec<DiscoveredAccount>,
        error: Option<String>,
    },
    Linked {
        institution_id: String,
        account_ids: Vec<AccountId>,
        /// Widget and Partners API: the code the app exchanges for the account id.
        auth_code: Option<String>,
    },
    Failed {
        reason: FailureReason,
    },
}

impl LinkState {
    /// What the user was last told at this step (a bank's refusal), or why the link failed.
    pub fn note(&self) -> Option<String> {
        match self {
            Self::Login { error, .. }
            | Self::Challenge { error, .. }
            | Self::UploadStatement { error, .. }
            | Self::Consent { error, .. }
            | Self::SelectAccounts { error, .. } => error.clone(),
            Self::Failed { reason } => Some(reason.as_str().to_string()),
            _ => None,
        }
    }

    pub fn step(&self) -> LinkStep {
        match self {
            Self::ChooseInstitution => LinkStep::ChooseInstitution,
            Self::ChooseAuthMethod { .. } => LinkStep::ChooseAuthMethod,
            Self::Login { .. } => LinkStep::Login,
            Self::Challenge { .. } => LinkStep::Challenge,
            Self::UploadStatement { .. } => LinkStep::UploadStatement,
            Self::ReviewStatement { .. } => LinkStep::ReviewStatement,
            Self::Consent { .. } => LinkStep::Consent,
            Self::AwaitingConsent { .. } => LinkStep::AwaitingConsent,
            Self::SelectAccounts { .. } => LinkStep::SelectAccounts,
            Self::Linked { .. } => LinkStep::Linked,
            Self::Failed { .. } => LinkStep::Failed,
        }
    }

    pub fn is_final(&self) -> bool {
        self.step().is_final()
    }

    pub fn institution_id(&self) -> Option<&str> {
        match self {
            Self::ChooseInstitution | Self::Failed { .. } => None,
            Self::ChooseAuthMethod { institution_id }
            | Self::Login { institution_id, .. }
            | Self::Challenge { institution_id, .. }
            | Self::UploadStatement { institution_id, .. }
            | Self::ReviewStatement { institution_id, .. }
            | Self::Consent { institution_id, .. }
            | Self::AwaitingConsent { institution_id, .. }
            | Self::SelectAccounts { institution_id, .. }
            | Self::Linked { institution_id, .. } => Some(institution_id),
        }
    }

    /// The way in the user chose (or the only one the bank has).
    pub fn auth_method(&self) -> Option<AuthMethod> {
        match self {
            Self::Login { auth_method, .. }
            | Self::Challenge { auth_method, .. }
            | Self::SelectAccounts { auth_method, .. } => Some(*auth_method),
            Self::UploadStatement { .. } | Self::ReviewStatement { .. } => Some(AuthMethod::StatementUpload),
            Self::Consent { .. } | Self::AwaitingConsent { .. } => Some(AuthMethod::OpenBanking),
            _ => None,
        }
    }

    /// What went wrong with the user's last try on this step.
    pub fn error(&self) -> Option<&str> {
        match self {
            Self::Login { error, .. }
            | Self::Challenge { error, .. }
            | Self::SelectAccounts { error, .. }
            | Self::UploadStatement { error, .. }
            | Self::Consent { error, .. } => error.as_deref(),
            _ => None,
        }
    }
}

/// Why a link ended without an account: the `reason` of the redirect to the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureReason {
    /// The user closed the widget or pressed cancel.
    UserCancelled,
    /// Every login or answer the link allows was wrong.
    TooManyAttempts,
}

impl FailureReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserCancelled => "user_cancelled",
            Self::TooManyAttempts => "too_many_attempts",
        }
    }

    /// Reasons written by earlier versions; anything unknown reads as cancelled.
    pub fn parse_lenient(s: &str) -> Self {
        if s == Self::TooManyAttempts.as_str() { Self::TooManyAttempts } else { Self::UserCancelled }
    }
}

/// A `postMessage` for the widget's parent window: `{type, data}` as `@mono.co/connect.js`
/// expects (contract §4.3). `data` gets `reference` and `timestamp` when it is sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WidgetEvent {
    #[serde(rename = "type")]
    pub kind: String,
    pub data: serde_json::Value,
}

/// A question the bank asks during login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    pub kind: ChallengeKind,
    pub title: String,
    pub fields: Vec<FormField>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChallengeKind {
    Otp,
    SecurityQuestion,
}

/// An account the bank showed after login, before it is linked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveredAccount {
    /// The connector's handle for this account (opaque; kept encrypted).
    pub connector_ref: String,
    pub name: String,
    pub account_number: String,
    pub kind: String,
    pub currency: String,
    pub balance: Option<i64>,
}

impl DiscoveredAccount {
    /// How the account selection names this account to the browser: a digest of the handle, so
    /// a handle that carries a secret (a SimpleFIN access URL) never reaches the page.
    pub fn choice(&self) -> String {
        use sha2::{Digest, Sha256};
        hex::encode(&Sha256::digest(self.connector_ref.as_bytes())[..12])
    }
}

/// What was read from one account of an uploaded statement, for the user to check before
/// linking it. The rows themselves stay in the stored import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementPreview {
    /// `statement:{import id}:{account index}`.
    pub connector_ref: String,
    pub format: crate::statement_file::FileFormat,
    pub account_number: String,
    /// False when the file states no account number (Passbook made one up).
    pub number_stated: bool,
    pub name: String,
    pub currency: String,
    pub first_day: Option<Timestamp>,
    pub last_day: Option<Timestamp>,
    pub transactions: usize,
    pub opening: Option<i64>,
    pub closing: Option<i64>,
    pub reconciliation: crate::statement_file::ReconciliationStatus,
}

impl StatementPreview {
    /// The account as the link's account choice shows it.
    pub fn discovered(&self) -> DiscoveredAccount {
        DiscoveredAccount {
            connector_ref: self.connector_ref.clone(),
            name: self.name.clone(),
            account_number: self.account_number.clone(),
            kind: "SAVINGS_ACCOUNT".into(),
            currency: self.currency.clone(),
            balance: self.closing,
        }
    }
}
