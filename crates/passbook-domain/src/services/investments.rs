//! Investment platforms: holdings (`/assets`) and earnings (`/earnings`), read from the
//! institution when asked.
use super::Passbook;
use crate::connector::{ConnectorAccount, Investments};
use crate::model::{Account, AccountId, App, InstitutionKind};
use crate::{Error, Result};

impl Passbook {
    pub async fn investments(&self, app: &App, id: &AccountId) -> Result<AccountInvestments> {
        let account = self.accounts().get(app, id).await?;
        let not_investment = || {
            Error::invalid(
                "id",
                "Earnings and assets exist only for accounts at investment platforms (type INVESTMENT_PLATFORM)",
            )
        };
        let institution = self.institutions.get(&account.institution_id).ok_or_else(not_investment)?;
        let connector = self.institutions.connector_for(&account).ok_or_else(not_investment)?;
        if institution.kind != InstitutionKind::InvestmentPlatform {
            return Err(not_investment());
        }
        let found = connector
            .investments(ConnectorAccount::of(&account, true, self.clock.now()))
            .await
            .map_err(|e| Error::Conflict(format!("The platform did not answer: {e}")))?;
        Ok(AccountInvestments { investments: found.ok_or_else(not_investment)?, account })
    }
}

/// An investment platform account with its holdings and earnings.
pub struct AccountInvestments {
    pub account: Account,
    pub investments: Investments,
}
