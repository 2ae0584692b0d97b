//! Assembles the connectors: those the flags set, those an operator saved from the console or
//! the CLI (the flags win where both name one), the sandbox banks where Mono does not take
//! their place, the statement files (always), and those a program embedding Passbook adds.
use std::sync::Arc;

use async_trait::async_trait;
use passbook_domain::connector_setup::{
    Built, ConnectorForm, ConnectorSettings, ConnectorSetup, FieldProblem, NotStarted,
};
use passbook_domain::{Clock, Connector};
use passbook_institutions::settings::{self, Configured};
use passbook_institutions::{
    EnableBankingConnector, EnableBankingOptions, MonoConnector, MonoOptions, SandboxConnector, SandboxOptions,
    SimpleFinConnector, SimpleFinOptions, StatementFiles,
};
use passbook_store::SqlStore;

use crate::Config;

/// What every build needs: the flags' options, the store connectors keep their state in, and
/// the sandbox's and the egress guard's settings.
pub struct Assembly {
    flags: Chosen,
    sandbox: SandboxOptions,
    allow_private: bool,
    extra: Vec<Arc<dyn Connector>>,
    store: Arc<SqlStore>,
    clock: Arc<dyn Clock>,
}

/// The options a build uses: the flags', or else the saved settings'.
#[derive(Clone)]
struct Chosen {
    simplefin: Option<SimpleFinOptions>,
    mono: Option<MonoOptions>,
    enable_banking: Option<EnableBankingOptions>,
}

impl Assembly {
    pub fn new(config: &Config, public_url: &str, store: Arc<SqlStore>) -> Self {
        Self {
            flags: Chosen {
                simplefin: config.simplefin.clone(),
                mono: config.mono.clone(),
                enable_banking: config.enable_banking.clone(),
            },
            sandbox: SandboxOptions {
                public_url: public_url.trim_end_matches('/').to_string(),
                ..config.sandbox.clone()
            },
            allow_private: config.allow_private_webhooks,
            extra: config.connectors.clone(),
            store,
            clock: config.clock.clone(),
        }
    }

    /// The flags' options, and saved settings for what the flags leave unset.
    fn choose(&self, saved: &[ConnectorSettings], not_started: &mut Vec<NotStarted>) -> Chosen {
        let mut chosen = self.flags.clone();
        for settings in saved.iter().filter(|s| !self.set_by_flags(&s.name)) {
            match settings::options(settings) {
                Ok(Configured::SimpleFin(options)) => chosen.simplefin = Some(options),
                Ok(Configured::Mono(options)) => chosen.mono = Some(options),
                Ok(Configured::EnableBanking(options)) => chosen.enable_banking = Some(options),
                Err(problem) => not_started.push(NotStarted {
                    connector: settings.name.clone(),
                    reason: format!("{}: {}", problem.field, problem.message),
                }),
            }
        }
        chosen
    }

    /// Builds one upstream connector; `Err` names why it did not start.
    async fn mono(&self, options: MonoOptions) -> Result<Arc<dyn Connector>, String> {
        let base_url = options.base_url.clone();
        let store = self.store.clone();
        match MonoConnector::connect(options, store.clone(), store, self.clock.clone()).await {
            Ok(mono) => Ok(Arc::new(mono)),
            Err(err) => Err(format!("reading Mono's institutions from {base_url}: {err}")),
        }
    }

    async fn enable_banking(&self, options: EnableBankingOptions) -> Result<Arc<dyn Connector>, String> {
        let place = format!("the banks of {:?} from {}", options.countries, options.base_url);
        match EnableBankingConnector::connect(options, self.store.clone(), self.clock.clone()).await {
            Ok(connector) => Ok(Arc::new(connector)),
            Err(err) => Err(format!("reading {place}: {err}")),
        }
    }

    fn simplefin(&self, options: SimpleFinOptions) -> Arc<dyn Connector> {
        let user_agent = concat!("Passbook/", env!("CARGO_PKG_VERSION"));
        let egress = passbook_egress::Egress::new(user_agent, options.timeout, self.allow_private);
        Arc::new(SimpleFinConnector::new(egress, self.store.clone(), self.clock.clone(), options))
    }

    /// Adds a built connector, or: a failure of one the flags set stops the build; of a saved
    /// one, is reported.
    fn place(&self, name: &str, built: Result<Arc<dyn Connector>, String>, into: &mut Built) -> Result<(), String> {
        match built {
            Ok(connector) => into.connectors.push(connector),
            Err(why) if self.set_by_flags(name) => return Err(why),
            Err(reason) => into.not_started.push(NotStarted { connector: name.to_string(), reason }),
        }
        Ok(())
    }
}

#[async_trait]
impl ConnectorSetup for Assembly {
    fn forms(&self) -> &'static [ConnectorForm] {
        settings::FORMS
    }

    fn set_by_flags(&self, name: &str) -> bool {
        match name {
            n if n == settings::SIMPLEFIN.name => self.flags.simplefin.is_some(),
            n if n == settings::MONO.name => self.flags.mono.is_some(),
            n if n == settings::ENABLE_BANKING.name => self.flags.enable_banking.is_some(),
            _ => false,
        }
    }

    fn check(&self, saved: &ConnectorSettings) -> Result<(), FieldProblem> {
        settings::options(saved).map(drop)
    }

    async fn build(&self, saved: &[ConnectorSettings]) -> Result<Built, String> {
        let mut built = Built { connectors: Vec::new(), not_started: Vec::new() };
        let chosen = self.choose(saved, &mut built.not_started);
        // Mono's institutions share the sandbox banks' ids: one or the other is offered.
        match chosen.mono {
            Some(options) => {
                let mono = self.mono(options).await;
                if mono.is_err() && !self.set_by_flags(settings::MONO.name) {
                    built.connectors.push(Arc::new(SandboxConnector::new(self.sandbox.clone(), self.clock.clone())));
                }
                self.place(settings::MONO.name, mono, &mut built)?;
            }
            None => built.connectors.push(Arc::new(SandboxConnector::new(self.sandbox.clone(), self.clock.clone()))),
        }
        built.connectors.push(Arc::new(StatementFiles::new(self.store.clone())));
        if let Some(options) = chosen.simplefin {
            built.connectors.push(self.simplefin(options));
        }
        if let Some(options) = chosen.enable_banking {
            let enable_banking = self.enable_banking(options).await;
            self.place(settings::ENABLE_BANKING.name, enable_banking, &mut built)?;
        }
        built.connectors.extend(self.extra.iter().cloned());
        Ok(built)
    }
}
