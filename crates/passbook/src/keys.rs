//! Where the master key comes from: `PASSBOOK_MASTER_KEY`, or a key file that is created
//! (readable by its owner only) the first time Passbook starts.
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use passbook_domain::Vault;

use crate::Config;

/// The key file used when none is configured: beside the SQLite database.
pub fn default_key_file(database_url: &str) -> Option<PathBuf> {
    let path = database_url.strip_prefix("sqlite://").or_else(|| database_url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next()?;
    if path.is_empty() || path.starts_with(":memory:") {
        return None;
    }
    Some(PathBuf::from(format!("{path}.key")))
}

pub fn load_vault(config: &Config) -> anyhow::Result<Vault> {
    if let Some(key) = &config.master_key {
        return Vault::from_base64(key).context("PASSBOOK_MASTER_KEY is not a valid master key");
    }
    let Some(path) = config.master_key_file.clone().or_else(|| default_key_file(&config.database_url)) else {
        bail!("set PASSBOOK_MASTER_KEY (base64 of 32 random bytes) for this database URL");
    };
    if path.exists() {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading the master key file {}", path.display()))?;
        return Vault::from_base64(&text)
            .with_context(|| format!("the master key file {} is not valid", path.display()));
    }
    create_key_file(&path)
}

fn create_key_file(path: &Path) -> anyhow::Result<Vault> {
    let key = Vault::generate_key();
    write_private(path, &format!("{key}\n"))
        .with_context(|| format!("creating the master key file {}", path.display()))?;
    tracing::info!(path = %path.display(), "created a new master key; back it up with the database");
    Ok(Vault::from_base64(&key)?)
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

/// Re-encrypts the database under `new_key` (base64) and, when the current key lives in a key
/// file, writes the new key there (keeping the old one beside it as `.old`). Every server on
/// the database must be stopped first: they hold the old key.
pub async fn rotate(config: &Config, new_key: &str) -> anyhow::Result<String> {
    let new = Vault::from_base64(new_key).context("the new master key is not valid")?;
    let store = passbook_store::SqlStore::connect(&config.database_url, load_vault(config)?, &config.db).await?;
    store.migrate(true).await?;
    let count = store.rotate_master_key(&new).await.context("re-encrypting with the new key (nothing was changed)")?;
    let file = if config.master_key.is_some() {
        None
    } else {
        config.master_key_file.clone().or_else(|| default_key_file(&config.database_url))
    };
    match file {
        Some(path) => {
            let backup = PathBuf::from(format!("{}.old", path.display()));
            std::fs::rename(&path, &backup).with_context(|| format!("keeping the old key as {}", backup.display()))?;
            write_private(&path, &format!("{}\n", new_key.trim()))?;
            Ok(format!(
                "re-encrypted {count} values; the new key is in {}, the old one in {} (delete it once backups are re-taken)",
                path.display(),
                backup.display()
            ))
        }
        None => {
            Ok(format!("re-encrypted {count} values; set PASSBOOK_MASTER_KEY to the new key before starting Passbook"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_sits_beside_the_database() {
        assert_eq!(default_key_file("sqlite://data/passbook.db"), Some(PathBuf::from("data/passbook.db.key")));
        assert_eq!(default_key_file("sqlite:passbook.db?mode=rwc"), Some(PathBuf::from("passbook.db.key")));
        assert_eq!(default_key_file("sqlite::memory:"), None);
    }
}
