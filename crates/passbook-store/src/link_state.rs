//! How a link's context and state are stored: sealed JSON, `{"v": 2, "context", "state"}`.
//! Sessions written by earlier versions (a step column beside a bag of optional fields) are read
//! into the same state, so links in progress during an upgrade complete.
use passbook_domain::model::{
    AuthMethod, Challenge, DiscoveredAccount, FailureReason, LinkContext, LinkState, LinkStep,
};
use serde::{Deserialize, Serialize};

use crate::error::{StoreError, StoreResult};

const VERSION: u8 = 2;

#[derive(Serialize)]
struct Stored<'a> {
    v: u8,
    context: &'a LinkContext,
    state: &'a LinkState,
}

#[derive(Deserialize)]
struct Read {
    context: LinkContext,
    state: LinkState,
}

pub(crate) fn to_json(context: &LinkContext, state: &LinkState) -> Vec<u8> {
    serde_json::to_vec(&Stored { v: VERSION, context, state }).expect("link state serialises")
}

pub(crate) fn from_json(json: &[u8], step: &str) -> StoreResult<(LinkContext, LinkState)> {
    let corrupt = |e: serde_json::Error| StoreError::Corrupt(format!("link state: {e}"));
    let value: serde_json::Value = serde_json::from_slice(json).map_err(corrupt)?;
    if value.get("v").is_some() {
        let read: Read = serde_json::from_value(value).map_err(corrupt)?;
        return Ok((read.context, read.state));
    }
    let step = LinkStep::parse(step).ok_or_else(|| StoreError::Corrupt(format!("link step {step}")))?;
    let legacy: LegacyFlow = serde_json::from_value(value).map_err(corrupt)?;
    Ok(legacy.into_state(step))
}

/// The flow as versions before 2 stored it.
#[derive(Deserialize, Default)]
struct LegacyFlow {
    institution_id: Option<String>,
    auth_method: Option<AuthMethod>,
    connector_state: Option<String>,
    challenge: Option<Challenge>,
    #[serde(default)]
    discovered: Vec<DiscoveredAccount>,
    error: Option<String>,
    failure_reason: Option<String>,
    #[serde(default)]
    linked_account_ids: Vec<String>,
    #[serde(default)]
    consented: bool,
    widget_origin: Option<String>,
    auth_code: Option<String>,
    reauth_account_id: Option<String>,
}

impl LegacyFlow {
    /// The state the old fields describe; where a step lacks its data, the nearest earlier step
    /// that has it (the user then repeats a step rather than meeting an error).
    fn into_state(self, step: LinkStep) -> (LinkContext, LinkState) {
        let context = LinkContext {
            consented: self.consented,
            widget_origin: self.widget_origin,
            reauth_account_id: self.reauth_account_id.map(Into::into),
            named_customer: None,
        };
        let error = self.error;
        let state = match (step, self.institution_id, self.auth_method) {
            (LinkStep::Linked, institution_id, _) => LinkState::Linked {
                institution_id: institution_id.unwrap_or_default(),
                account_ids: self.linked_account_ids.into_iter().map(Into::into).collect(),
                auth_code: self.auth_code,
            },
            (LinkStep::Failed, _, _) => LinkState::Failed {
                reason: FailureReason::parse_lenient(self.failure_reason.as_deref().unwrap_or_default()),
            },
            (LinkStep::Challenge, Some(institution_id), Some(auth_method))
                if self.connector_state.is_some() && self.challenge.is_some() =>
            {
                LinkState::Challenge {
                    institution_id,
                    auth_method,
                    connector_state: self.connector_state.unwrap_or_default(),
                    challenge: self.challenge.expect("checked above"),
                    error,
                }
            }
            (LinkStep::SelectAccounts, Some(institution_id), Some(auth_method)) if !self.discovered.is_empty() => {
                LinkState::SelectAccounts { institution_id, auth_method, accounts: self.discovered, error }
            }
            (LinkStep::ChooseInstitution, _, _) | (_, None, _) => LinkState::ChooseInstitution,
            (LinkStep::ChooseAuthMethod, Some(institution_id), _) | (_, Some(institution_id), None) => {
                LinkState::ChooseAuthMethod { institution_id }
            }
            (_, Some(institution_id), Some(auth_method)) => LinkState::Login { institution_id, auth_method, error },
        };
        (context, state)
    }
}

#[cfg(test)]
mod tests {
    use passbook_domain::model::ChallengeKind;
    use serde_json::json;

    use super::*;

    fn read(step: &str, flow: serde_json::Value) -> (LinkContext, LinkState) {
        from_json(&serde_json::to_vec(&flow).unwrap(), step).unwrap()
    }

    #[test]
    fn the_current_shape_round_trips() {
        let context = LinkContext {
            consented: true,
            widget_origin: Some("https://a.example".into()),
            reauth_account_id: None,
            named_customer: None,
        };
        let state = LinkState::Login {
            institution_id: "inst".into(),
            auth_method: AuthMethod::MobileBanking,
            error: Some("Enter your password.".into()),
        };
        assert_eq!(from_json(&to_json(&context, &state), "login").unwrap(), (context, state));
    }

    #[test]
    fn sessions_of_earlier_versions_read_as_the_same_state() {
        let (context, state) = read(
            "challenge",
            json!({"institution_id": "gtb", "auth_method": "internet_banking", "consented": true,
                   "connector_state": "s1", "widget_origin": "https://shop.example",
                   "challenge": {"kind": "Otp", "title": "Enter the code", "fields": []},
                   "discovered": [], "linked_account_ids": [], "widget_events": []}),
        );
        assert!(context.consented);
        assert_eq!(context.widget_origin.as_deref(), Some("https://shop.example"));
        let LinkState::Challenge { institution_id, connector_state, challenge, .. } = state else {
            panic!("{state:?}")
        };
        assert_eq!((institution_id.as_str(), connector_state.as_str()), ("gtb", "s1"));
        assert_eq!(challenge.kind, ChallengeKind::Otp);

        let (_, linked) =
            read("linked", json!({"institution_id": "gtb", "linked_account_ids": ["a1"], "auth_code": "code_x"}));
        assert_eq!(
            linked,
            LinkState::Linked {
                institution_id: "gtb".into(),
                account_ids: vec!["a1".into()],
                auth_code: Some("code_x".into())
            }
        );
        let (_, failed) = read("failed", json!({"failure_reason": "too_many_attempts"}));
        assert_eq!(failed, LinkState::Failed { reason: FailureReason::TooManyAttempts });
        let (_, login) = read("login", json!({"institution_id": "gtb", "auth_method": "mobile_banking", "error": "x"}));
        assert_eq!(
            login,
            LinkState::Login {
                institution_id: "gtb".into(),
                auth_method: AuthMethod::MobileBanking,
                error: Some("x".into())
            }
        );
        // A step without its data falls back to the step that gathers it.
        assert_eq!(
            read("challenge", json!({"institution_id": "gtb"})).1,
            LinkState::ChooseAuthMethod { institution_id: "gtb".into() }
        );
        assert_eq!(read("login", json!({})).1, LinkState::ChooseInstitution);
    }
}
