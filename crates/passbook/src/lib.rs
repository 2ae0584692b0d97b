//! The `passbook` binary's library: configuration, key handling and the assembly of store,
//! connectors, domain, HTTP server and workers into one running server.
pub mod app;
pub mod cli;
pub mod config;
pub mod connectors;
pub mod keys;
pub mod memory;

pub use app::{Server, start};
pub use config::Config;
