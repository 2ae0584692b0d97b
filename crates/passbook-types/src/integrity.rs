//! Whether a statement file was changed after it was made, as the API and webhooks say it.
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How far a statement file can be trusted: `original` (proven unchanged: a statement this
/// Passbook signed), `altered` (evidence it was changed after it was made), `suspicious` (signs
/// that often go with an edit, none conclusive) or `unknown` (nothing either way, as for most
/// genuine bank files); with the signals behind it. Reconciliation (`data_status`) is separate.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct IntegrityOut {
    pub verdict: String,
    pub signals: Vec<IntegritySignalOut>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct IntegritySignalOut {
    /// A stable name: `editing_software`, `objects_replaced`, `text_hidden_under_box`,
    /// `passbook_signature_valid`, `passbook_signature_broken`, …
    pub code: String,
    /// `proof` (settles the verdict), `strong` (enough to call the file altered) or `weak`.
    pub weight: String,
    /// True for evidence that the file is genuine.
    pub genuine: bool,
    /// What it means.
    pub explanation: String,
    /// Where the file shows it.
    pub place: String,
}
