//! Connectors an operator switches on without editing code: each one's form
//! ([`ConnectorForm`]), the values saved for it ([`ConnectorSettings`], sealed at rest), and the
//! [`ConnectorSetup`] port that turns flags and saved values into running connectors.
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use crate::Timestamp;
use crate::connector::Connector;

/// One value a connector asks the operator for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettingField {
    pub name: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    /// Never shown again once saved (keys, private keys); left empty in a form, the saved value stays.
    pub secret: bool,
    /// Several lines (a PEM key).
    pub multiline: bool,
    pub required: bool,
    /// What an empty optional field means.
    pub default: &'static str,
}

/// A connector an operator can configure: its name (as in `Connector::name`), what it reaches,
/// and its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectorForm {
    pub name: &'static str,
    pub title: &'static str,
    pub summary: &'static str,
    /// The operator's page in `docs/connectors/`.
    pub docs: &'static str,
    pub fields: &'static [SettingField],
}

impl ConnectorForm {
    pub fn field(&self, name: &str) -> Option<&'static SettingField> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// The values an operator saved for one connector. `version` changes with every save, so a
/// process that built its connectors from other values knows to build them again.
#[derive(Clone, PartialEq, Eq)]
pub struct ConnectorSettings {
    pub name: String,
    pub values: BTreeMap<String, String>,
    pub version: String,
    pub updated_at: Timestamp,
}

impl ConnectorSettings {
    pub fn get(&self, field: &str) -> Option<&str> {
        self.values.get(field).map(String::as_str).filter(|v| !v.is_empty())
    }
}

impl fmt::Debug for ConnectorSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectorSettings")
            .field("name", &self.name)
            .field("fields", &self.values.keys().collect::<Vec<_>>())
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// Where a connector's configuration comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfiguredBy {
    /// The server's flags or `PASSBOOK_*` variables, which win over saved settings.
    Flags,
    /// Settings saved from the console or `passbook connectors set`.
    Saved,
    Off,
}

/// Saved settings that did not make a connector, and why (a key the upstream refused).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotStarted {
    pub connector: String,
    pub reason: String,
}

/// A value the connector cannot use: which field, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

impl FieldProblem {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self { field: field.to_string(), message: message.into() }
    }
}

/// One connector's saved settings, as far as a process needs to know they changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SavedVersion {
    pub name: String,
    pub version: String,
}

/// The connectors built from the flags and the saved settings.
pub struct Built {
    pub connectors: Vec<Arc<dyn Connector>>,
    pub not_started: Vec<NotStarted>,
}

/// Builds the running connectors from the process's flags and the operator's saved settings;
/// implemented where the connectors are assembled (the `passbook` binary).
#[async_trait]
pub trait ConnectorSetup: Send + Sync {
    /// The connectors an operator can configure.
    fn forms(&self) -> &'static [ConnectorForm];

    /// Whether the process's flags configure the connector named so (saved settings for it are
    /// then kept but not used).
    fn set_by_flags(&self, name: &str) -> bool;

    /// Checks saved values before they are kept.
    fn check(&self, settings: &ConnectorSettings) -> Result<(), FieldProblem>;

    /// Every connector: those the flags set, those saved settings set (a failure there is
    /// reported in [`Built::not_started`], never fatal), and the sandbox banks where no upstream
    /// takes their place. `Err` only when a connector the flags set cannot start.
    async fn build(&self, saved: &[ConnectorSettings]) -> Result<Built, String>;
}

/// The [`ConnectorSetup`] of a running Passbook, and what its connectors were last built from.
pub struct Configurator {
    pub setup: Arc<dyn ConnectorSetup>,
    built: std::sync::Mutex<BuiltFrom>,
    /// One build at a time in a process: two builds finishing out of order would install the
    /// older settings last.
    pub(crate) building: tokio::sync::Mutex<()>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct BuiltFrom {
    /// The saved settings' versions, in name order.
    pub versions: Vec<SavedVersion>,
    pub not_started: Vec<NotStarted>,
}

impl Configurator {
    /// Builds the connectors from the flags and `saved`; `Err` when a connector the flags set
    /// cannot start.
    pub async fn start(
        setup: Arc<dyn ConnectorSetup>,
        saved: &[ConnectorSettings],
    ) -> Result<(Self, Vec<Arc<dyn Connector>>), String> {
        let built = setup.build(saved).await?;
        let from = BuiltFrom { versions: versions_of(saved), not_started: built.not_started };
        let configurator = Self { setup, built: std::sync::Mutex::new(from), building: Default::default() };
        Ok((configurator, built.connectors))
    }

    pub(crate) fn built_from(&self) -> BuiltFrom {
        self.built.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    pub(crate) fn record(&self, saved: &[ConnectorSettings], not_started: Vec<NotStarted>) {
        *self.built.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) =
            BuiltFrom { versions: versions_of(saved), not_started };
    }

    pub fn form(&self, name: &str) -> Option<&'static ConnectorForm> {
        self.setup.forms().iter().find(|f| f.name == name)
    }
}

/// The versions in name order, as the store lists them.
pub(crate) fn versions_of(saved: &[ConnectorSettings]) -> Vec<SavedVersion> {
    let mut versions: Vec<_> =
        saved.iter().map(|s| SavedVersion { name: s.name.clone(), version: s.version.clone() }).collect();
    versions.sort();
    versions
}
