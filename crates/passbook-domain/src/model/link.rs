use serde::{Deserialize, Serialize};

use super::{AuthMethod, FormField};
use crate::Timestamp;

/// Where the end user is in the hosted link flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkStep {
    ChooseInstitution,
    ChooseAuthMethod,
    Login,
    Challenge,
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
    pub id: String,
    pub mode: LinkMode,
    pub app_id: String,
    pub customer_id: String,
    pub reference: Option<String>,
    pub redirect_url: Option<String>,
    pub step: LinkStep,
    pub flow: LinkFlow,
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

/// The parts of a link session that change as the user moves through it. Stored encrypted:
/// it holds the connector's session with the bank.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LinkFlow {
    pub institution_id: Option<String>,
    pub auth_method: Option<AuthMethod>,
    /// Set when the app chose the institution in the initiate call.
    #[serde(default)]
    pub institution_preselected: bool,
    pub connector_state: Option<String>,
    pub challenge: Option<Challenge>,
    #[serde(default)]
    pub discovered: Vec<DiscoveredAccount>,
    /// The last error to show the user on the current step.
    pub error: Option<String>,
    pub failure_reason: Option<String>,
    #[serde(default)]
    pub linked_account_ids: Vec<String>,
    /// The user agreed to share their data (the intro step).
    #[serde(default)]
    pub consented: bool,
    /// Widget mode: messages for the parent window not yet shown to it.
    #[serde(default)]
    pub widget_events: Vec<WidgetEvent>,
    /// Widget mode: where the parent window lives (its origin), for `postMessage`.
    pub widget_origin: Option<String>,
    /// Widget mode: the code the parent exchanges for the account id (kept until the page shows it).
    pub auth_code: Option<String>,
    /// A re-authorisation: the account whose login is renewed.
    pub reauth_account_id: Option<String>,
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
