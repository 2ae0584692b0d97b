//! `POST /passbook/v1/statements/verify` (a multipart form: `statement`, the file, and
//! `password` when it has one) and `GET /passbook/v1/statements/signing-key`: whether a
//! statement is one this Passbook issued, unchanged, and the key anyone can check that with.
use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use passbook_domain::Error;
use passbook_domain::statement_signature::{Manifest, SignatureCheck};
use passbook_types::Success;
use passbook_types::accounts::PeriodOut;
use passbook_types::passbook::{SignedStatementOut, SigningKeyOut, VerificationOut};

use super::success;
use crate::AppState;
use crate::error::ApiResult;
use crate::extract::AuthApp;
use crate::upload::read_form;

pub async fn verify(
    State(state): State<AppState>,
    AuthApp(app): AuthApp,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<Success<VerificationOut>>> {
    let mut form =
        read_form(multipart, &["statement"], state.max_upload_bytes).await.map_err(super::imports::refused)?;
    let (_, file) = form.files.pop().ok_or_else(|| Error::invalid("statement", "statement (the file) is required"))?;
    let password = form.text("password").filter(|p| !p.is_empty());
    let verification = state.passbook.verify_statement(&app, file, password).await?;
    let (signature, manifest) = match &verification.signature {
        SignatureCheck::Intact(m) => ("intact", Some(m)),
        SignatureCheck::Edited { manifest, .. } => ("edited", manifest.as_ref()),
        SignatureCheck::OtherKey(m) => ("other_key", Some(m)),
        SignatureCheck::Unsigned => ("unsigned", None),
    };
    let out = VerificationOut {
        signature: signature.into(),
        intact: signature == "intact",
        statement: manifest.map(statement_out),
        integrity: verification.integrity.wire(),
    };
    Ok(Json(success(&state, "Statement checked", out)))
}

fn statement_out(m: &Manifest) -> SignedStatementOut {
    SignedStatementOut {
        issuer: m.issuer.clone(),
        key_id: m.key.clone(),
        account: m.account.clone(),
        institution: m.institution.clone(),
        account_number: m.account_number.clone(),
        currency: m.currency.clone(),
        period: PeriodOut { start: m.from.clone(), end: m.to.clone() },
        opening_balance: m.opening_balance,
        closing_balance: m.closing_balance,
        transactions: m.transactions,
        issued_at: m.issued_at.clone(),
    }
}

pub async fn signing_key(State(state): State<AppState>) -> Json<Success<SigningKeyOut>> {
    let signer = &state.passbook.signer();
    let out = SigningKeyOut {
        key_id: signer.key_id(),
        algorithm: "Ed25519".into(),
        public_key: signer.public_key_base64(),
        format: "The last line of a signed PDF statement is `%PassbookSignature <JSON>`. `sha256` in the JSON is \
                 the SHA-256 (hex) of every byte before that line; `signature` is Ed25519 (base64), by this key, \
                 over the JSON without its `signature` field, exactly as written. A signed JSON statement is \
                 `{\"passbook_statement\": {…}, \"signature\": {…}}`: there `sha256` is of `passbook_statement` \
                 and `signature` over the `signature` object without its `signature` field, each in the JSON \
                 Canonicalization Scheme (RFC 8785)."
            .into(),
    };
    Json(success(&state, "Statement signing key", out))
}
