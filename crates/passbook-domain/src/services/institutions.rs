use passbook_types::institutions::InstitutionsQuery;

use super::Passbook;
use crate::model::{AuthMethod, Institution};
use crate::{Error, Result};

impl Passbook {
    /// The institutions matching `GET /v3/institutions` filters.
    pub async fn find_institutions(&self, query: &InstitutionsQuery) -> Result<Vec<Institution>> {
        let present = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        for (field, value) in [("name", &query.name), ("bank_code", &query.bank_code)] {
            if value.as_deref().is_some_and(|v| v.chars().any(char::is_control)) {
                return Err(Error::invalid(field, format!("{field} must not contain control characters")));
            }
        }
        if let Some(scope) = present(&query.scope).filter(|s| s != "financial_data") {
            return Err(Error::invalid("scope", format!("scope '{scope}' is not supported; use financial_data")));
        }
        let method = match present(&query.auth_method) {
            None => None,
            Some(raw) => Some(AuthMethod::parse(&raw).ok_or_else(|| {
                Error::invalid(
                    "auth_method",
                    format!("auth_method '{raw}' is not valid; use internet_banking or mobile_banking"),
                )
            })?),
        };
        let bank_code = present(&query.bank_code);
        let overrides = self.store.institution_overrides().await?;
        Ok(self
            .institutions
            .now()
            .search(query.name.as_deref().unwrap_or_default())
            .filter(|i| bank_code.as_deref().is_none_or(|code| i.bank_code == code || i.nip_code == code))
            .filter(|i| method.is_none_or(|m| i.supports(m)))
            .map(|i| super::console::with_override(i, &overrides))
            .collect())
    }
}
