//! What happened during a link, as the widget tells its parent window.
use serde_json::{Value, json};

use crate::connector::ConnectorError;
use crate::model::{AuthMethod, ChallengeKind, WidgetEvent};

/// Something the user did or the bank answered. Widget links turn each into a `postMessage`
/// (`mono.connect.*`, contract §4.3); hosted and Partners API links have nobody to tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkEvent {
    /// The institution and the way in are both known.
    InstitutionSelected {
        institution: InstitutionRef,
        auth_method: AuthMethod,
    },
    AuthMethodSwitched {
        previous: AuthMethod,
        method: AuthMethod,
    },
    LoginAttempted {
        institution: InstitutionRef,
        auth_method: AuthMethod,
    },
    MfaSubmitted {
        kind: ChallengeKind,
    },
    /// The bank (or the connector) refused; the user sees `message` on `page` (the step they
    /// were at, as `pageName` names it).
    ErrorOccurred {
        error_type: &'static str,
        message: String,
        page: &'static str,
    },
    AccountsSelected {
        count: usize,
    },
    AccountLinked {
        institution: InstitutionRef,
    },
    /// The user left, from the page named.
    Exited {
        page: &'static str,
    },
}

/// An institution as events name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstitutionRef {
    pub id: String,
    pub name: String,
}

impl LinkEvent {
    /// The message for the widget's parent window.
    pub fn widget_message(&self) -> WidgetEvent {
        let (kind, data) = match self {
            Self::InstitutionSelected { institution, auth_method } => (
                "mono.connect.institution_selected",
                json!({"institution": institution.json(), "authMethod": auth_method.as_str()}),
            ),
            Self::AuthMethodSwitched { previous, method } => (
                "mono.connect.auth_method_switched",
                json!({"prevAuthMethod": previous.as_str(), "authMethod": method.as_str()}),
            ),
            Self::LoginAttempted { institution, auth_method } => (
                "mono.connect.login_attempt",
                json!({"institution": institution.json(), "authMethod": auth_method.as_str()}),
            ),
            Self::MfaSubmitted { kind } => {
                let mfa_type = match kind {
                    ChallengeKind::Otp => "OTP",
                    ChallengeKind::SecurityQuestion => "SECURITY_QUESTION",
                };
                ("mono.connect.mfa_submitted", json!({"mfaType": mfa_type}))
            }
            Self::ErrorOccurred { error_type, message, page } => (
                "mono.connect.error_occured",
                json!({"errorType": error_type, "errorMessage": message, "pageName": page}),
            ),
            Self::AccountsSelected { count } => {
                ("mono.connect.account_selected", json!({"selectedAccountsCount": count}))
            }
            Self::AccountLinked { institution } => {
                ("mono.connect.account_linked", json!({"institution": institution.json()}))
            }
            Self::Exited { page } => ("mono.connect.on_exit", json!({"pageName": page})),
        };
        WidgetEvent { kind: kind.to_string(), data }
    }
}

impl InstitutionRef {
    fn json(&self) -> Value {
        json!({"id": self.id, "name": self.name})
    }
}

/// The widget's `errorType` for a refusal.
pub fn error_type(err: &ConnectorError) -> &'static str {
    match err {
        ConnectorError::InvalidCredentials | ConnectorError::Refused(_) => "INVALID_CREDENTIALS",
        ConnectorError::InvalidAnswer => "INVALID_MFA",
        ConnectorError::AccountLocked => "ACCOUNT_LOCKED",
        ConnectorError::InstitutionUnavailable | ConnectorError::QuotaExhausted { .. } => "INSTITUTION_UNAVAILABLE",
        ConnectorError::ReauthorisationRequired => "REAUTHORISATION_REQUIRED",
        ConnectorError::Transient(_) | ConnectorError::Internal(_) | ConnectorError::Unreadable(_) => "INTERNAL_ERROR",
    }
}

/// What the user reads about a refusal: the bank's reason, never a connector's internals.
pub fn user_message(err: &ConnectorError) -> String {
    match err {
        ConnectorError::Transient(_) | ConnectorError::Internal(_) | ConnectorError::Unreadable(_) => {
            "Something went wrong while talking to the bank. Try again in a moment.".into()
        }
        other => other.to_string(),
    }
}
