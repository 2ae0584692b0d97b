//! Checking a statement file anyone hands in: whether this Passbook issued it and it is intact,
//! and what the file's own history shows (the same evidence an import records).
use super::Passbook;
use crate::integrity::Integrity;
use crate::model::App;
use crate::statement_signature::SignatureCheck;
use crate::{Error, Result};

/// What a file came to.
#[derive(Debug, Clone)]
pub struct Verification {
    pub signature: SignatureCheck,
    pub integrity: Integrity,
}

impl Passbook {
    /// Checks `file` (on the reader pool: reading a PDF is CPU work). A file that is not a
    /// statement Passbook can read is still checked for its signature.
    pub async fn verify_statement(&self, app: &App, file: Vec<u8>, password: Option<String>) -> Result<Verification> {
        if file.is_empty() {
            return Err(Error::invalid("statement", "statement (the file) is empty"));
        }
        let (reader, signer) = (self.statements.clone(), self.signer.clone());
        self.readers
            .read(&app.id, move || {
                let signature = signer.check(&file);
                let evidence = reader.read(&file, None, password.as_deref()).map(|f| f.evidence).unwrap_or_default();
                let integrity = Integrity::of_file(evidence, &signature);
                Verification { signature, integrity }
            })
            .await
    }
}
