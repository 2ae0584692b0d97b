//! How far a statement file can be trusted: named signals, each with where in the file it shows,
//! combined into one verdict that is never more certain than the evidence. Reconciliation (do the
//! numbers add up) is separate: a careful forger makes them add up, so the file's own history is
//! what tells an edit.
use serde::{Deserialize, Serialize};

use crate::statement_signature::SignatureCheck;

/// `original`: proven unchanged (a statement this installation signed). `altered`: evidence that
/// the file was changed after it was made. `suspicious`: signs that often go with an edit, none
/// conclusive. `unknown`: nothing either way (most genuine bank files, which carry no signature
/// Passbook can check).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Original,
    Altered,
    Suspicious,
    #[default]
    Unknown,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Original => "original",
            Self::Altered => "altered",
            Self::Suspicious => "suspicious",
            Self::Unknown => "unknown",
        }
    }

    /// Whether an app and the console should be told.
    pub fn flagged(self) -> bool {
        matches!(self, Self::Altered | Self::Suspicious)
    }
}

/// How much one signal weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weight {
    /// Settles the verdict: a signature that checks (original) or does not (altered).
    Proof,
    /// Enough alone to call the file altered.
    Strong,
    /// Enough alone to call it suspicious.
    Weak,
}

impl Weight {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Proof => "proof",
            Self::Strong => "strong",
            Self::Weak => "weak",
        }
    }
}

/// One thing the file shows about its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signal {
    /// A stable name: `editing_software`, `objects_replaced`, `passbook_signature_valid`, …
    pub code: String,
    pub weight: Weight,
    /// True for evidence that the file is genuine.
    #[serde(default)]
    pub genuine: bool,
    /// What it means, in words a loan officer can act on.
    pub explanation: String,
    /// Where the file shows it (`Info /Producer`, `page 2`, `byte 48213`, `docProps/app.xml`).
    pub place: String,
}

impl Signal {
    pub fn against(code: &str, weight: Weight, explanation: impl Into<String>, place: impl Into<String>) -> Self {
        Self { code: code.into(), weight, genuine: false, explanation: explanation.into(), place: place.into() }
    }
}

/// A file's verdict with the signals behind it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Integrity {
    pub verdict: Verdict,
    pub signals: Vec<Signal>,
}

impl Integrity {
    /// Combines the signals: proof settles it; else any strong signal against the file makes it
    /// altered and any weak one suspicious; with none, unknown.
    pub fn judge(signals: Vec<Signal>) -> Self {
        let proof = signals.iter().find(|s| s.weight == Weight::Proof);
        let verdict = match proof {
            Some(p) if p.genuine => Verdict::Original,
            Some(_) => Verdict::Altered,
            None if signals.iter().any(|s| !s.genuine && s.weight == Weight::Strong) => Verdict::Altered,
            None if signals.iter().any(|s| !s.genuine) => Verdict::Suspicious,
            None => Verdict::Unknown,
        };
        Self { verdict, signals }
    }

    /// As the API and webhooks show it.
    pub fn wire(&self) -> passbook_types::passbook::IntegrityOut {
        passbook_types::passbook::IntegrityOut {
            verdict: self.verdict.as_str().into(),
            signals: self
                .signals
                .iter()
                .map(|s| passbook_types::passbook::IntegritySignalOut {
                    code: s.code.clone(),
                    weight: s.weight.as_str().into(),
                    genuine: s.genuine,
                    explanation: s.explanation.clone(),
                    place: s.place.clone(),
                })
                .collect(),
        }
    }

    /// The file's own evidence (from its reader) and its Passbook signature, judged together.
    pub fn of_file(mut evidence: Vec<Signal>, signature: &SignatureCheck) -> Self {
        // Saying "Passbook made me" matters only for a file without Passbook's signature.
        let claims_passbook = evidence.iter().position(|s| s.code == CLAIMS_PASSBOOK).map(|at| evidence.remove(at));
        match signature {
            SignatureCheck::Intact(manifest) => {
                evidence.push(Signal {
                    code: "passbook_signature_valid".into(),
                    weight: Weight::Proof,
                    genuine: true,
                    explanation: format!(
                        "Issued by this Passbook ({}) for account {} ({} to {}) and not changed since: its signature checks",
                        manifest.issuer, manifest.account_number, manifest.from, manifest.to
                    ),
                    place: "the signature line after %%EOF".into(),
                });
            }
            SignatureCheck::Edited { why, .. } => evidence.push(Signal::against(
                "passbook_signature_broken",
                Weight::Proof,
                format!("Issued by this Passbook and then edited: {why}"),
                "the signature line after %%EOF",
            )),
            SignatureCheck::OtherKey(manifest) => evidence.push(Signal::against(
                "passbook_signature_other_key",
                Weight::Weak,
                format!(
                    "Signed by another Passbook installation ({}, key {}), whose key this one cannot check",
                    manifest.issuer, manifest.key
                ),
                "the signature line after %%EOF",
            )),
            SignatureCheck::Unsigned => {
                if let Some(claim) = claims_passbook {
                    evidence.push(Signal::against(
                        "passbook_signature_missing",
                        Weight::Strong,
                        "Says it was generated by Passbook, but carries no Passbook signature: Passbook signs every \
                         statement it issues, so this one was re-made or re-saved after it left Passbook",
                        claim.place,
                    ));
                }
            }
        }
        Self::judge(evidence)
    }
}

/// The signal a reader raises for a file that says Passbook made it; judged with its signature.
pub const CLAIMS_PASSBOOK: &str = "claims_passbook";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verdict_is_never_more_certain_than_the_evidence() {
        assert_eq!(Integrity::judge(vec![]).verdict, Verdict::Unknown);
        let weak = Signal::against("modified_after_creation", Weight::Weak, "…", "Info");
        assert_eq!(Integrity::judge(vec![weak.clone()]).verdict, Verdict::Suspicious);
        let strong = Signal::against("editing_software", Weight::Strong, "…", "Info /Producer");
        assert_eq!(Integrity::judge(vec![weak.clone(), strong]).verdict, Verdict::Altered);
        let claims = Signal::against(CLAIMS_PASSBOOK, Weight::Weak, "…", "page 1");
        assert_eq!(Integrity::of_file(vec![claims], &SignatureCheck::Unsigned).verdict, Verdict::Altered);
    }
}
