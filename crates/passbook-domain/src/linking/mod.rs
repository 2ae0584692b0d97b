//! Linking as one state machine.
//!
//! A link's [`LinkState`](crate::model::LinkState) carries exactly the data of its step. Each
//! entry point (the hosted page, the widget, the Partners API) parses what the user did into a
//! [`LinkAction`]; [`decide`] turns a state and an action into the next state and the
//! [`LinkEvent`]s to record, or tells the shell to ask the bank ([`after_bank`] takes the
//! answer) or to link accounts ([`linked`] ends the link). The functions here are pure: the
//! shell in `services::link_flow` loads the session, talks to the connector and saves.
mod events;
mod machine;
#[cfg(test)]
mod tests;

pub use events::{InstitutionRef, LinkEvent, error_type, user_message};
pub use machine::*;
