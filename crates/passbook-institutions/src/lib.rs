//! Institution connectors. Each implements [`passbook_domain::Connector`]; the server only
//! ever talks to the trait, so a real bank connector is one more module here.
//!
//! - [`sandbox`]: realistic Nigerian institutions whose logins and data are simulated
//!   deterministically, for development and tests.
//! - [`simplefin`]: banks in the US and Canada through the user's SimpleFIN Bridge.
//! - [`mono`]: Nigerian banks through the operator's Mono keys, Mono as the upstream.
//! - [`enable_banking`]: UK and EU banks by PSD2 consent, through Enable Banking.
//! - [`statement_files`]: accounts linked by uploading a statement, at any institution.
//!
//! [`settings`] holds the forms an operator fills in to configure the live ones.
pub mod enable_banking;
pub mod mono;
pub mod sandbox;
pub mod settings;
pub mod simplefin;
pub mod statement_files;

pub use enable_banking::{EnableBankingConnector, EnableBankingOptions};
pub use mono::{MonoConnector, MonoOptions};
pub use sandbox::{SandboxConnector, SandboxOptions};
pub use simplefin::{SimpleFinConnector, SimpleFinOptions};
pub use statement_files::StatementFiles;
