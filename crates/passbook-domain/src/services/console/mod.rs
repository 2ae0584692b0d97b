//! The operator console's rules: who gets in (the setup link, invitations, logins with limits,
//! sessions bound to one browser), what each role may do, and the actions themselves. Each
//! action checks the operator's role first and writes its audit line itself, so the HTTP layer
//! cannot forget either.
mod access;
mod actions;
mod connectors;
mod overview;

pub use access::*;
pub use actions::*;
pub use connectors::*;
pub use overview::*;

use super::Passbook;
pub use super::apps::{KEY_OVERLAPS_HOURS, RotatedKey};
use crate::store::ConsoleStore;

/// The console's service: [`Passbook::console`]. It keeps its own records (operators,
/// sessions, invitations, the audit log, institution switches) in the [`ConsoleStore`] alone,
/// and changes apps, accounts and events only through the services the API uses.
#[derive(Clone, Copy)]
pub struct Console<'a> {
    passbook: &'a Passbook,
    store: &'a dyn ConsoleStore,
}

impl Passbook {
    /// The operator console's rules and actions.
    pub fn console(&self) -> Console<'_> {
        Console { passbook: self, store: self.store.as_ref() }
    }
}
