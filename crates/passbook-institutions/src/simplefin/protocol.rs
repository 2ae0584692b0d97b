//! The SimpleFIN protocol (<https://www.simplefin.org/protocol.html>) as this connector reads it:
//! setup tokens, access URLs, and the account set `GET /accounts` answers (versions 1 and 2).
use base64::Engine;
use serde::Deserialize;

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
    let mut out = Vec::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `GET /accounts`: the accounts, and what went wrong reaching some of them.
#[derive(Debug, Deserialize)]
pub struct AccountSet {
    /// Version 1: messages meant for the user.
    #[serde(default)]
    pub errors: Vec<String>,
    /// Version 2: the same, with codes and the connection or account they concern.
    #[serde(default)]
    pub errlist: Vec<ErrorItem>,
    #[serde(default)]
    pub accounts: Vec<Account>,
}

impl AccountSet {
    /// Every message the bridge sent, for the log.
    pub fn messages(&self) -> Vec<String> {
        self.errors.iter().cloned().chain(self.errlist.iter().map(|e| format!("{}: {}", e.code, e.msg))).collect()
    }
}

#[derive(Debug, Deserialize)]
pub struct ErrorItem {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub msg: String,
}

#[derive(Debug, Deserialize)]
pub struct Account {
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// An ISO 4217 code, or a URL naming a custom currency.
    #[serde(default)]
    pub currency: String,
    pub balance: String,
    #[serde(default)]
    pub transactions: Vec<Transaction>,
}

#[derive(Debug, Deserialize)]
pub struct Transaction {
    pub id: String,
    /// When it posted (seconds since the epoch); 0 while pending.
    #[serde(default)]
    pub posted: i64,
    pub amount: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub pending: bool,
    #[serde(default)]
    pub transacted_at: Option<i64>,
}

/// The currency code, when the account states one; a custom currency (a URL) stays unknown.
pub fn currency_code(currency: &str) -> Option<&str> {
    (currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_uppercase())).then_some(currency)
}

/// How many digits of an amount in `currency` are minor units (ISO 4217's exponent).
fn minor_digits(currency: Option<&str>) -> u32 {
    match currency {
        Some("BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX" | "VND" | "VUV")
        | Some("XAF" | "XOF" | "XPF") => 0,
        Some("BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND") => 3,
        _ => 2,
    }
}

/// A decimal amount (`"-33293.43"`) in minor units of `currency`; `None` when it is not a
/// number or states more precision than the currency has (rounding would change the amount).
pub fn minor_units(amount: &str, currency: Option<&str>) -> Option<i64> {
    let digits = minor_digits(currency);
    let amount = amount.trim();
    let (negative, unsigned) = match amount.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, amount.strip_prefix('+').unwrap_or(amount)),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let kept = fraction.get(..fraction.len().min(digits as usize)).unwrap_or("");
    if fraction[kept.len()..].bytes().any(|b| b != b'0') {
        return None;
    }
    let scaled = format!("{whole}{kept:0<width$}", width = digits as usize);
    let value: i64 = if scaled.is_empty() { 0 } else { scaled.parse().ok()? };
    Some(if negative { -value } else { value })
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

    #[test]
    fn amounts_keep_every_digit_or_are_refused() {
        assert_eq!(minor_units("-33293.43", Some("USD")), Some(-3_329_343));
        assert_eq!(minor_units("12", Some("USD")), Some(1200));
        assert_eq!(minor_units("0.5", Some("USD")), Some(50));
        assert_eq!(minor_units("1.230", Some("USD")), Some(123));
        assert_eq!(minor_units("1.234", Some("USD")), None, "rounding would change the amount");
        assert_eq!(minor_units("1500", Some("JPY")), Some(1500));
        assert_eq!(minor_units("1.5", Some("JPY")), None);
        assert_eq!(minor_units("2.125", Some("KWD")), Some(2125));
        assert_eq!(minor_units("0.00", None), Some(0));
        for bad in ["", "-", ".", "1,000.00", "abc", "1e5", "--1"] {
            assert_eq!(minor_units(bad, Some("USD")), None, "{bad}");
        }
    }
}
