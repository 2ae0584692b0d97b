//! Mono v2 wire types: the exact JSON shapes Passbook sends and accepts.
//!
//! Nothing here knows about storage or HTTP. REST bodies are snake_case with `id`; webhook
//! payloads are camelCase with `_id`, as Mono sends them (see `mono-wire-contract.md` §6 item 8).

pub mod accounts;
pub mod connect;
pub mod customers;
pub mod envelope;
pub mod institutions;
pub mod integrity;
pub mod linking;
pub mod money;
pub mod partners;
pub mod passbook;
pub mod patterns;
pub mod simplefin;
pub mod webhooks;
pub mod whole;

pub use envelope::{Failure, FieldError, ListMeta, PageMeta, PageQuery, Success};
