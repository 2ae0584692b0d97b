//! Domain models to Mono's wire shapes.
use passbook_domain::Timestamp;
use passbook_domain::model::{
    Account, Customer, DataKind, FormField, Freshness, Institution, StoredIdentity, Transaction,
};
use passbook_domain::services::AccountSource;
use passbook_types::accounts::{
    AccountDetails, AccountListItem, AccountMeta, AccountOut, BrokenRowOut, CustomerRef, DataSourceOut, FreshnessOut,
    IdentityOut, InstitutionRef, PassbookAccountMeta, PeriodOut, ReconciliationOut, TransactionOut,
};
use passbook_types::institutions::{AuthMethodOut, FormElement, InstitutionOut, LoginUi, ScopeOut};

pub fn institution_ref(inst: Option<&Institution>, id: &str, with_id: bool) -> InstitutionRef {
    InstitutionRef {
        id: with_id.then(|| id.to_string()),
        name: inst.map_or_else(|| "Unknown institution".into(), |i| i.name.clone()),
        bank_code: inst.map(|i| i.bank_code.clone()).unwrap_or_default(),
        kind: inst.map_or("PERSONAL_BANKING", |i| i.kind.as_str()).to_string(),
    }
}

pub fn account_out(account: &Account, inst: Option<&Institution>) -> AccountOut {
    AccountOut {
        id: account.id.to_string(),
        name: account.name.clone(),
        account_number: account.account_number.clone(),
        currency: account.currency.clone(),
        balance: account.has(DataKind::Balance).then_some(account.balance).flatten(),
        kind: account.kind.clone(),
        bvn: account.bvn.clone(),
        institution: institution_ref(inst, &account.institution_id, false),
    }
}

pub fn account_details(
    account: &Account,
    inst: Option<&Institution>,
    source: Option<&AccountSource>,
) -> AccountDetails {
    AccountDetails {
        passbook: Some(PassbookAccountMeta {
            freshness: freshness_out(&account.freshness),
            source: source.map(source_out),
        }),
        account: account_out(account, inst),
        customer: CustomerRef { id: account.customer_id.to_string(), name: None, email: None },
        meta: AccountMeta {
            data_status: account.data_status.as_str().into(),
            auth_method: account.auth_method.as_str().into(),
            retrieved_data: account.retrieved_data.iter().map(|k| k.as_str().to_string()).collect(),
            reference: account.reference.clone(),
        },
    }
}

pub fn account_list_item(account: &Account, customer: &Customer, inst: Option<&Institution>) -> AccountListItem {
    AccountListItem {
        id: account.id.to_string(),
        name: account.name.clone(),
        account_number: account.account_number.clone(),
        currency: account.currency.clone(),
        balance: account.has(DataKind::Balance).then_some(account.balance).flatten(),
        auth_method: account.auth_method.as_str().into(),
        status: account.data_status.as_str().into(),
        bvn: account.bvn.clone(),
        kind: account.kind.clone(),
        institution: institution_ref(inst, &account.institution_id, true),
        customer: CustomerRef {
            id: customer.id.to_string(),
            name: Some(customer.name.clone()),
            email: Some(customer.email.clone()),
        },
    }
}

/// Takes the transaction, so that its text moves into the answer instead of being copied.
pub fn transaction(t: Transaction) -> TransactionOut {
    TransactionOut {
        kind: t.kind.as_str().into(),
        date: t.date.to_iso(),
        id: t.id,
        narration: t.narration,
        amount: t.amount,
        balance: t.balance,
        category: t.category,
        currency: t.currency,
    }
}

pub fn identity(stored: &StoredIdentity) -> IdentityOut {
    let i = &stored.identity;
    IdentityOut {
        full_name: i.full_name.clone(),
        bvn: i.bvn.clone(),
        email: i.email.clone(),
        phone: i.phone.clone(),
        gender: i.gender.clone(),
        dob: i.dob.clone(),
        address_line1: i.address_line1.clone(),
        address_line2: i.address_line2.clone(),
        state_of_origin: i.state_of_origin.clone(),
        lga_of_origin: i.lga_of_origin.clone(),
        marital_status: i.marital_status.clone(),
        created_at: stored.created_at.to_iso(),
        updated_at: stored.updated_at.to_iso(),
    }
}

pub fn institution(inst: &Institution) -> InstitutionOut {
    InstitutionOut {
        mongo_id: inst.id.clone(),
        id: inst.id.clone(),
        name: inst.name.clone(),
        kind: inst.kind.as_str().into(),
        icon: inst.icon.clone(),
        identifier: inst.identifier.clone(),
        bank_code: inst.bank_code.clone(),
        nip_code: inst.nip_code.clone(),
        country: inst.country.clone(),
        primary_color: inst.primary_color.clone(),
        status: inst.status.as_str().into(),
        scope: vec![ScopeOut { name: "Financial Data".into(), kind: "financial_data".into() }],
        auth_methods: inst
            .auth_methods
            .iter()
            .map(|a| AuthMethodOut {
                kind: a.method.as_str().into(),
                name: a.method.label().into(),
                ui: LoginUi { title: a.title.clone(), form: a.form.iter().map(form_element).collect() },
            })
            .collect(),
    }
}

fn freshness_out(freshness: &Freshness) -> FreshnessOut {
    let iso = |t: Option<Timestamp>| t.map(|t| t.to_iso());
    FreshnessOut {
        last_refreshed_at: iso(freshness.last_refreshed_at),
        last_failed_at: iso(freshness.last_failed_at),
        last_failure: freshness.last_failure.clone(),
        next_refresh_at: iso(freshness.next_refresh_at),
    }
}

fn source_out(source: &AccountSource) -> DataSourceOut {
    let r = &source.reconciliation;
    DataSourceOut {
        kind: "statement_upload".into(),
        format: source.format.as_str().into(),
        imported_at: source.imported_at.to_iso(),
        period: source.period.map(|(start, end)| PeriodOut { start: start.to_iso(), end: end.to_iso() }),
        account_number_stated: source.account_number_stated,
        rows_read: source.rows_read,
        lines_skipped: source.lines_skipped,
        integrity: source.integrity.wire(),
        reconciliation: ReconciliationOut {
            status: r.status.as_str().into(),
            opening_balance: r.opening,
            closing_balance: r.closing,
            credits: r.credits,
            debits: r.debits,
            difference: r.difference,
            broken_rows: r
                .broken_rows
                .iter()
                .map(|b| BrokenRowOut {
                    row: b.row,
                    expected_balance: b.expected_balance,
                    stated_balance: b.stated_balance,
                })
                .collect(),
            mismatched_totals: r.mismatched_totals.clone(),
            gaps: r.gaps.clone(),
        },
    }
}

/// A field of a login or challenge form; `contentType` is `file`, `password` or `string`.
pub fn form_element(field: &FormField) -> FormElement {
    let content_type = if field.file {
        "file"
    } else if field.secret {
        "password"
    } else {
        "string"
    };
    FormElement {
        kind: "elements.input".into(),
        name: field.name.clone(),
        hint: field.hint.clone(),
        content_type: content_type.into(),
    }
}
