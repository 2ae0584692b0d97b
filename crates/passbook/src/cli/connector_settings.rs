//! `passbook connectors`: the live connectors an operator configures without flags. Settings
//! are checked, tried against the upstream, sealed in the database and audited; running
//! servers pick them up within seconds.
use std::collections::BTreeMap;

use clap::Subcommand;
use passbook_domain::connector_setup::ConfiguredBy;
use serde_json::json;

use super::DbArgs;
use crate::app;

#[derive(Debug, Subcommand)]
pub enum ConnectorsCommand {
    /// The connectors that can be configured, and what is saved for each (secrets only as "set").
    List {
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Save a connector's settings and switch it on, e.g. `passbook connectors set mono
    /// secret_key=@mono.key webhook_secret=@hook.secret`. `FIELD=@PATH` reads the value from a
    /// file (keep secrets out of the shell's history); a field not given keeps its saved value, and
    /// `FIELD=` clears one (its default applies).
    Set {
        /// simplefin, mono or enable_banking.
        name: String,
        /// FIELD=VALUE or FIELD=@PATH.
        #[arg(value_name = "FIELD=VALUE")]
        values: Vec<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Delete a connector's saved settings and switch it off. Its accounts keep their data.
    Remove {
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

pub(super) async fn connectors(command: ConnectorsCommand) -> anyhow::Result<()> {
    match command {
        ConnectorsCommand::List { json, db } => {
            let passbook = app::build(&db.config(), String::new()).await?;
            let all = passbook.connector_settings().await?;
            if json {
                let listed: Vec<_> = all
                    .iter()
                    .map(|c| {
                        json!({"name": c.form.name, "configured": by(c.by), "values": c.values,
                               "secrets_set": c.secrets_set, "failure": c.failure})
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(listed));
                return Ok(());
            }
            for c in all {
                let mut shown: Vec<String> = c.values.iter().map(|(k, v)| format!("{k}={v}")).collect();
                shown.extend(c.secrets_set.iter().map(|k| format!("{k}=(set)")));
                println!("{:<15} {:<6} {}", c.form.name, by(c.by), shown.join(" "));
                if let Some(why) = c.failure {
                    println!("{:<15} did not start: {why}", "");
                }
            }
        }
        ConnectorsCommand::Set { name, values, db } => {
            let values = parse_values(&values)?;
            let passbook = app::build(&db.config(), String::new()).await?;
            passbook.configure_connector("cli", &name, values).await?;
            println!("{name} saved and switched on; running servers pick it up within seconds");
        }
        ConnectorsCommand::Remove { name, db } => {
            let passbook = app::build(&db.config(), String::new()).await?;
            passbook.remove_connector("cli", &name).await?;
            println!("{name} removed and switched off");
        }
    }
    Ok(())
}

fn by(configured: ConfiguredBy) -> &'static str {
    match configured {
        ConfiguredBy::Flags => "flags",
        ConfiguredBy::Saved => "saved",
        ConfiguredBy::Off => "off",
    }
}

/// `FIELD=VALUE` pairs; `FIELD=@PATH` reads the value from the file.
fn parse_values(pairs: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    let mut values = BTreeMap::new();
    for pair in pairs {
        let (field, value) =
            pair.split_once('=').ok_or_else(|| anyhow::anyhow!("'{pair}' is not FIELD=VALUE (or FIELD=@PATH)"))?;
        let value = match value.strip_prefix('@') {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("reading the value of {field} from {path}: {e}"))?,
            None => value.to_string(),
        };
        values.insert(field.trim().to_string(), value);
    }
    Ok(values)
}
