//! Statements Passbook issues carry a signature, so that an edited one is known for certain to
//! be edited, and an unedited one to be genuine, by this installation or by anyone holding its
//! public key.
//!
//! The signature is one PDF comment line after the file's end (`%%EOF`), which PDF readers pass
//! over:
//!
//! ```text
//! %PassbookSignature {"v":1,"key":"…","account":…,"sha256":"…","signature":"…"}
//! ```
//!
//! `sha256` is the SHA-256 of every byte before that line; `signature` is Ed25519, by the key
//! named by `key`, over the line's JSON without its `signature` field, exactly as written (fields
//! in the order of [`Manifest`]). A lender without Passbook checks a file with the published
//! public key (`GET /passbook/v1/statements/signing-key`) and these two rules.
//!
//! A JSON statement is one object, `{"passbook_statement": {…}, "signature": {…}}`, where JSON
//! has no comments and its writers no fixed order: there `sha256` is of the statement object and
//! `signature` over the signature object without its `signature` field, each in the JSON
//! Canonicalization Scheme (RFC 8785: keys sorted, no whitespace; the statement holds only
//! strings, integers and nulls), which any JSON library can produce.
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier, VerifyingKey};
use serde::Deserialize;
use sha2::{Digest, Sha256};

const MARK: &[u8] = b"\n%PassbookSignature ";
/// The key of a signed JSON statement's content.
pub const JSON_STATEMENT: &str = "passbook_statement";

/// What a signed statement says it is (the wire shape both signed formats carry).
pub use passbook_types::passbook::StatementManifest as Manifest;

use passbook_types::passbook::JsonStatementSignatureOut as SignedManifest;

/// The installation's statement key: derived from the master key, so it needs no storage and
/// every process has the same one (a new master key makes a new statement key; statements
/// signed before then no longer check against the published key).
#[derive(Clone)]
pub struct Signer {
    key: SigningKey,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Signer({})", self.key_id())
    }
}

/// What checking a file's Passbook signature found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureCheck {
    /// No signature line.
    Unsigned,
    /// Signed by this installation, and not a byte changed since.
    Intact(Manifest),
    /// Signed by this installation, then changed.
    Edited { manifest: Option<Manifest>, why: String },
    /// Signed with a key that is not this installation's.
    OtherKey(Manifest),
}

impl Signer {
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self { key: SigningKey::from_bytes(&seed) }
    }

    pub fn public_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    /// The public key, base64.
    pub fn public_key_base64(&self) -> String {
        STANDARD.encode(self.public_key().as_bytes())
    }

    /// The first 16 hex digits of the SHA-256 of the public key.
    pub fn key_id(&self) -> String {
        hex::encode(&Sha256::digest(self.public_key().as_bytes())[..8])
    }

    /// `pdf` with its signature line appended; `manifest`'s `key` and `sha256` are filled in.
    pub fn sign(&self, mut pdf: Vec<u8>, mut manifest: Manifest) -> Vec<u8> {
        if !pdf.ends_with(b"\n") {
            pdf.push(b'\n');
        }
        manifest.key = self.key_id();
        manifest.sha256 = hex::encode(Sha256::digest(&pdf));
        let unsigned = serde_json::to_string(&manifest).expect("a manifest serialises");
        let signature = STANDARD.encode(self.key.sign(unsigned.as_bytes()).to_bytes());
        let line = serde_json::to_string(&SignedManifest { manifest, signature }).expect("a manifest serialises");
        pdf.extend_from_slice(&MARK[1..]);
        pdf.extend_from_slice(line.as_bytes());
        pdf.push(b'\n');
        pdf
    }

    /// A JSON statement document holding `statement`, signed; `manifest`'s `key` and `sha256` are
    /// filled in.
    pub fn sign_json(&self, statement: serde_json::Value, mut manifest: Manifest) -> Vec<u8> {
        manifest.key = self.key_id();
        manifest.sha256 = hex::encode(Sha256::digest(canonical(&statement)));
        let unsigned = serde_json::to_value(&manifest).expect("a manifest serialises");
        let signature = STANDARD.encode(self.key.sign(canonical(&unsigned).as_bytes()).to_bytes());
        let signed = SignedManifest { manifest, signature };
        let document = serde_json::json!({ JSON_STATEMENT: statement, "signature": signed });
        serde_json::to_vec_pretty(&document).expect("a statement serialises")
    }

    /// Checks the file's signature line against this installation's key.
    pub fn check(&self, file: &[u8]) -> SignatureCheck {
        check_with(&self.public_key(), &self.key_id(), file)
    }
}

/// RFC 8785's form of a value: serde_json's maps keep their keys sorted, and its compact output
/// is the scheme's for strings, integers and nulls.
fn canonical(value: &serde_json::Value) -> String {
    value.to_string()
}

/// A signed JSON statement as written.
#[derive(Deserialize)]
struct SignedJson {
    passbook_statement: serde_json::Value,
    signature: serde_json::Value,
}

/// Checks `file` against `public_key` (whose id is `key_id`).
pub fn check_with(public_key: &VerifyingKey, key_id: &str, file: &[u8]) -> SignatureCheck {
    if file.trim_ascii_start().starts_with(b"{") {
        return match serde_json::from_slice::<SignedJson>(file) {
            Ok(document) => check_json(public_key, key_id, document),
            Err(_) => SignatureCheck::Unsigned,
        };
    }
    let Some(at) = file.windows(MARK.len()).rposition(|w| w == MARK) else {
        return SignatureCheck::Unsigned;
    };
    let signed_part = &file[..=at];
    let line = &file[at + MARK.len()..];
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let edited = |manifest: Option<Manifest>, why: &str| SignatureCheck::Edited { manifest, why: why.to_string() };
    let Ok(signed) = serde_json::from_slice::<SignedManifest>(line) else {
        return edited(None, "the signature line is not the one Passbook wrote (it was changed, or text follows it)");
    };
    let manifest = signed.manifest;
    if manifest.key != key_id {
        return SignatureCheck::OtherKey(manifest);
    }
    let Ok(signature) = STANDARD.decode(&signed.signature).ok().and_then(|s| Signature::from_slice(&s).ok()).ok_or(())
    else {
        return edited(Some(manifest), "the signature is not an Ed25519 signature");
    };
    let unsigned = serde_json::to_string(&manifest).expect("a manifest serialises");
    if public_key.verify(unsigned.as_bytes(), &signature).is_err() {
        return edited(
            Some(manifest),
            "the statement's details (account, period, balances) were changed after signing",
        );
    }
    if hex::encode(Sha256::digest(signed_part)) != manifest.sha256 {
        return edited(Some(manifest), "the statement's content was changed after signing");
    }
    SignatureCheck::Intact(manifest)
}

fn check_json(public_key: &VerifyingKey, key_id: &str, document: SignedJson) -> SignatureCheck {
    let edited = |manifest: Option<Manifest>, why: &str| SignatureCheck::Edited { manifest, why: why.to_string() };
    let Ok(signed) = serde_json::from_value::<SignedManifest>(document.signature) else {
        return edited(None, "the signature object is not the one Passbook wrote");
    };
    let manifest = signed.manifest;
    if manifest.key != key_id {
        return SignatureCheck::OtherKey(manifest);
    }
    let Some(signature) = STANDARD.decode(&signed.signature).ok().and_then(|s| Signature::from_slice(&s).ok()) else {
        return edited(Some(manifest), "the signature is not an Ed25519 signature");
    };
    let unsigned = serde_json::to_value(&manifest).expect("a manifest serialises");
    if public_key.verify(canonical(&unsigned).as_bytes(), &signature).is_err() {
        return edited(
            Some(manifest),
            "the statement's details (account, period, balances) were changed after signing",
        );
    }
    if hex::encode(Sha256::digest(canonical(&document.passbook_statement))) != manifest.sha256 {
        return edited(Some(manifest), "the statement's content (its rows or details) was changed after signing");
    }
    SignatureCheck::Intact(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            v: 1,
            key: String::new(),
            issuer: "http://127.0.0.1:8080".into(),
            account: "65a1b2c3d4e5f60718293a4b".into(),
            institution: "GTBank".into(),
            account_number: "0123456789".into(),
            currency: "NGN".into(),
            from: "2026-01-01".into(),
            to: "2026-06-30".into(),
            opening_balance: 10_000,
            closing_balance: 25_000,
            transactions: 3,
            issued_at: "2026-07-01T00:00:00Z".into(),
            sha256: String::new(),
        }
    }

    #[test]
    fn a_signed_file_checks_and_any_change_is_caught() {
        let signer = Signer::from_seed([3; 32]);
        let pdf = b"%PDF-1.4\n1 0 obj\n(Credit 60000.00)\nendobj\n%%EOF\n".to_vec();
        let signed = signer.sign(pdf.clone(), manifest());
        let SignatureCheck::Intact(m) = signer.check(&signed) else { panic!("intact") };
        assert_eq!((m.account_number.as_str(), m.key.len()), ("0123456789", 16));

        let mut digit = signed.clone();
        let at = digit.windows(5).position(|w| w == b"60000").unwrap();
        digit[at] = b'9';
        assert!(matches!(signer.check(&digit), SignatureCheck::Edited { .. }), "a digit of the content");

        let text = String::from_utf8(signed.clone())
            .unwrap()
            .replace("\"closing_balance\":25000", "\"closing_balance\":95000");
        assert!(matches!(signer.check(text.as_bytes()), SignatureCheck::Edited { .. }), "a figure of the manifest");

        assert_eq!(signer.check(&pdf), SignatureCheck::Unsigned);
        assert!(matches!(Signer::from_seed([4; 32]).check(&signed), SignatureCheck::OtherKey(_)));
        let mut appended = signed.clone();
        appended.extend_from_slice(b"1 0 obj\n(Credit 99000.00)\nendobj\n%%EOF\n");
        assert!(matches!(signer.check(&appended), SignatureCheck::Edited { .. }), "an incremental update after it");
    }

    #[test]
    fn a_signed_json_statement_checks_in_any_layout_and_any_change_is_caught() {
        let signer = Signer::from_seed([3; 32]);
        let statement = serde_json::json!({"account_number": "0123456789", "transactions": [
            {"amount": 6_000_000, "type": "credit", "narration": "SALARY ₦ \"MAY\"", "balance": null},
        ]});
        let signed = signer.sign_json(statement, manifest());
        let SignatureCheck::Intact(m) = signer.check(&signed) else { panic!("intact") };
        assert_eq!(m.account_number, "0123456789");

        // Read and written again by another JSON library: keys reordered, whitespace gone.
        let value: serde_json::Value = serde_json::from_slice(&signed).unwrap();
        assert!(matches!(signer.check(value.to_string().as_bytes()), SignatureCheck::Intact(_)), "re-serialised");

        let raised = String::from_utf8(signed.clone()).unwrap().replace("6000000", "9000000");
        assert!(matches!(signer.check(raised.as_bytes()), SignatureCheck::Edited { .. }), "an amount");
        let closing = String::from_utf8(signed.clone())
            .unwrap()
            .replace("\"closing_balance\": 25000", "\"closing_balance\": 95000");
        assert!(matches!(signer.check(closing.as_bytes()), SignatureCheck::Edited { .. }), "a figure of the manifest");
        let mut removed = value.clone();
        removed["passbook_statement"]["transactions"].as_array_mut().unwrap().clear();
        assert!(matches!(signer.check(removed.to_string().as_bytes()), SignatureCheck::Edited { .. }), "a row gone");
        assert!(matches!(Signer::from_seed([4; 32]).check(&signed), SignatureCheck::OtherKey(_)));
        assert_eq!(signer.check(b"{\"rows\": []}"), SignatureCheck::Unsigned);
    }
}
