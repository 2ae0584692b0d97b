//! Passbook's domain: the models, the rules and the services that carry out the Connect
//! flow. It knows nothing of HTTP or SQL: storage is the [`Store`] port, institutions are the
//! [`Connector`] port, and both are implemented in their own crates.

pub mod categorise;
pub mod clock;
pub mod connector;
pub mod connector_setup;
pub mod crypto;
pub mod error;
pub mod ids;
pub mod income;
pub mod institutions;
pub mod integrity;
pub mod linking;
pub mod metrics;
pub mod model;
pub mod net;
pub mod numbers;
pub mod read_deadline;
pub mod services;
pub mod statement_account;
pub mod statement_file;
pub mod statement_pdf;
pub mod statement_signature;
pub mod store;
pub mod sync;
pub mod webhook_payloads;
pub mod webhook_signature;

pub use clock::{Clock, SystemClock, Timestamp};
pub use connector::Connector;
pub use crypto::Vault;
pub use error::{Error, Result};
pub use institutions::{Institutions, Listing};
pub use services::Passbook;
pub use store::Store;
