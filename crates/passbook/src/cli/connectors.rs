//! Flags of the live connectors (SimpleFIN, Mono as the upstream, Enable Banking), shared by
//! `serve` and `worker`: both fetch.
use clap::Args;

use crate::Config;

#[derive(Debug, Args)]
pub struct ConnectorArgs {
    /// How often the connectors' institution lists (Mono's, Enable Banking's) are read again, in
    /// minutes.
    #[arg(long, env = "PASSBOOK_INSTITUTIONS_REFRESH_MINS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=10080))]
    pub institutions_refresh_mins: u64,
    /// Offer SimpleFIN (banks in the US and Canada, through each user's SimpleFIN Bridge): users
    /// paste a setup token on the link page. Its addresses follow --allow-private-webhooks.
    #[arg(long, env = "PASSBOOK_SIMPLEFIN")]
    pub simplefin: bool,
    /// Requests to SimpleFIN per access URL per UTC day (the bridge allows about 24).
    #[arg(long, env = "PASSBOOK_SIMPLEFIN_DAILY_REQUESTS", default_value_t = 24,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub simplefin_daily_requests: u32,
    /// Mono as the upstream: the operator's Mono secret key. Users link at Mono's page; Mono's
    /// institutions replace the sandbox banks. Set Mono's webhook URL to
    /// `<public URL>/passbook/v1/connectors/mono/notifications`.
    #[arg(long, env = "PASSBOOK_MONO_SECRET_KEY", hide_env_values = true, requires = "mono_webhook_secret")]
    pub mono_secret_key: Option<String>,
    /// The webhook secret set in Mono's dashboard.
    #[arg(long, env = "PASSBOOK_MONO_WEBHOOK_SECRET", hide_env_values = true)]
    pub mono_webhook_secret: Option<String>,
    /// Mono's API (or another Mono-compatible API, such as a second Passbook).
    #[arg(long, env = "PASSBOOK_MONO_BASE_URL", default_value = passbook_client::MONO_API)]
    pub mono_base_url: String,
    /// Real-time calls to Mono (billed per call) allowed per UTC day, over all accounts.
    #[arg(long, env = "PASSBOOK_MONO_REALTIME_PER_DAY", default_value_t = 100)]
    pub mono_realtime_per_day: u32,
    /// Enable Banking (UK and EU banks by PSD2 consent): the application's id. Register
    /// `<public URL>/link/consent-return` as its redirect URL.
    #[arg(long, env = "PASSBOOK_ENABLE_BANKING_APPLICATION_ID", requires = "enable_banking_key_file")]
    pub enable_banking_application_id: Option<String>,
    /// The application's private key (PEM), as Enable Banking's control panel gave it.
    #[arg(long, env = "PASSBOOK_ENABLE_BANKING_KEY_FILE")]
    pub enable_banking_key_file: Option<std::path::PathBuf>,
    /// Countries whose banks are offered, comma-separated ISO codes.
    #[arg(long, env = "PASSBOOK_ENABLE_BANKING_COUNTRIES", default_value = "FI", value_delimiter = ',')]
    pub enable_banking_countries: Vec<String>,
    /// Enable Banking's API.
    #[arg(long, env = "PASSBOOK_ENABLE_BANKING_BASE_URL", default_value = "https://api.enablebanking.com")]
    pub enable_banking_base_url: String,
    /// The longest consent asked for, in days (a bank's own maximum is never exceeded).
    #[arg(long, env = "PASSBOOK_ENABLE_BANKING_CONSENT_DAYS", default_value_t = 90,
          value_parser = clap::value_parser!(i64).range(1..=730))]
    pub enable_banking_consent_days: i64,
}

impl ConnectorArgs {
    pub(super) fn apply(&self, config: &mut Config) -> anyhow::Result<()> {
        config.institutions_refresh = std::time::Duration::from_secs(self.institutions_refresh_mins * 60);
        config.simplefin = self.simplefin.then(|| passbook_institutions::SimpleFinOptions {
            daily_requests: self.simplefin_daily_requests,
            ..Default::default()
        });
        config.mono = self.mono_secret_key.clone().map(|secret_key| passbook_institutions::MonoOptions {
            base_url: self.mono_base_url.clone(),
            secret_key,
            webhook_secret: self.mono_webhook_secret.clone().unwrap_or_default(),
            realtime_per_day: self.mono_realtime_per_day,
            timeout: std::time::Duration::from_secs(30),
        });
        if let (Some(application_id), Some(key_file)) =
            (&self.enable_banking_application_id, &self.enable_banking_key_file)
        {
            let private_key_pem = std::fs::read_to_string(key_file)
                .map_err(|e| anyhow::anyhow!("reading the Enable Banking key {}: {e}", key_file.display()))?;
            config.enable_banking = Some(passbook_institutions::EnableBankingOptions {
                base_url: self.enable_banking_base_url.clone(),
                application_id: application_id.clone(),
                private_key_pem,
                countries: self.enable_banking_countries.iter().map(|c| c.trim().to_uppercase()).collect(),
                consent_days: self.enable_banking_consent_days,
                timeout: std::time::Duration::from_secs(30),
            });
        }
        Ok(())
    }
}
