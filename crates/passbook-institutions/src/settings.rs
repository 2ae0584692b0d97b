//! The live connectors as an operator configures them from the console or the CLI: each one's
//! form, and its saved values read into its options. The flags of `passbook serve` set the same
//! options (`crates/passbook/src/cli/connectors.rs`).
use std::time::Duration;

use passbook_domain::connector_setup::{ConnectorForm, ConnectorSettings, FieldProblem, SettingField};

use crate::enable_banking::ENABLE_BANKING_CONNECTOR;
use crate::mono::MONO_CONNECTOR;
use crate::{EnableBankingOptions, MonoOptions, SimpleFinOptions};

const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(30);

const fn field(name: &'static str, label: &'static str, help: &'static str) -> SettingField {
    SettingField { name, label, help, secret: false, multiline: false, required: false, default: "" }
}

const fn secret(name: &'static str, label: &'static str, help: &'static str) -> SettingField {
    SettingField { secret: true, required: true, ..field(name, label, help) }
}

const fn with_default(field: SettingField, default: &'static str) -> SettingField {
    SettingField { default, ..field }
}

pub const SIMPLEFIN: ConnectorForm = ConnectorForm {
    name: "simplefin",
    title: "SimpleFIN",
    summary: "Banks in the US and Canada through each user's SimpleFIN Bridge: users paste a setup token on the link page.",
    docs: "docs/connectors/simplefin.md",
    fields: &[with_default(
        field(
            "daily_requests",
            "Requests per day",
            "Requests per access URL per UTC day (the bridge allows about 24).",
        ),
        "24",
    )],
};

pub const MONO: ConnectorForm = ConnectorForm {
    name: MONO_CONNECTOR,
    title: "Mono",
    summary: "Nigerian banks through your Mono business keys; Mono's institutions replace the sandbox banks. \
              Set Mono's webhook URL to <public URL>/passbook/v1/connectors/mono/notifications.",
    docs: "docs/connectors/mono.md",
    fields: &[
        secret("secret_key", "Secret key", "Your Mono secret key (live_sk_… or test_sk_…)."),
        secret("webhook_secret", "Webhook secret", "The webhook secret set in Mono's dashboard."),
        with_default(
            field("base_url", "API", "Mono's API, or another Mono-compatible API (a second Passbook)."),
            passbook_client::MONO_API,
        ),
        with_default(
            field(
                "realtime_per_day",
                "Real-time calls per day",
                "Billed real-time calls allowed per UTC day, over all accounts.",
            ),
            "100",
        ),
    ],
};

pub const ENABLE_BANKING: ConnectorForm = ConnectorForm {
    name: ENABLE_BANKING_CONNECTOR,
    title: "Enable Banking",
    summary: "UK and EU banks by PSD2 consent. Register <public URL>/link/consent-return as the application's redirect URL.",
    docs: "docs/connectors/enable-banking.md",
    fields: &[
        SettingField {
            secret: false,
            ..secret("application_id", "Application id", "From Enable Banking's control panel.")
        },
        SettingField {
            multiline: true,
            ..secret(
                "private_key_pem",
                "Private key (PEM)",
                "The application's private key, as the control panel gave it.",
            )
        },
        with_default(
            field("countries", "Countries", "Countries whose banks are offered, comma-separated ISO codes."),
            "FI",
        ),
        with_default(field("base_url", "API", "Enable Banking's API."), "https://api.enablebanking.com"),
        with_default(
            field(
                "consent_days",
                "Consent days",
                "The longest consent asked for (a bank's own maximum is never exceeded).",
            ),
            "90",
        ),
    ],
};

/// Every connector an operator can configure.
pub const FORMS: &[ConnectorForm] = &[SIMPLEFIN, MONO, ENABLE_BANKING];

/// A configured connector's options.
pub enum Configured {
    SimpleFin(SimpleFinOptions),
    Mono(MonoOptions),
    EnableBanking(EnableBankingOptions),
}

/// Reads saved values into the connector's options, or names the field that is wrong.
pub fn options(settings: &ConnectorSettings) -> Result<Configured, FieldProblem> {
    let values = Values(settings);
    Ok(match settings.name.as_str() {
        "simplefin" => Configured::SimpleFin(SimpleFinOptions {
            daily_requests: values.number("daily_requests", 24, 1..=1000)?,
            ..Default::default()
        }),
        MONO_CONNECTOR => Configured::Mono(MonoOptions {
            base_url: values.url("base_url", passbook_client::MONO_API)?,
            secret_key: values.required("secret_key")?,
            webhook_secret: values.required("webhook_secret")?,
            realtime_per_day: values.number("realtime_per_day", 100, 0..=100_000)?,
            timeout: UPSTREAM_TIMEOUT,
        }),
        ENABLE_BANKING_CONNECTOR => Configured::EnableBanking(EnableBankingOptions {
            base_url: values.url("base_url", "https://api.enablebanking.com")?,
            application_id: values.required("application_id")?,
            private_key_pem: values.pem("private_key_pem")?,
            countries: values.countries("countries")?,
            consent_days: values.number("consent_days", 90, 1..=730)?,
            timeout: UPSTREAM_TIMEOUT,
        }),
        other => return Err(FieldProblem::new("name", format!("No connector named '{other}' can be configured"))),
    })
}

struct Values<'a>(&'a ConnectorSettings);

impl Values<'_> {
    fn required(&self, field: &str) -> Result<String, FieldProblem> {
        self.0.get(field).map(str::to_string).ok_or_else(|| FieldProblem::new(field, format!("{field} is required")))
    }

    fn number<T: std::str::FromStr + PartialOrd + std::fmt::Display>(
        &self,
        field: &str,
        default: T,
        range: std::ops::RangeInclusive<T>,
    ) -> Result<T, FieldProblem> {
        let Some(text) = self.0.get(field) else { return Ok(default) };
        let wrong = || {
            FieldProblem::new(
                field,
                format!("{field} must be a whole number from {} to {}", range.start(), range.end()),
            )
        };
        let number: T = text.parse().map_err(|_| wrong())?;
        range.contains(&number).then_some(number).ok_or_else(wrong)
    }

    fn url(&self, field: &str, default: &str) -> Result<String, FieldProblem> {
        let url = self.0.get(field).unwrap_or(default);
        match reqwest::Url::parse(url) {
            Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => {
                Ok(url.trim_end_matches('/').to_string())
            }
            _ => Err(FieldProblem::new(field, format!("{field} must be an http or https URL"))),
        }
    }

    fn pem(&self, field: &str) -> Result<String, FieldProblem> {
        let pem = self.required(field)?;
        match pem.contains("-----BEGIN") && pem.contains("PRIVATE KEY-----") {
            true => Ok(pem),
            false => Err(FieldProblem::new(
                field,
                format!("{field} must be a PEM private key (-----BEGIN PRIVATE KEY-----…)"),
            )),
        }
    }

    fn countries(&self, field: &str) -> Result<Vec<String>, FieldProblem> {
        let countries: Vec<String> = self
            .0
            .get(field)
            .unwrap_or("FI")
            .split(',')
            .map(|c| c.trim().to_uppercase())
            .filter(|c| !c.is_empty())
            .collect();
        match !countries.is_empty()
            && countries.iter().all(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()))
        {
            true => Ok(countries),
            false => Err(FieldProblem::new(
                field,
                format!("{field} must be two-letter country codes separated by commas (FI,SE)"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn saved(name: &str, values: &[(&str, &str)]) -> ConnectorSettings {
        ConnectorSettings {
            name: name.into(),
            values: values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<BTreeMap<_, _>>(),
            version: "v".into(),
            updated_at: passbook_domain::Timestamp(0),
        }
    }

    #[test]
    fn saved_values_become_options_with_the_forms_defaults() {
        let Ok(Configured::Mono(mono)) = options(&saved("mono", &[("secret_key", "sk"), ("webhook_secret", "wh")]))
        else {
            panic!("mono's settings were not read")
        };
        assert_eq!((mono.base_url.as_str(), mono.realtime_per_day), (passbook_client::MONO_API, 100));
        let Ok(Configured::SimpleFin(simplefin)) = options(&saved("simplefin", &[("daily_requests", "12")])) else {
            panic!("simplefin's settings were not read")
        };
        assert_eq!(simplefin.daily_requests, 12);
        for form in FORMS {
            for field in form.fields.iter().filter(|f| !f.default.is_empty()) {
                let mut values: Vec<(&str, &str)> = vec![(field.name, field.default)];
                values
                    .extend(form.fields.iter().filter(|f| f.required).map(|f| (f.name, "-----BEGIN PRIVATE KEY-----")));
                assert!(
                    options(&saved(form.name, &values)).is_ok(),
                    "{}'s default {} is refused",
                    form.name,
                    field.name
                );
            }
        }
    }

    #[test]
    fn a_wrong_value_is_named() {
        let wrong = |name: &str, values: &[(&str, &str)]| options(&saved(name, values)).err().map(|p| p.field);
        assert_eq!(wrong("simplefin", &[("daily_requests", "0")]).as_deref(), Some("daily_requests"));
        assert_eq!(wrong("mono", &[("secret_key", "sk")]).as_deref(), Some("webhook_secret"));
        let mono = [("secret_key", "sk"), ("webhook_secret", "w"), ("base_url", "file:///etc/passwd")];
        assert_eq!(wrong("mono", &mono).as_deref(), Some("base_url"));
        let eb = [("application_id", "a"), ("private_key_pem", "not a key")];
        assert_eq!(wrong("enable_banking", &eb).as_deref(), Some("private_key_pem"));
        let eb = [("application_id", "a"), ("private_key_pem", "-----BEGIN PRIVATE KEY-----"), ("countries", "FIN")];
        assert_eq!(wrong("enable_banking", &eb).as_deref(), Some("countries"));
    }
}
