//! Institution connectors. Each implements [`passbook_domain::Connector`]; the server only
//! ever talks to the trait, so a real bank connector is one more module here.
//!
//! This release ships the [`sandbox`] connector: realistic Nigerian institutions whose logins
//! and data are simulated deterministically, for development and tests.
pub mod sandbox;

pub use sandbox::{SandboxConnector, SandboxOptions};
