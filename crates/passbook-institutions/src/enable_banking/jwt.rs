//! Enable Banking's application JWT: RS256 over `{iss, aud, iat, exp}`, with the application id
//! as `kid`, signed with the application's private key (ring, which TLS already builds).
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};

/// How long one token is valid (Enable Banking accepts at most a day).
const LIFETIME_SECS: i64 = 3600;

pub struct Signer {
    application_id: String,
    key: RsaKeyPair,
}

impl Signer {
    /// The application's key, PEM (`PRIVATE KEY`, PKCS #8, as Enable Banking's control panel
    /// gives it, or `RSA PRIVATE KEY`, PKCS #1).
    pub fn new(application_id: &str, pem: &str) -> Result<Self, String> {
        let der = pem_body(pem).ok_or("the key is not a PEM file")?;
        let key = if pem.contains("BEGIN RSA PRIVATE KEY") {
            RsaKeyPair::from_der(&der)
        } else {
            RsaKeyPair::from_pkcs8(&der)
        }
        .map_err(|e| format!("the key is not an RSA private key: {e}"))?;
        Ok(Self { application_id: application_id.to_string(), key })
    }

    /// A token for requests made at `now` (seconds since the epoch).
    pub fn token(&self, now: i64) -> Result<String, String> {
        let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "kid": self.application_id});
        let claims = serde_json::json!({"iss": "enablebanking.com", "aud": "api.enablebanking.com", "iat": now, "exp": now + LIFETIME_SECS});
        let signed =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &ring::rand::SystemRandom::new(), signed.as_bytes(), &mut signature)
            .map_err(|_| "signing the application token failed".to_string())?;
        Ok(format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }
}

/// The DER inside a PEM file's first block.
pub fn pem_body(pem: &str) -> Option<Vec<u8>> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .skip_while(|l| !l.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok().filter(|der| !der.is_empty())
}
