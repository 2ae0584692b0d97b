//! The sandbox open bank: an institution reached by consent redirect. Passbook serves its
//! consent page itself (`/sandbox/open-bank/authorize`); the user approves some of two accounts
//! for a number of days, or denies. The accounts' handles carry the consent's expiry, after
//! which fetches answer that the user must approve again.
use passbook_domain::Timestamp;
use passbook_domain::connector::{ConnectorError, ConsentRequest, ConsentStart, Credentials, SandboxConsentCode};
use passbook_domain::model::{DiscoveredAccount, Institution};
use sha2::{Digest, Sha256};

use super::persona::{Persona, nuban};
use super::seed;

pub const OPEN_BANK_ID: &str = "5f2d08c1a0b0c0d0e0f00002";
/// The accounts the bank holds for the sandbox user, by index on its consent page.
pub const ACCOUNTS: [(&str, &str); 2] =
    [("CURRENT_ACCOUNT", "Everyday account"), ("SAVINGS_ACCOUNT", "Savings account")];
const DAY_MS: i64 = 86_400_000;
/// The persona whose data the open bank serves.
const PERSONA: &str = "user_good";

pub fn start(public_url: &str, request: &ConsentRequest) -> Result<ConsentStart, ConnectorError> {
    if public_url.is_empty() {
        return Err(ConnectorError::Internal("the sandbox open bank needs Passbook's public URL".into()));
    }
    let consent_id = hex::encode(&Sha256::digest(request.state.as_bytes())[..8]);
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("consent", &consent_id)
        .append_pair("state", &request.state)
        // Like a real bank, it sends users back to the one redirect URI it has registered.
        .append_pair("redirect_uri", &request.registered_return_url)
        .finish();
    Ok(ConsentStart { redirect_url: format!("{public_url}/sandbox/open-bank/authorize?{query}"), consent_id })
}

pub fn finish(
    institution: &Institution,
    consent_id: &str,
    answer: &Credentials,
    now: Timestamp,
) -> Result<Vec<DiscoveredAccount>, ConnectorError> {
    let code = answer.get("code").and_then(SandboxConsentCode::parse).filter(|c| c.consent_id == consent_id);
    let code = code.ok_or(ConnectorError::InvalidAnswer)?;
    let expires = now.0 + code.days as i64 * DAY_MS;
    let persona = Persona::for_username(PERSONA);
    code.accounts
        .iter()
        .map(|&index| {
            let (kind, _) = ACCOUNTS.get(index as usize).ok_or(ConnectorError::InvalidAnswer)?;
            Ok(DiscoveredAccount {
                connector_ref: format!("ob:{index}:{expires}"),
                name: persona.full_name(),
                account_number: nuban(&institution.bank_code, seed(&[&institution.id, PERSONA, &index.to_string()])),
                kind: kind.to_string(),
                currency: "NGN".into(),
                balance: None,
            })
        })
        .collect()
}

/// `ob:{index}:{expires}`: whether the consent behind an account has run out.
pub fn expired(connector_ref: &str, now: Timestamp) -> bool {
    connector_ref
        .strip_prefix("ob:")
        .and_then(|rest| rest.rsplit_once(':'))
        .and_then(|(_, expires)| expires.parse::<i64>().ok())
        .is_some_and(|expires| now.0 > expires)
}
