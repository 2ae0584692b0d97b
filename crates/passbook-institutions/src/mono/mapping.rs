//! Mono's answers as Passbook's connector port has them, and its refusals as connector errors.
use passbook_client::types::accounts::{AccountDetails, IdentityOut, TransactionOut};
use passbook_client::types::institutions::InstitutionOut;
use passbook_domain::Timestamp;
use passbook_domain::connector::{ConnectorError, FetchedData, FetchedTransaction};
use passbook_domain::model::{
    AuthMethod, AuthMethodSpec, DiscoveredAccount, Identity, Institution, InstitutionKind, InstitutionStatus, TxKind,
};

/// An institution Mono lists, linked through Mono's page.
pub(super) fn institution(listed: &InstitutionOut) -> Institution {
    let kind = match listed.kind.as_str() {
        "BUSINESS_BANKING" => InstitutionKind::BusinessBanking,
        "INVESTMENT_PLATFORM" => InstitutionKind::InvestmentPlatform,
        _ => InstitutionKind::PersonalBanking,
    };
    Institution {
        id: listed.id.clone(),
        name: listed.name.clone(),
        kind,
        bank_code: listed.bank_code.clone(),
        nip_code: listed.nip_code.clone(),
        country: listed.country.clone(),
        primary_color: listed.primary_color.clone(),
        icon: listed.icon.clone(),
        identifier: listed.identifier.clone(),
        status: InstitutionStatus::parse(&listed.status).unwrap_or(InstitutionStatus::Operational),
        auth_methods: vec![AuthMethodSpec {
            method: AuthMethod::OpenBanking,
            title: format!("Link {} through Mono", listed.name),
            form: Vec::new(),
        }],
    }
}

/// Mono's refusal of a call that is not about one account.
pub(super) fn upstream_error(err: passbook_client::Error) -> ConnectorError {
    match err {
        passbook_client::Error::Api { status: 401 | 403, message, .. } => {
            ConnectorError::Internal(format!("Mono refused the operator's secret key: {message}"))
        }
        // A gateway in front of Mono answers 502/503/504 in HTML, not in Mono's envelope.
        passbook_client::Error::Api { status: 429 | 500.., .. }
        | passbook_client::Error::Decode { status: 429 | 500.., .. }
        | passbook_client::Error::Transport(_) => {
            tracing::info!(error = %err, "Mono did not answer");
            ConnectorError::InstitutionUnavailable
        }
        other => ConnectorError::Internal(format!("Mono: {other}")),
    }
}

/// The same, where a 404 means Mono no longer holds the account (unlinked there).
pub(super) fn account_error(err: passbook_client::Error) -> ConnectorError {
    match err {
        passbook_client::Error::Api { status: 404, .. } => ConnectorError::ReauthorisationRequired,
        other => upstream_error(other),
    }
}

pub(super) fn discovered(upstream: &str, details: &AccountDetails) -> DiscoveredAccount {
    DiscoveredAccount {
        connector_ref: upstream.to_string(),
        name: details.account.name.clone().unwrap_or_default(),
        account_number: details.account.account_number.clone(),
        kind: details.account.kind.clone().unwrap_or_default(),
        currency: details.account.currency.clone(),
        balance: details.account.balance,
    }
}

pub(super) fn fetched(
    details: &AccountDetails,
    identity: Option<IdentityOut>,
    transactions: &[TransactionOut],
) -> Result<FetchedData, ConnectorError> {
    let mut posted = transactions.iter().map(transaction).collect::<Result<Vec<_>, _>>()?;
    posted.sort_by_key(|t| t.date);
    Ok(FetchedData {
        balance: details.account.balance,
        bvn: identity.as_ref().and_then(|i| i.bvn.clone()),
        identity: identity.map(|i| Identity {
            full_name: i.full_name,
            bvn: i.bvn,
            email: i.email,
            phone: i.phone,
            gender: i.gender,
            dob: i.dob,
            address_line1: i.address_line1,
            address_line2: i.address_line2,
            state_of_origin: i.state_of_origin,
            lga_of_origin: i.lga_of_origin,
            marital_status: i.marital_status,
        }),
        transactions: Some(posted),
        pending: Vec::new(),
        account_type: details.account.kind.clone(),
        renewed_handle: None,
        status: None,
    })
}

fn transaction(t: &TransactionOut) -> Result<FetchedTransaction, ConnectorError> {
    let date = Timestamp::parse_iso(&t.date)
        .ok_or_else(|| ConnectorError::Internal(format!("Mono sent a transaction dated '{}'", t.date)))?;
    let kind = TxKind::parse(&t.kind)
        .ok_or_else(|| ConnectorError::Internal(format!("Mono sent a transaction of type '{}'", t.kind)))?;
    Ok(FetchedTransaction {
        // Mono's id for the record, so a refresh never stores it twice.
        fingerprint: format!("mono:{}", t.id),
        date,
        narration: t.narration.clone(),
        amount: t.amount,
        kind,
        balance: t.balance,
        currency: t.currency.clone(),
    })
}
