//! What a SimpleFIN client needs beside the account set (`passbook_types::simplefin`): setup
//! tokens and access URLs (<https://www.simplefin.org/protocol.html>).
use base64::Engine;

/// A setup token is a base64-encoded claim URL.
pub fn claim_url(setup_token: &str) -> Option<url::Url> {
    let token: String = setup_token.chars().filter(|c| !c.is_whitespace()).collect();
    let engines = [&base64::engine::general_purpose::STANDARD, &base64::engine::general_purpose::URL_SAFE];
    let bytes = engines.iter().find_map(|engine| engine.decode(&token).ok())?;
    url::Url::parse(std::str::from_utf8(&bytes).ok()?.trim()).ok().filter(|u| u.has_host())
}

/// An access URL split into where it points and the Basic credentials it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    /// The URL without its credentials; `/accounts` is appended to its path.
    pub base: url::Url,
    pub username: String,
    pub password: String,
}

impl Access {
    pub fn parse(access_url: &str) -> Option<Self> {
        let mut base = url::Url::parse(access_url.trim()).ok()?;
        let username = percent_decode(base.username())?;
        let password = percent_decode(base.password()?)?;
        if username.is_empty() || !base.has_host() {
            return None;
        }
        base.set_username("").ok()?;
        base.set_password(None).ok()?;
        Some(Self { base, username, password })
    }

    pub fn accounts_url(&self) -> url::Url {
        let mut url = self.base.clone();
        let path = format!("{}/accounts", url.path().trim_end_matches('/'));
        url.set_path(&path);
        url
    }

    /// The access URL again, for keeping (sealed) in the account's handle.
    pub fn to_url(&self) -> String {
        let mut url = self.base.clone();
        let _ = url.set_username(&self.username);
        let _ = url.set_password(Some(&self.password));
        url.to_string()
    }
}

fn percent_decode(text: &str) -> Option<String> {
    percent_encoding::percent_decode_str(text).decode_utf8().ok().map(|decoded| decoded.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setup_token_decodes_to_its_claim_url() {
        let token = base64::engine::general_purpose::STANDARD.encode("https://bridge.example/simplefin/claim/abc");
        assert_eq!(claim_url(&token).unwrap().as_str(), "https://bridge.example/simplefin/claim/abc");
        assert_eq!(claim_url(&format!("  {token}\n")).unwrap().host_str(), Some("bridge.example"));
        assert!(claim_url("not a token").is_none());
        assert!(claim_url(&base64::engine::general_purpose::STANDARD.encode("no url here")).is_none());
    }

    #[test]
    fn an_access_url_gives_its_credentials_apart() {
        let access = Access::parse("https://user:p%40ss@bridge.example/simplefin").unwrap();
        assert_eq!((access.username.as_str(), access.password.as_str()), ("user", "p@ss"));
        assert_eq!(access.accounts_url().as_str(), "https://bridge.example/simplefin/accounts");
        assert_eq!(Access::parse(&access.to_url()).unwrap(), access);
        assert!(Access::parse("https://bridge.example/simplefin").is_none(), "no credentials");
    }
}
