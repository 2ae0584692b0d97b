//! `GET /v2/accounts/{id}/statement` (JSON or a PDF job), the PDF job's status and file, and
//! `GET /passbook/v1/accounts/{id}/statement` (the statement as a signed JSON file).
use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use passbook_domain::model::{AccountId, StatementId, StatementJob, StatementStatus};
use passbook_domain::services::{StatementOutput, parse_statement_query};
use passbook_types::Success;
use passbook_types::accounts::{SignedStatementQuery, StatementAnswer, StatementJobOut, StatementOut, StatementQuery};

use super::{success, wire};
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::{ApiQuery, AuthApp};

pub async fn statement(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    Path(id): Path<AccountId>,
    ApiQuery(query): ApiQuery<StatementQuery>,
) -> ApiResult<Json<Success<StatementAnswer>>> {
    let (months, output) = parse_statement_query(&query)?;
    match output {
        StatementOutput::Json => {
            let statement = state.passbook.statements().period(&app, &id, months).await?;
            let rows: Vec<_> = statement.transactions.into_iter().map(wire::transaction).collect();
            let data = StatementOut {
                count: rows.len(),
                requested_length: statement.requested_days,
                available_length: statement.available_days,
                statement: rows,
            };
            Ok(Json(success(&state, "Successfully fetched statement", StatementAnswer::Rows(data))))
        }
        StatementOutput::Pdf => {
            let job = state.passbook.statements().request_pdf(&app, &id, months).await?;
            let data = StatementAnswer::Pdf(job_out(&state, &job));
            Ok(Json(success(&state, "Your statement is being built", data)))
        }
    }
}

pub async fn job(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    Path((id, job_id)): Path<(AccountId, StatementId)>,
) -> ApiResult<Json<Success<StatementJobOut>>> {
    let job = state.passbook.statements().job(&app, &id, &job_id).await?;
    Ok(Json(success(&state, "Request was successfully completed", job_out(&state, &job))))
}

pub async fn pdf(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    Path((id, job_id)): Path<(AccountId, StatementId)>,
) -> ApiResult<Response> {
    let bytes = state.passbook.statements().pdf(&app, &id, &job_id).await?;
    let disposition = format!("attachment; filename=\"statement-{id}-{job_id}.pdf\"");
    Ok(([(header::CONTENT_TYPE, "application/pdf".to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response())
}

pub async fn signed_json(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    Path(id): Path<AccountId>,
    ApiQuery(query): ApiQuery<SignedStatementQuery>,
) -> ApiResult<Response> {
    let (months, _) = parse_statement_query(&StatementQuery { period: query.period, output: None })?;
    let bytes = state.passbook.statements().signed_json(&app, &id, months).await?;
    let disposition = format!("attachment; filename=\"statement-{id}-last{months}months.json\"");
    Ok(([(header::CONTENT_TYPE, "application/json".to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response())
}

fn job_out(state: &AppState, job: &StatementJob) -> StatementJobOut {
    let path = (job.status == StatementStatus::Built).then(|| {
        format!("{}/v2/accounts/{}/statement/jobs/{}/pdf", state.passbook.public_url(), job.account_id, job.id)
    });
    StatementJobOut {
        id: job.id.to_string(),
        status: job.status.as_str().into(),
        path,
        period: format!("last{}months", job.months),
        created_at: job.created_at.to_iso(),
    }
}
