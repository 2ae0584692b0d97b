//! Every institution Passbook can link, with the connector that serves it: a [`Listing`] read
//! from the connectors, which [`Institutions::refresh`] reads again while Passbook runs (an
//! upstream aggregator's coverage changes).
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::connector::{Connector, SandboxLogin};
use crate::model::{Account, AuthMethod, AuthMethodSpec, Institution, WayIn};

/// The institution of statements from banks no connector serves (the statement connector lists
/// it).
pub const OTHER_BANK_ID: &str = "5f2d08c0a0b0c0d0e0f00001";

/// The institutions as the connectors listed them at one moment. A connector that serves a way
/// in at every institution (the statement files) adds that way to every institution, and its
/// own institutions (the one that stands for any bank without a connector) come last.
pub struct Listing {
    entries: Vec<(Institution, Arc<dyn Connector>)>,
    by_id: HashMap<String, usize>,
    connectors: Arc<[Arc<dyn Connector>]>,
    /// The connectors that serve a way in at every institution.
    by_way: Vec<(WayIn, Arc<dyn Connector>)>,
}

impl Listing {
    fn of(connectors: Arc<[Arc<dyn Connector>]>) -> Self {
        let by_way: Vec<(WayIn, Arc<dyn Connector>)> =
            connectors.iter().filter_map(|c| Some((c.serves_way_in()?, c.clone()))).collect();
        let files = by_way.iter().any(|(way, _)| *way == WayIn::File);
        let mut entries = Vec::new();
        for connector in connectors.iter() {
            for mut institution in connector.institutions() {
                if files && !institution.supports(AuthMethod::StatementUpload) {
                    institution.auth_methods.push(AuthMethodSpec::statement_upload());
                }
                entries.push((institution, connector.clone()));
            }
        }
        entries.sort_by_key(|(institution, _)| (only_by_file(institution), institution.name.to_lowercase()));
        let by_id = entries.iter().enumerate().map(|(i, (inst, _))| (inst.id.clone(), i)).collect();
        Self { entries, by_id, connectors, by_way }
    }

    /// The connector an account's data is fetched through: the one that serves its way in at
    /// every institution (a statement account: the statement files), else its institution's.
    pub fn connector_for(&self, account: &Account) -> Option<&Arc<dyn Connector>> {
        let way = account.auth_method.way_in();
        match self.by_way.iter().find(|(served, _)| *served == way) {
            Some((_, connector)) => Some(connector),
            None => self.connector(&account.institution_id).map(|(_, connector)| connector),
        }
    }

    pub fn all(&self) -> impl Iterator<Item = &Institution> {
        self.entries.iter().map(|(i, _)| i)
    }

    pub fn get(&self, id: &str) -> Option<&Institution> {
        self.by_id.get(id).map(|&i| &self.entries[i].0)
    }

    /// The institution and the connector that lists it.
    pub fn connector(&self, id: &str) -> Option<(&Institution, &Arc<dyn Connector>)> {
        let (institution, connector) = &self.entries[*self.by_id.get(id)?];
        Some((institution, connector))
    }

    /// Institutions whose name or bank code contains `query` (case-insensitive).
    pub fn search<'a>(&'a self, query: &str) -> impl Iterator<Item = &'a Institution> {
        let q = query.trim().to_lowercase();
        self.all().filter(move |i| q.is_empty() || i.name.to_lowercase().contains(&q) || i.bank_code.contains(&q))
    }
}

/// What one refresh of the connectors' lists came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refreshed {
    pub changed: usize,
    pub failed: usize,
}

/// The connectors, and the institutions they list now. Both can change while Passbook runs:
/// an upstream's list ([`Institutions::refresh`]) and the connectors themselves, when an
/// operator configures one ([`Institutions::replace`]).
pub struct Institutions {
    listing: RwLock<Arc<Listing>>,
}

impl Institutions {
    pub fn new(connectors: Vec<Arc<dyn Connector>>) -> Self {
        Self { listing: RwLock::new(Arc::new(Listing::of(connectors.into()))) }
    }

    /// The institutions as listed now; hold it for the length of one piece of work, so that a
    /// refresh meanwhile does not change what that work sees.
    pub fn now(&self) -> Arc<Listing> {
        self.listing.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Puts `connectors` in the place of the running ones; new work sees them at once.
    pub fn replace(&self, connectors: Vec<Arc<dyn Connector>>) {
        *self.listing.write().unwrap_or_else(|poisoned| poisoned.into_inner()) =
            Arc::new(Listing::of(connectors.into()));
    }

    /// Asks every connector to read its upstream's list again; the new listing takes effect at
    /// once for new work. How many connectors' lists changed, and how many could not be read (a
    /// failure leaves a connector's list as it was, and is logged).
    pub async fn refresh(&self) -> Refreshed {
        let connectors = self.now().connectors.clone();
        let (mut changed, mut failed) = (0, 0);
        for connector in connectors.iter() {
            match connector.refresh_institutions().await {
                Ok(true) => changed += 1,
                Ok(false) => {}
                Err(err) => {
                    failed += 1;
                    tracing::warn!(connector = connector.name(), error = %err, "the institution list was not refreshed")
                }
            }
        }
        if changed > 0 {
            let mut listing = self.listing.write().unwrap_or_else(|poisoned| poisoned.into_inner());
            // Connectors replaced meanwhile listed themselves anew; these lists are theirs.
            if Arc::ptr_eq(&listing.connectors, &connectors) {
                *listing = Arc::new(Listing::of(connectors));
            }
        }
        Refreshed { changed, failed }
    }

    pub fn get(&self, id: &str) -> Option<Institution> {
        self.now().get(id).cloned()
    }

    /// The institution and the connector that lists it.
    pub fn connector(&self, id: &str) -> Option<(Institution, Arc<dyn Connector>)> {
        self.now().connector(id).map(|(institution, connector)| (institution.clone(), connector.clone()))
    }

    /// The connector an account's data is fetched through ([`Listing::connector_for`]).
    pub fn connector_for(&self, account: &Account) -> Option<Arc<dyn Connector>> {
        self.now().connector_for(account).cloned()
    }

    pub fn sandbox_logins(&self) -> Vec<SandboxLogin> {
        self.now().connectors.iter().flat_map(|c| c.sandbox_logins()).collect()
    }

    /// Every connector, in the order they were registered.
    pub fn connectors(&self) -> Arc<[Arc<dyn Connector>]> {
        self.now().connectors.clone()
    }

    /// The connector with this [`Connector::name`].
    pub fn named(&self, name: &str) -> Option<Arc<dyn Connector>> {
        self.now().connectors.iter().find(|c| c.name() == name).cloned()
    }
}

/// An institution reached only by a file: it sorts after the banks.
fn only_by_file(institution: &Institution) -> bool {
    institution.auth_methods.iter().all(|m| m.method.way_in() == WayIn::File)
}
