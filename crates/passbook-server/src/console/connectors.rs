//! The connectors an owner switches on, configures and switches off; everyone else sees how
//! each is configured, never a secret.
use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, State};
use passbook_domain::connector_setup::ConfiguredBy;
use passbook_domain::services::ConnectorSetting;

use serde::Deserialize;

use super::{Acting, Chrome, ConfirmPage, ConsoleResult, Operator, Params, done, render};
use crate::AppState;

struct FieldView {
    name: &'static str,
    label: &'static str,
    help: &'static str,
    secret: bool,
    multiline: bool,
    required: bool,
    /// The saved value (never a secret's).
    value: String,
    /// A secret with a saved value: left empty, it is kept.
    kept: bool,
    placeholder: &'static str,
}

struct ConnectorView {
    name: &'static str,
    title: &'static str,
    summary: &'static str,
    docs: &'static str,
    /// flags, saved or off.
    state: &'static str,
    /// The flags set it: the form is not offered.
    fixed: bool,
    saved: bool,
    updated: String,
    failure: Option<String>,
    fields: Vec<FieldView>,
}

#[derive(Template)]
#[template(path = "console/connectors.html")]
struct ConnectorsPage {
    chrome: Chrome,
    can_configure: bool,
    connectors: Vec<ConnectorView>,
}

impl From<ConnectorSetting> for ConnectorView {
    fn from(c: ConnectorSetting) -> Self {
        let fields = c
            .form
            .fields
            .iter()
            .map(|f| FieldView {
                name: f.name,
                label: f.label,
                help: f.help,
                secret: f.secret,
                multiline: f.multiline,
                required: f.required && !c.secrets_set.contains(&f.name),
                value: c.values.get(f.name).cloned().unwrap_or_default(),
                kept: c.secrets_set.contains(&f.name),
                placeholder: f.default,
            })
            .collect();
        Self {
            name: c.form.name,
            title: c.form.title,
            summary: c.form.summary,
            docs: c.form.docs,
            state: match c.by {
                ConfiguredBy::Flags => "set by flags",
                ConfiguredBy::Saved => "on",
                ConfiguredBy::Off => "off",
            },
            fixed: c.by == ConfiguredBy::Flags,
            saved: c.updated_at.is_some(),
            updated: c.updated_at.map(super::format::when).unwrap_or_default(),
            failure: c.failure,
            fields,
        }
    }
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

pub async fn list(State(state): State<AppState>, operator: Operator, Params(q): Params<NoticeQuery>) -> ConsoleResult {
    let connectors = state.passbook.connector_settings().await?.into_iter().map(ConnectorView::from).collect();
    Ok(render(ConnectorsPage {
        can_configure: operator.0.operator.role.can(passbook_domain::model::Permission::ConfigureConnectors),
        chrome: operator.chrome("connectors", q.notice.as_deref()),
        connectors,
    }))
}

/// Saves the form's values (an empty secret keeps the saved one) and switches the connector on.
pub async fn save(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Acting { operator, mut form }: Acting,
) -> ConsoleResult {
    form.remove("csrf");
    let values: BTreeMap<String, String> = form.into_iter().collect();
    state.passbook.console().configure_connector(&operator.0, &name, values).await?;
    Ok(done("/console/connectors", "connector_saved"))
}

pub async fn confirm_remove(
    State(state): State<AppState>,
    operator: Operator,
    Path(name): Path<String>,
) -> ConsoleResult {
    let form = state.passbook.connector_form(&name)?;
    Ok(render(ConfirmPage {
        chrome: operator.chrome("connectors", None),
        title: "Switch off a connector",
        heading: format!("Switch off {}?", form.title),
        warning: format!(
            "Its saved settings (keys included) are deleted and every Passbook process stops offering its institutions. \
             Accounts linked through {} keep their data; their refreshes fail until it is configured again.",
            form.title
        ),
        action: format!("/console/connectors/{name}/remove"),
        button: "Switch it off",
        button_id: "confirm-remove",
        back: "/console/connectors".into(),
        back_label: "Keep it",
    }))
}

pub async fn remove(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Acting { operator, .. }: Acting,
) -> ConsoleResult {
    state.passbook.console().remove_connector(&operator.0, &name).await?;
    Ok(done("/console/connectors", "connector_removed"))
}
