//! Amounts as decimal text in a currency's major unit (`"-33293.43"`), the way SimpleFIN, Enable
//! Banking and most open-banking APIs write them, to and from Passbook's minor units.

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
    let digits = minor_digits(currency) as usize;
    let amount = amount.trim();
    let (negative, unsigned) = match amount.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, amount.strip_prefix('+').unwrap_or(amount)),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    let kept = &fraction[..fraction.len().min(digits)];
    if fraction[kept.len()..].bytes().any(|b| b != b'0') {
        return None;
    }
    let scaled = format!("{whole}{kept:0<digits$}");
    let value: i64 = if scaled.is_empty() { 0 } else { scaled.parse().ok()? };
    Some(if negative { -value } else { value })
}

/// Minor units of `currency` as the protocol's decimal string (`-3329343` → `"-33293.43"`).
pub fn decimal(minor: i64, currency: Option<&str>) -> String {
    let digits = minor_digits(currency);
    let sign = if minor < 0 { "-" } else { "" };
    let unit = 10u64.pow(digits);
    let (whole, fraction) = (minor.unsigned_abs() / unit, minor.unsigned_abs() % unit);
    match digits {
        0 => format!("{sign}{whole}"),
        _ => format!("{sign}{whole}.{fraction:0width$}", width = digits as usize),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn decimals_round_trip() {
        for (minor, currency, text) in [
            (-3_329_343, "USD", "-33293.43"),
            (5, "NGN", "0.05"),
            (0, "NGN", "0.00"),
            (1500, "JPY", "1500"),
            (2125, "KWD", "2.125"),
        ] {
            assert_eq!(decimal(minor, Some(currency)), text);
            assert_eq!(minor_units(text, Some(currency)), Some(minor));
        }
    }
}
