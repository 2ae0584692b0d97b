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
