//! `passbook statements`: importing a statement file, checking one, and the signing key.
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};

use super::{AppArgs, DbArgs};
use crate::app;

#[derive(Debug, Subcommand)]
pub enum StatementsCommand {
    /// Read a statement file (PDF, Excel, CSV, OFX, CAMT.053, MT940) and link its accounts for a
    /// customer; the app gets the same webhooks as for a link made on the page once a worker
    /// (`passbook serve` or `passbook worker`) fetches the accounts.
    Import(ImportArgs),
    /// Check whether a statement file is one this installation issued, unchanged (its Passbook
    /// signature), and what the file's own history shows; no server needed, only the master key.
    Verify {
        file: PathBuf,
        #[arg(long, env = "PASSBOOK_STATEMENT_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Print the public key that checks the statements this installation issues (the same as
    /// `GET /passbook/v1/statements/signing-key`), for lenders who do not run Passbook.
    SigningKey {
        #[command(flatten)]
        db: DbArgs,
    },
}

/// What `passbook statements import` takes.
#[derive(Debug, Args)]
pub struct ImportArgs {
    file: PathBuf,
    /// The file's password, if it has one.
    #[arg(long, env = "PASSBOOK_STATEMENT_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    #[arg(long)]
    customer_name: Option<String>,
    #[arg(long)]
    customer_email: Option<String>,
    /// An existing customer instead of name and e-mail.
    #[arg(long)]
    customer_id: Option<String>,
    /// The institution (an id from /v3/institutions); by default "another bank".
    #[arg(long)]
    institution: Option<String>,
    /// The account's currency (ISO 4217), for a file that does not state it.
    #[arg(long)]
    currency: Option<String>,
    /// Renew this account with a newer statement instead of linking new ones.
    #[arg(long)]
    account: Option<String>,
    #[arg(long)]
    reference: Option<String>,
    /// The largest file accepted, in megabytes.
    #[arg(long, default_value_t = 200)]
    max_mb: usize,
    #[command(flatten)]
    app: AppArgs,
}

pub(super) async fn statements(command: StatementsCommand) -> anyhow::Result<()> {
    match command {
        StatementsCommand::Verify { file, password, db } => verify_statement(&file, password.as_deref(), &db),
        StatementsCommand::SigningKey { db } => {
            let signer = crate::keys::load_vault(&db.config())?.statement_signer();
            println!(
                "key id      {}\nalgorithm   Ed25519\npublic key  {}",
                signer.key_id(),
                signer.public_key_base64()
            );
            Ok(())
        }
        StatementsCommand::Import(import) => import_statement(import).await,
    }
}

/// `passbook statements verify`: the signature and the file's evidence, judged as an import is.
fn verify_statement(file: &std::path::Path, password: Option<&str>, db: &DbArgs) -> anyhow::Result<()> {
    use passbook_domain::services::Verification;
    use passbook_domain::statement_signature::SignatureCheck;
    let signer = crate::keys::load_vault(&db.config())?.statement_signer();
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let reader = passbook_statements::FileReader { max_bytes: usize::MAX };
    let Verification { signature, integrity } = Verification::of(&reader, &signer, &bytes, password);
    match &signature {
        SignatureCheck::Intact(m) => println!(
            "signature   intact: issued by {} (key {}) for account {} at {}, {} to {}",
            m.issuer, m.key, m.account_number, m.institution, m.from, m.to
        ),
        SignatureCheck::Edited { why, .. } => println!("signature   EDITED: {why}"),
        SignatureCheck::OtherKey(m) => println!("signature   by another installation ({}, key {})", m.issuer, m.key),
        SignatureCheck::Unsigned => println!("signature   none"),
    }
    println!("verdict     {}", integrity.verdict.as_str());
    for signal in &integrity.signals {
        println!("  {:<26} {} ({})", signal.code, signal.explanation, signal.place);
    }
    Ok(())
}

async fn import_statement(command: ImportArgs) -> anyhow::Result<()> {
    let ImportArgs {
        file,
        password,
        customer_name,
        customer_email,
        customer_id,
        institution,
        currency,
        account,
        reference,
        max_mb,
        app,
    } = command;
    let mut config = app.db.config();
    config.http.max_upload_bytes = max_mb * 1024 * 1024;
    // The operator's own machine and file: a long read is theirs to wait for.
    config.statement_readers.deadline = std::time::Duration::from_secs(600);
    let passbook = app::build(&config, String::new()).await?;
    let found = passbook.find_app(app.app_id.as_ref()).await?;
    let bytes = read_with_progress(&file)?;
    eprintln!("reading the statement…");
    // Renewing an account keeps its customer.
    let customer = match account {
        Some(_) => None,
        None => {
            let named =
                passbook_types::linking::CustomerIn { id: customer_id, name: customer_name, email: customer_email };
            Some(passbook_domain::services::CustomerSpec::parse(Some(named))?)
        }
    };
    let request = passbook_domain::services::StatementImportRequest {
        customer,
        institution,
        account,
        reference,
        upload: passbook_domain::linking::StatementUpload {
            file: bytes,
            file_name: file.file_name().map(|n| n.to_string_lossy().into_owned()),
            password,
            currency: passbook_domain::services::stated_currency(currency.as_deref())?,
        },
    };
    let imported = passbook.linking().import_statement(&found, request).await?;
    print_imported(&imported);
    Ok(())
}

/// What was linked, and what the reader passed over.
fn print_imported(imported: &passbook_domain::services::ImportedStatement) {
    for (account, preview) in imported.accounts.iter().zip(&imported.previews) {
        let currency = if account.currency.is_empty() { "(currency not stated)" } else { &account.currency };
        println!(
            "linked {}  {} {currency}  {} transactions  {}  ({})",
            account.id,
            account.account_number,
            preview.transactions,
            preview.reconciliation.as_str(),
            preview.format.as_str()
        );
    }
    let report = &imported.report;
    println!("{} transactions read; {} lines passed over", report.rows_read, report.skipped_total);
    for line in &report.skipped {
        println!("  skipped {}: {}  ({})", line.at, line.text, line.reason);
    }
    if report.skipped_total > report.skipped.len() {
        println!("  and {} more", report.skipped_total - report.skipped.len());
    }
}

/// Reads the file in chunks, drawing a progress bar on stderr.
fn read_with_progress(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let total = file.metadata()?.len().max(1);
    let mut out = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    let mut chunk = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        out.extend_from_slice(&chunk[..n]);
        let done = out.len() as u64 * 30 / total;
        eprint!(
            "\rreading [{:<30}] {:>3}%  {:.1}/{:.1} MB",
            "#".repeat(usize::try_from(done).unwrap_or(0)),
            out.len() as u64 * 100 / total,
            out.len() as f64 / 1e6,
            total as f64 / 1e6
        );
    }
    eprintln!();
    Ok(out)
}
