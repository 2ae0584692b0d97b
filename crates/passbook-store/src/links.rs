use passbook_domain::model::{
    AttemptKind, CodeExchange, Customer, LinkMode, LinkSession, LinkState, NewAccount, NewAuthCode, NewEvent, NewJob,
    timeline_bit,
};
use passbook_domain::numbers;
use passbook_domain::store::{SessionCreated, SessionSaved};
use passbook_domain::{Clock, SystemClock, Timestamp};
use sqlx::{Any, FromRow, Transaction};

use crate::error::{StoreError, StoreResult, is_unique_violation};
use crate::{SqlStore, accounts, customers, events, jobs, link_state};

#[derive(FromRow)]
struct SessionRow {
    id: String,
    mode: String,
    app_id: String,
    customer_id: Option<String>,
    reference: Option<String>,
    redirect_url: Option<String>,
    step: String,
    flow_sealed: Vec<u8>,
    login_attempts: i64,
    challenge_attempts: i64,
    version: i64,
    created_at: i64,
    expires_at: i64,
    completed_at: Option<i64>,
}

impl SqlStore {
    fn session_from_row(&self, row: SessionRow) -> StoreResult<LinkSession> {
        let json = self.vault.open(&row.flow_sealed, &flow_context(&row.id))?;
        let (context, state) = link_state::from_json(&json, &row.step)?;
        Ok(LinkSession {
            mode: LinkMode::parse(&row.mode).ok_or_else(|| StoreError::Corrupt(format!("link mode {}", row.mode)))?,
            id: row.id.into(),
            app_id: row.app_id.into(),
            customer_id: row.customer_id.map(Into::into),
            reference: row.reference,
            redirect_url: row.redirect_url,
            context,
            state,
            login_attempts: numbers::small_count(row.login_attempts),
            challenge_attempts: numbers::small_count(row.challenge_attempts),
            version: row.version,
            created_at: Timestamp(row.created_at),
            expires_at: Timestamp(row.expires_at),
            completed_at: row.completed_at.map(Timestamp),
        })
    }

    fn seal_state(&self, session: &LinkSession) -> Vec<u8> {
        let json = link_state::to_json(&session.context, &session.state);
        self.vault.seal(&json, &flow_context(&session.id))
    }
}

fn flow_context(session_id: &str) -> String {
    format!("link_sessions.flow:{session_id}")
}

pub(crate) async fn create_session(
    store: &SqlStore,
    customer: Option<&Customer>,
    session: &LinkSession,
) -> StoreResult<SessionCreated> {
    let mut tx = store.write().await?;
    let mut stored = None;
    if let Some(customer) = customer {
        stored = Some(customers::insert_or_find_by_email(store, &mut tx, customer).await?);
    }
    let mut session = session.clone();
    session.customer_id = stored.as_ref().map(|c| c.id.clone());
    let inserted = crate::sql::query(
        "INSERT INTO link_sessions (id, app_id, customer_id, reference, redirect_url, step, flow_sealed, login_attempts, created_at, expires_at, mode)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(session.id.as_str())
    .bind(session.app_id.as_str())
    .bind(session.customer_id.as_deref())
    .bind(&session.reference)
    .bind(&session.redirect_url)
    .bind(session.step().as_str())
    .bind(store.seal_state(&session))
    .bind(session.login_attempts as i64)
    .bind(session.created_at.0)
    .bind(session.expires_at.0)
    .bind(session.mode.as_str())
    .execute(&mut *tx)
    .await;
    match inserted {
        Err(e) if is_unique_violation(&e) => {
            tx.rollback().await?;
            return Ok(SessionCreated::ReferenceTaken);
        }
        other => other?,
    };
    record_step(&mut tx, &session).await?;
    tx.commit().await?;
    Ok(SessionCreated::Created(stored.map(Box::new)))
}

pub(crate) async fn session(store: &SqlStore, id: &str) -> StoreResult<Option<LinkSession>> {
    let row: Option<SessionRow> = crate::sql::query_as(
        "SELECT id, mode, app_id, customer_id, reference, redirect_url, step, flow_sealed, login_attempts,
                challenge_attempts, version, created_at, expires_at, completed_at
         FROM link_sessions WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&store.pool)
    .await?;
    row.map(|r| store.session_from_row(r)).transpose()
}

/// Saves the session over the version it was read at, unless it was completed or changed
/// meanwhile (another request of the same link won the race).
async fn update_session(
    store: &SqlStore,
    tx: &mut Transaction<'static, Any>,
    session: &mut LinkSession,
) -> StoreResult<SessionSaved> {
    let updated = crate::sql::query(
        "UPDATE link_sessions SET step = $2, flow_sealed = $3, completed_at = $4, customer_id = $6,
                version = version + 1
         WHERE id = $1 AND version = $5 AND completed_at IS NULL",
    )
    .bind(session.id.as_str())
    .bind(session.step().as_str())
    .bind(store.seal_state(session))
    .bind(session.completed_at.map(|t| t.0))
    .bind(session.version)
    .bind(session.customer_id.as_deref())
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() == 0 {
        // Read in the same transaction: another pooled connection may be waiting for our lock.
        let completed: Option<Option<i64>> =
            crate::sql::query_scalar("SELECT completed_at FROM link_sessions WHERE id = $1")
                .bind(session.id.as_str())
                .fetch_optional(&mut **tx)
                .await?;
        return Ok(match completed {
            Some(Some(_)) => SessionSaved::AlreadyEnded,
            _ => SessionSaved::Changed,
        });
    }
    session.version += 1;
    record_step(tx, session).await?;
    Ok(SessionSaved::Saved)
}

/// Adds the step the session is now at to its timeline, and keeps its institution and failure
/// on the row for the console's filters. The note is what the user was shown, never what they
/// typed.
async fn record_step(tx: &mut Transaction<'static, Any>, session: &LinkSession) -> StoreResult<()> {
    let failure = match &session.state {
        LinkState::Failed { reason } => Some(reason.as_str()),
        _ => None,
    };
    let step = session.timeline_step();
    crate::sql::query(
        "UPDATE link_sessions SET institution_id = COALESCE($2, institution_id), failure_reason = $3,
                                  reached = reached | $4, last_step = CASE WHEN $5 = 'failed' THEN last_step ELSE $5 END
         WHERE id = $1",
    )
    .bind(session.id.as_str())
    .bind(session.state.institution_id())
    .bind(failure)
    .bind(timeline_bit(step))
    .bind(step)
    .execute(&mut **tx)
    .await?;
    crate::sql::query(
        "INSERT INTO link_timeline (session_id, position, at, step, note, institution_id)
         SELECT $1, COALESCE(MAX(position) + 1, 0), $2, $3, $4, $5 FROM link_timeline WHERE session_id = $1",
    )
    .bind(session.id.as_str())
    .bind(SystemClock.now().0)
    .bind(step)
    .bind(session.state.note())
    .bind(session.state.institution_id())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(crate) async fn save_session(store: &SqlStore, session: &mut LinkSession) -> StoreResult<SessionSaved> {
    let mut tx = store.write().await?;
    let saved = update_session(store, &mut tx, session).await?;
    tx.commit().await?;
    Ok(saved)
}

/// Counts one more attempt of `kind` before the bank is asked, in one statement, so parallel
/// requests cannot all read the same count. `None` when `max` were made already (or the
/// session is finished).
pub(crate) async fn count_attempt(store: &SqlStore, id: &str, kind: AttemptKind, max: u32) -> StoreResult<Option<u32>> {
    let column = attempts_column(kind);
    let n: Option<i64> = crate::sql::query_scalar(sqlx::AssertSqlSafe(format!(
        "UPDATE link_sessions SET {column} = {column} + 1 WHERE id = $1 AND completed_at IS NULL AND {column} < $2
         RETURNING {column}"
    )))
    .bind(id)
    .bind(max as i64)
    .fetch_all(&store.pool)
    .await?
    .into_iter()
    .next();
    Ok(n.map(numbers::small_count))
}

/// Gives back an attempt the bank never judged (it was unavailable).
pub(crate) async fn refund_attempt(store: &SqlStore, id: &str, kind: AttemptKind) -> StoreResult<()> {
    let column = attempts_column(kind);
    crate::sql::query(sqlx::AssertSqlSafe(format!(
        "UPDATE link_sessions SET {column} = {column} - 1 WHERE id = $1 AND {column} > 0"
    )))
    .bind(id)
    .execute(&store.pool)
    .await?;
    Ok(())
}

fn attempts_column(kind: AttemptKind) -> &'static str {
    match kind {
        AttemptKind::Login => "login_attempts",
        AttemptKind::Challenge => "challenge_attempts",
    }
}

pub(crate) async fn complete_session(
    store: &SqlStore,
    session: &mut LinkSession,
    new_accounts: &[NewAccount],
    new_events: &[NewEvent],
    new_jobs: &[NewJob],
    code: Option<&NewAuthCode>,
) -> StoreResult<SessionSaved> {
    let mut tx = store.write().await?;
    let saved = update_session(store, &mut tx, session).await?;
    if saved != SessionSaved::Saved {
        tx.rollback().await?;
        return Ok(saved);
    }
    for account in new_accounts {
        accounts::upsert_linked(store, &mut tx, account).await?;
    }
    for event in new_events {
        events::insert(store, &mut tx, event).await?;
    }
    for job in new_jobs {
        jobs::insert(&mut tx, job).await?;
    }
    if let Some(code) = code {
        crate::sql::query(
            "INSERT INTO auth_codes (code_hash, app_id, account_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&code.code_hash)
        .bind(code.app_id.as_str())
        .bind(code.account_id.as_str())
        .bind(code.created_at.0)
        .bind(code.expires_at.0)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    store.forget_versions(new_accounts.iter().map(|account| account.id.as_str()));
    Ok(SessionSaved::Saved)
}

/// Uses the code if it is this app's, unused and unexpired; otherwise says which it is not.
pub(crate) async fn exchange_code(
    store: &SqlStore,
    app_id: &str,
    code_hash: &str,
    now: Timestamp,
) -> StoreResult<CodeExchange> {
    let mut tx = store.write().await?;
    let row: Option<(String, i64, Option<i64>)> = crate::sql::query_as(
        "SELECT account_id, expires_at, used_at FROM auth_codes WHERE code_hash = $1 AND app_id = $2",
    )
    .bind(code_hash)
    .bind(app_id)
    .fetch_optional(&mut *tx)
    .await?;
    let outcome = match row {
        None => CodeExchange::Unknown,
        Some((_, _, Some(_))) => CodeExchange::Used,
        Some((_, expires_at, None)) if expires_at < now.0 => CodeExchange::Expired,
        Some((account_id, _, None)) => {
            crate::sql::query("UPDATE auth_codes SET used_at = $2 WHERE code_hash = $1")
                .bind(code_hash)
                .bind(now.0)
                .execute(&mut *tx)
                .await?;
            CodeExchange::Exchanged { account_id }
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

/// The `LinkStore` port, on the functions above.
mod port {
    use passbook_domain::Timestamp;
    use passbook_domain::model::{AppId, SessionId};
    use passbook_domain::model::{
        AttemptKind, CodeExchange, Customer, LinkSession, NewAccount, NewAuthCode, NewEvent, NewJob,
    };
    use passbook_domain::store::{LinkStore, SessionCreated, SessionSaved};

    crate::port::impl_port! { LinkStore {
        retried fn create_link_session(customer: Option<&Customer>, session: &LinkSession) -> SessionCreated
            = crate::links::create_session(customer, session);
        retried fn link_session(id: &SessionId) -> Option<LinkSession> = crate::links::session(id);
        retried fn save_link_session(session: &mut LinkSession) -> SessionSaved = crate::links::save_session(session);
        retried fn complete_link_session(
            session: &mut LinkSession,
            accounts: &[NewAccount],
            events: &[NewEvent],
            jobs: &[NewJob],
            code: Option<&NewAuthCode>,
        ) -> SessionSaved = crate::links::complete_session(session, accounts, events, jobs, code);
        retried fn count_link_attempt(session_id: &SessionId, kind: AttemptKind, max: u32) -> Option<u32>
            = crate::links::count_attempt(session_id, kind, max);
        retried fn refund_link_attempt(session_id: &SessionId, kind: AttemptKind) -> ()
            = crate::links::refund_attempt(session_id, kind);
        retried fn exchange_auth_code(app_id: &AppId, code_hash: &str, now: Timestamp) -> CodeExchange
            = crate::links::exchange_code(app_id, code_hash, now);
    }}
}
