//! Connectors an operator configures from the console or the CLI: saving their settings
//! (checked, tried, sealed by the store, audited), switching them off, and following what
//! another process saved.
use std::collections::BTreeMap;

use crate::connector_setup::{ConfiguredBy, ConnectorForm, ConnectorSettings, versions_of};
use crate::services::Passbook;
use crate::{Error, Result};

/// One configurable connector as the console and the CLI show it. Secret values never leave
/// the domain: only whether each is set.
#[derive(Debug, Clone)]
pub struct ConnectorSetting {
    pub form: &'static ConnectorForm,
    pub by: ConfiguredBy,
    /// Saved values of the fields that are not secret.
    pub values: BTreeMap<String, String>,
    /// The secret fields that have a saved value.
    pub secrets_set: Vec<&'static str>,
    pub updated_at: Option<crate::Timestamp>,
    /// Why the saved settings made no connector, at this process's last build.
    pub failure: Option<String>,
}

impl Passbook {
    /// Every configurable connector, how it is configured, and what is saved for it.
    pub async fn connector_settings(&self) -> Result<Vec<ConnectorSetting>> {
        let saved = self.store.connector_settings().await?;
        let not_started = self.configurator.built_from().not_started;
        let setup = &self.configurator.setup;
        Ok(setup
            .forms()
            .iter()
            .map(|form| {
                let mine = saved.iter().find(|s| s.name == form.name);
                let by = match (setup.set_by_flags(form.name), mine) {
                    (true, _) => ConfiguredBy::Flags,
                    (false, Some(_)) => ConfiguredBy::Saved,
                    (false, None) => ConfiguredBy::Off,
                };
                let shown = |secret: bool| form.fields.iter().filter(move |f| f.secret == secret);
                ConnectorSetting {
                    form,
                    by,
                    values: shown(false)
                        .filter_map(|f| Some((f.name.to_string(), mine?.get(f.name)?.to_string())))
                        .collect(),
                    secrets_set: shown(true)
                        .filter(|f| mine.is_some_and(|m| m.get(f.name).is_some()))
                        .map(|f| f.name)
                        .collect(),
                    updated_at: mine.map(|m| m.updated_at),
                    failure: not_started.iter().find(|n| n.connector == form.name).map(|n| n.reason.clone()),
                }
            })
            .collect())
    }

    /// The form of the connector named so.
    pub fn connector_form(&self, name: &str) -> Result<&'static ConnectorForm> {
        self.configurator
            .form(name)
            .ok_or_else(|| Error::not_found(format!("No connector named '{name}' can be configured")))
    }

    /// Saves `name`'s settings and switches the connector on in this process at once (other
    /// processes follow with [`Passbook::follow_connector_settings`]). A secret field left empty keeps
    /// its saved value. The connector is built before anything is kept: settings the upstream
    /// refuses (a wrong key) are answered with its reason and not saved.
    pub async fn configure_connector(&self, actor: &str, name: &str, values: BTreeMap<String, String>) -> Result<()> {
        let form = self.connector_form(name)?;
        let _building = self.configurator.building.lock().await;
        let mut saved = self.store.connector_settings().await?;
        let previous = saved.iter().position(|s| s.name == name).map(|i| saved.remove(i));
        let settings = ConnectorSettings {
            name: name.to_string(),
            values: merged(form, previous.as_ref(), values)?,
            version: crate::ids::random_alnum(16),
            updated_at: self.clock.now(),
        };
        self.configurator.setup.check(&settings).map_err(|problem| Error::invalid(&problem.field, problem.message))?;
        saved.push(settings.clone());
        let built = self.configurator.setup.build(&saved).await.map_err(Error::Unavailable)?;
        if let Some(why) = built.not_started.iter().find(|n| n.connector == name).map(|n| &n.reason) {
            return Err(Error::invalid(name, format!("{} did not start with these settings: {why}", form.title)));
        }
        let detail = changed_fields(form, previous.as_ref(), &settings);
        let audit = self.audit_entry(actor, "", "connector_configured", name, &detail);
        self.store.save_connector_settings(&settings, &audit).await?;
        self.institutions.replace(built.connectors);
        self.configurator.record(&saved, built.not_started);
        Ok(())
    }

    /// Deletes `name`'s saved settings and stops the connector (unless the flags set it). Its
    /// accounts keep their data; their fetches fail with `no_connector` until it is back.
    pub async fn remove_connector(&self, actor: &str, name: &str) -> Result<()> {
        self.connector_form(name)?;
        let audit = self.audit_entry(actor, "", "connector_removed", name, "");
        if !self.store.remove_connector_settings(name, &audit).await? {
            return Err(Error::not_found(format!("No settings are saved for the connector '{name}'")));
        }
        self.rebuild_connectors().await
    }

    /// Builds the connectors again when another process saved or removed settings since this
    /// one built them; whether it did.
    pub async fn follow_connector_settings(&self) -> Result<bool> {
        let versions = self.store.connector_settings_versions().await?;
        if versions == self.configurator.built_from().versions {
            return Ok(false);
        }
        self.rebuild_connectors().await?;
        Ok(true)
    }

    async fn rebuild_connectors(&self) -> Result<()> {
        let _building = self.configurator.building.lock().await;
        let saved = self.store.connector_settings().await?;
        if versions_of(&saved) == self.configurator.built_from().versions {
            return Ok(());
        }
        let built = self.configurator.setup.build(&saved).await.map_err(Error::Unavailable)?;
        for failed in &built.not_started {
            tracing::warn!(connector = %failed.connector, reason = %failed.reason, "a configured connector did not start");
        }
        self.institutions.replace(built.connectors);
        self.configurator.record(&saved, built.not_started);
        Ok(())
    }
}

/// The new values over the saved ones. A field not given keeps its saved value; given empty, a
/// secret keeps it too (forms never show secrets back) and any other field is cleared (its
/// default applies). Every field is one the form has, and every required one is set.
fn merged(
    form: &ConnectorForm,
    previous: Option<&ConnectorSettings>,
    mut values: BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>> {
    if let Some(unknown) = values.keys().find(|name| form.field(name).is_none()) {
        return Err(Error::invalid(unknown, format!("{} has no setting '{unknown}'", form.title)));
    }
    let mut merged = BTreeMap::new();
    for field in form.fields {
        let kept = previous.and_then(|p| p.get(field.name));
        let value = match values.remove(field.name).map(|v| v.trim().to_string()) {
            None => kept.map(str::to_string),
            Some(empty) if empty.is_empty() => kept.filter(|_| field.secret).map(str::to_string),
            Some(given) => Some(given),
        };
        match value {
            Some(value) => {
                merged.insert(field.name.to_string(), value);
            }
            None if field.required => {
                return Err(Error::invalid(field.name, format!("{} needs {}", form.title, field.label)));
            }
            None => {}
        }
    }
    Ok(merged)
}

/// The audit line's detail: which fields changed, never their values.
fn changed_fields(form: &ConnectorForm, previous: Option<&ConnectorSettings>, now: &ConnectorSettings) -> String {
    let changed: Vec<&str> = form
        .fields
        .iter()
        .filter(|f| previous.and_then(|p| p.get(f.name)) != now.get(f.name))
        .map(|f| f.name)
        .collect();
    match changed.is_empty() {
        true => "no field changed".into(),
        false => format!("changed: {}", changed.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connector_setup::SettingField;

    const FIELD: SettingField =
        SettingField { name: "", label: "", help: "", secret: false, multiline: false, required: false, default: "" };
    const FORM: ConnectorForm = ConnectorForm {
        name: "up",
        title: "Up",
        summary: "",
        docs: "",
        fields: &[
            SettingField { name: "key", label: "Key", secret: true, required: true, ..FIELD },
            SettingField { name: "url", label: "URL", ..FIELD },
            SettingField { name: "limit", label: "Limit", ..FIELD },
        ],
    };

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn saved(pairs: &[(&str, &str)]) -> ConnectorSettings {
        ConnectorSettings {
            name: "up".into(),
            values: values(pairs),
            version: "1".into(),
            updated_at: crate::Timestamp(0),
        }
    }

    #[test]
    fn a_field_not_given_or_a_secret_left_empty_keeps_its_value_and_an_empty_field_is_cleared() {
        let before = saved(&[("key", "sk_1"), ("url", "http://a"), ("limit", "5")]);
        let after = merged(&FORM, Some(&before), values(&[("key", ""), ("url", " "), ("limit", "6")])).unwrap();
        assert_eq!(after, values(&[("key", "sk_1"), ("limit", "6")]));
        let after = merged(&FORM, Some(&before), values(&[("key", " sk_2 ")])).unwrap();
        assert_eq!(after, values(&[("key", "sk_2"), ("url", "http://a"), ("limit", "5")]));
        let now = ConnectorSettings { values: after, ..before.clone() };
        assert_eq!(changed_fields(&FORM, Some(&before), &now), "changed: key", "the audit names fields, never values");
    }

    #[test]
    fn a_missing_required_field_or_an_unknown_one_is_named() {
        let field = |result: Result<BTreeMap<String, String>>| match result {
            Err(Error::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(merged(&FORM, None, values(&[("key", ""), ("url", "http://a")]))), "key");
        assert_eq!(field(merged(&FORM, None, values(&[("key", "sk"), ("colour", "red")]))), "colour");
    }
}
