//! `POST /passbook/v1/statements`: link the accounts of a statement file without a browser
//! (back-offices, operators). A multipart form: `statement` (the file), `password`, and either
//! `customer` (JSON: `{"name","email"}` or `{"id"}`) or `customer_id` / `customer_name` /
//! `customer_email`, optionally `institution`, `reference`, `currency` (for a file that states
//! none), and `account` (an account to renew with a newer statement). The same webhooks follow as for a link made on the page.
use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use passbook_domain::Error;
use passbook_domain::linking::StatementUpload;
use passbook_domain::services::{CustomerSpec, ImportedStatement, StatementImportRequest, stated_currency};
use passbook_domain::statement_file::ReadError;
use passbook_types::Success;
use passbook_types::linking::CustomerIn;
use passbook_types::passbook::{
    ImportOut, ImportReportOut, ImportedAccountOut, OpenPeriodOut, SkippedLineOut, StatementPreviewOut,
};

use super::success;
use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::AuthApp;
use crate::upload::{Form, read_form};

pub async fn import(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<Success<ImportOut>>> {
    let form = read_form(multipart, &["statement"], state.max_upload_bytes).await.map_err(refused)?;
    let imported = state.passbook.linking().import_statement(&app, import_request(form)?).await?;
    Ok(Json(success(&state, "Statement imported", import_out(imported))))
}

/// The form as the domain's request: the file, the customer (as JSON or as fields), the rest.
fn import_request(mut form: Form) -> Result<StatementImportRequest, Error> {
    let (file_name, file) =
        form.files.pop().ok_or_else(|| Error::invalid("statement", "statement (the file) is required"))?;
    let customer = match form.text("customer") {
        Some(json) => Some(
            serde_json::from_str::<CustomerIn>(&json)
                .map_err(|e| Error::invalid("customer", format!("customer is not valid JSON: {e}")))?,
        ),
        None => {
            let (id, name, email) = (form.text("customer_id"), form.text("customer_name"), form.text("customer_email"));
            (id.is_some() || name.is_some() || email.is_some()).then_some(CustomerIn { id, name, email })
        }
    };
    let account = form.text("account").filter(|a| !a.trim().is_empty());
    let customer = if account.is_some() { None } else { Some(CustomerSpec::parse(customer)?) };
    Ok(StatementImportRequest {
        customer,
        institution: form.text("institution").filter(|i| !i.trim().is_empty()),
        account,
        reference: form.text("reference").filter(|r| !r.trim().is_empty()),
        upload: StatementUpload {
            file,
            file_name,
            password: form.text("password").filter(|p| !p.is_empty()),
            currency: stated_currency(form.text("currency").as_deref())?,
        },
    })
}

fn import_out(ImportedStatement { accounts, previews, report, integrity }: ImportedStatement) -> ImportOut {
    let accounts = accounts
        .into_iter()
        .map(|a| ImportedAccountOut {
            id: a.id.into(),
            name: a.name,
            account_number: a.account_number,
            currency: a.currency,
            institution: a.institution_id,
            data_status: a.data_status.as_str().into(),
        })
        .collect();
    let statement = previews
        .into_iter()
        .map(|p| StatementPreviewOut {
            account_number: p.account_number,
            name: p.name,
            currency: p.currency,
            format: p.format.as_str().into(),
            period: OpenPeriodOut { start: p.first_day.map(|t| t.to_iso()), end: p.last_day.map(|t| t.to_iso()) },
            transactions: p.transactions,
            opening_balance: p.opening,
            closing_balance: p.closing,
            reconciliation: p.reconciliation.as_str().into(),
        })
        .collect();
    let report = ImportReportOut {
        rows_read: report.rows_read,
        lines_skipped: report.skipped_total,
        skipped: report
            .skipped
            .into_iter()
            .map(|l| SkippedLineOut { at: l.at, text: l.text, reason: l.reason })
            .collect(),
    };
    ImportOut { accounts, statement, report, integrity: integrity.wire() }
}

/// A form the upload reader refused: too large (413) or not a form with the file (400).
pub(super) fn refused(err: ReadError) -> ApiError {
    match err {
        ReadError::TooLarge { .. } => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, err.to_string()),
        other => ApiError::from(Error::invalid("statement", other.to_string())),
    }
}
