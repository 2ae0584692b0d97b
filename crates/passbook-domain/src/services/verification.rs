//! Checking a statement file anyone hands in: whether this Passbook issued it and it is intact,
//! and what the file's own history shows (the same evidence an import records).
use super::Passbook;
use crate::integrity::Integrity;
use crate::model::App;
use crate::statement_file::StatementReader;
use crate::statement_signature::{SignatureCheck, Signer};
use crate::{Error, Result};

/// What a file came to.
#[derive(Debug, Clone)]
pub struct Verification {
    pub signature: SignatureCheck,
    pub integrity: Integrity,
}

impl Verification {
    /// Checks `file` against `signer` and judges what `reader` finds of its history. A file
    /// that is not a statement the reader can read is still checked for its signature.
    pub fn of(reader: &dyn StatementReader, signer: &Signer, file: &[u8], password: Option<&str>) -> Self {
        let signature = signer.check(file);
        let evidence = reader.read(file, None, password).map(|f| f.evidence).unwrap_or_default();
        let integrity = Integrity::of_file(evidence, &signature);
        Self { signature, integrity }
    }
}

impl Passbook {
    /// [`Verification::of`], on the reader pool (reading a PDF is CPU work).
    pub async fn verify_statement(&self, app: &App, file: Vec<u8>, password: Option<String>) -> Result<Verification> {
        if file.is_empty() {
            return Err(Error::invalid("statement", "statement (the file) is empty"));
        }
        let (reader, signer) = (self.statements.clone(), self.signer.clone());
        self.readers.read(&app.id, move || Verification::of(&*reader, &signer, &file, password.as_deref())).await
    }
}
