//! Enable Banking's answers as Passbook's connector port has them, and its refusals as
//! connector errors.
use std::collections::HashMap;

use passbook_domain::Timestamp;
use passbook_domain::connector::{ConnectorError, FetchedTransaction};
use passbook_domain::model::{
    AuthMethod, AuthMethodSpec, DiscoveredAccount, Institution, InstitutionKind, InstitutionStatus, TxKind,
};
use passbook_types::money;
use sha2::{Digest, Sha256};

use super::{Handle, wire};

/// Enable Banking's refusal as a connector error.
pub(super) fn refusal(status: u16, failure: wire::Failure) -> ConnectorError {
    let kind = failure.error.unwrap_or_default();
    let message = failure.message.unwrap_or_default();
    match (status, kind.as_str()) {
        (_, "EXPIRED_SESSION" | "REVOKED_SESSION" | "CLOSED_SESSION" | "SESSION_DOES_NOT_EXIST") => {
            ConnectorError::ReauthorisationRequired
        }
        (404, _) => ConnectorError::ReauthorisationRequired,
        (401 | 403, _) => ConnectorError::Internal(format!("Enable Banking refused the application: {kind} {message}")),
        (408 | 429 | 500.., _) | (422, "ASPSP_ERROR") => ConnectorError::InstitutionUnavailable,
        _ => ConnectorError::Internal(format!("Enable Banking answered {status}: {kind} {message}")),
    }
}

/// A stable Passbook id for a bank: its country and name, hashed to an ObjectId's 24 hex digits.
pub(super) fn institution_id(bank: &wire::Aspsp) -> String {
    let digest = Sha256::digest(format!("enable_banking:{}:{}", bank.country, bank.name).as_bytes());
    hex::encode(&digest[..12])
}

pub(super) fn institution(id: &str, bank: &wire::Aspsp) -> Institution {
    Institution {
        id: id.to_string(),
        name: bank.name.clone(),
        kind: InstitutionKind::PersonalBanking,
        bank_code: String::new(),
        nip_code: String::new(),
        country: bank.country.to_lowercase(),
        primary_color: "#1B3A5C".into(),
        icon: bank.logo.clone(),
        identifier: format!("enable_banking.{}", bank.country.to_lowercase()),
        status: InstitutionStatus::Operational,
        auth_methods: vec![AuthMethodSpec {
            method: AuthMethod::OpenBanking,
            title: format!("Approve access at {}", bank.name),
            form: Vec::new(),
        }],
    }
}

pub(super) fn discovered(
    session: &wire::Session,
    until: i64,
    account: &wire::SessionAccount,
) -> Result<DiscoveredAccount, ConnectorError> {
    let handle = Handle { session: session.session_id.clone(), uid: account.uid.clone(), until };
    let iban = account.account_id.as_ref().and_then(|a| a.iban.clone());
    // The IBAN, or the hash Enable Banking keeps for an account across sessions: what a
    // re-authorisation's new `uid`s are matched by.
    let number = iban.or_else(|| account.identification_hash.clone()).ok_or_else(|| {
        ConnectorError::Internal(format!("Enable Banking named account {} by neither IBAN nor hash", account.uid))
    })?;
    Ok(DiscoveredAccount {
        connector_ref: serde_json::to_string(&handle).map_err(|e| ConnectorError::Internal(e.to_string()))?,
        name: account.name.clone().unwrap_or_default(),
        account_number: number,
        kind: match account.cash_account_type.as_deref() {
            Some("CACC") => "CURRENT_ACCOUNT".into(),
            Some("SVGS") => "SAVINGS_ACCOUNT".into(),
            _ => String::new(),
        },
        currency: account.currency.clone().unwrap_or_default(),
        balance: None,
    })
}

/// `YYYY-MM-DD` as the start of that day (UTC).
fn day(date: &str) -> Option<Timestamp> {
    let date = time::Date::parse(date, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
    Some(Timestamp::from_datetime(date.midnight().assume_utc()))
}

pub(super) fn fetched_rows(
    rows: &[wire::Transaction],
) -> Result<(Vec<FetchedTransaction>, Vec<FetchedTransaction>), ConnectorError> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let (mut posted, mut pending) = (Vec::new(), Vec::new());
    for row in rows {
        let currency = money::currency_code(&row.transaction_amount.currency);
        let amount = money::minor_units(&row.transaction_amount.amount, currency).ok_or_else(|| {
            ConnectorError::Internal(format!("Enable Banking sent the amount '{}'", row.transaction_amount.amount))
        })?;
        let date = [&row.booking_date, &row.value_date, &row.transaction_date]
            .into_iter()
            .find_map(|d| d.as_deref().and_then(day))
            .ok_or_else(|| ConnectorError::Internal("Enable Banking sent a transaction without a date".into()))?;
        let narration = row.remittance_information.join(" ");
        let fingerprint = match &row.entry_reference {
            Some(reference) if !reference.is_empty() => format!("eb:{reference}"),
            // Without the bank's reference, everything the row states, and its place among
            // rows that state the same, so no two rows merge.
            _ => {
                let stated = format!(
                    "{}|{}|{}|{}|{narration}",
                    date.0, row.transaction_amount.amount, row.transaction_amount.currency, row.credit_debit_indicator
                );
                let n = seen.entry(stated.clone()).or_default();
                *n += 1;
                format!("eb#{}", hex::encode(&Sha256::digest(format!("{stated}#{n}").as_bytes())[..16]))
            }
        };
        let kind = if row.credit_debit_indicator == "DBIT" { TxKind::Debit } else { TxKind::Credit };
        let record = FetchedTransaction {
            fingerprint,
            date,
            narration,
            amount: amount.abs(),
            kind,
            balance: None,
            currency: currency.unwrap_or_default().to_string(),
        };
        if row.status == "PDNG" { pending.push(record) } else { posted.push(record) }
    }
    posted.sort_by_key(|t| t.date);
    Ok((posted, pending))
}

/// The balance a bank reports, by preference: closing booked, then interim available, then
/// expected, then whichever it gave.
pub(super) fn balance(balances: &wire::Balances) -> Option<(i64, String)> {
    let preferred = ["CLBD", "ITAV", "XPCD", "ITBD", "CLAV"];
    let chosen = preferred
        .iter()
        .find_map(|kind| balances.balances.iter().find(|b| b.balance_type == *kind))
        .or(balances.balances.first())?;
    let currency = money::currency_code(&chosen.balance_amount.currency);
    Some((money::minor_units(&chosen.balance_amount.amount, currency)?, currency.unwrap_or_default().to_string()))
}
