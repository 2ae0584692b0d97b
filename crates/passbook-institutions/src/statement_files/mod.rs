//! The statement files: every account linked by uploading a statement, at any institution, is
//! fetched here, from what Passbook read of the file when it was uploaded (kept, sealed, by the
//! store). It lists one institution of its own, "another bank", for statements of banks no
//! connector serves; every other institution offers the file way because this connector
//! serves it ([`Connector::serves_way_in`]).
use std::sync::Arc;

use async_trait::async_trait;
use passbook_domain::connector::{Connector, ConnectorAccount, ConnectorError, Credentials, FetchedData, LoginStep};
use passbook_domain::institutions::OTHER_BANK_ID;
use passbook_domain::model::{AuthMethod, AuthMethodSpec, Institution, InstitutionKind, InstitutionStatus, WayIn};
use passbook_domain::statement_account;
use passbook_domain::store::ImportStore;

pub const STATEMENT_CONNECTOR: &str = "statement";

pub struct StatementFiles {
    imports: Arc<dyn ImportStore>,
}

impl StatementFiles {
    pub fn new(imports: Arc<dyn ImportStore>) -> Self {
        Self { imports }
    }
}

fn not_a_login() -> ConnectorError {
    ConnectorError::Internal("a statement is uploaded, not logged into".into())
}

#[async_trait]
impl Connector for StatementFiles {
    fn name(&self) -> &str {
        STATEMENT_CONNECTOR
    }

    fn institutions(&self) -> Vec<Institution> {
        vec![other_bank()]
    }

    fn serves_way_in(&self) -> Option<WayIn> {
        Some(WayIn::File)
    }

    async fn login(&self, _: &Institution, _: AuthMethod, _: &Credentials) -> Result<LoginStep, ConnectorError> {
        Err(not_a_login())
    }

    async fn answer_challenge(&self, _: &Institution, _: &str, _: &Credentials) -> Result<LoginStep, ConnectorError> {
        Err(not_a_login())
    }

    /// The account's statement as it was read at upload; the same every time (a newer
    /// statement links again and renews the handle).
    async fn fetch(&self, account: ConnectorAccount<'_>) -> Result<FetchedData, ConnectorError> {
        let gone = || ConnectorError::Unreadable("the statement import behind the account is gone".into());
        let (import_id, index) = statement_account::parse_handle(account.connector_ref).ok_or_else(gone)?;
        let import = self
            .imports
            .statement_import(account.app_id, &import_id)
            .await
            .map_err(|err| ConnectorError::Transient(format!("reading the statement import: {err}")))?
            .ok_or_else(gone)?;
        let file = import.file.accounts.get(index).ok_or_else(gone)?;
        Ok(statement_account::fetched(file, account.currency))
    }
}

/// The institution of statements from banks no connector serves.
fn other_bank() -> Institution {
    Institution {
        id: OTHER_BANK_ID.into(),
        name: "Another bank (upload a statement)".into(),
        kind: InstitutionKind::PersonalBanking,
        bank_code: String::new(),
        nip_code: String::new(),
        country: "NG".into(),
        primary_color: "#4A5568".into(),
        icon: None,
        identifier: "passbook.statement".into(),
        status: InstitutionStatus::Operational,
        auth_methods: vec![AuthMethodSpec::statement_upload()],
    }
}
