//! The connectors as the console shows and sets them: each one's health, from its
//! institutions' health and the upstream requests it counted, and its saved settings.
use std::collections::BTreeMap;

use super::{Console, InstitutionHealth, Signed};
use crate::model::Permission;
use crate::{Result, Timestamp};

const DAY_MS: i64 = 86_400_000;

/// A connector: its institutions, their links and last failed fetch over the period, and the
/// upstream requests it counted today (SimpleFIN's daily allowance, Mono's billed real-time
/// calls, Enable Banking's unattended refreshes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectorHealth {
    pub name: String,
    pub institutions: usize,
    pub links: u64,
    pub linked: u64,
    pub requests_today: u64,
    pub last_failure: Option<(Timestamp, String)>,
}

impl Console<'_> {
    /// Sums `institutions` (from [`Passbook::institution_health`]) by the connector that serves
    /// each.
    pub async fn connector_health(&self, institutions: &[InstitutionHealth]) -> Result<Vec<ConnectorHealth>> {
        let today = Timestamp(self.passbook.now().0.div_euclid(DAY_MS) * DAY_MS);
        let listing = self.passbook.institutions().now();
        let mut all = Vec::new();
        for connector in self.passbook.institutions().connectors().iter() {
            let name = connector.name().to_string();
            let served: Vec<&InstitutionHealth> = institutions
                .iter()
                .filter(|h| listing.connector(&h.institution.id).is_some_and(|(_, c)| c.name() == name))
                .collect();
            all.push(ConnectorHealth {
                institutions: served.len(),
                links: served.iter().map(|h| h.links).sum(),
                linked: served.iter().map(|h| h.linked).sum(),
                last_failure: served.iter().filter_map(|h| h.last_failure.clone()).max_by_key(|(at, _)| *at),
                requests_today: self.store.requests_counted(&format!("{name}:"), today).await?,
                name,
            });
        }
        Ok(all)
    }

    /// The console's save of a connector's settings: owners only.
    pub async fn configure_connector(&self, by: &Signed, name: &str, values: BTreeMap<String, String>) -> Result<()> {
        self.allow(by, Permission::ConfigureConnectors).await?;
        self.passbook.configure_connector(&by.actor(), name, values).await
    }

    /// The console's switch-off of a connector: owners only.
    pub async fn remove_connector(&self, by: &Signed, name: &str) -> Result<()> {
        self.allow(by, Permission::ConfigureConnectors).await?;
        self.passbook.remove_connector(&by.actor(), name).await
    }
}
