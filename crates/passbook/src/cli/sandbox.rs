//! `passbook sandbox`: the sandbox clock.
use clap::Subcommand;
use passbook_types::passbook::SandboxClockIn;

use super::{AppArgs, app_context};

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Show the app's sandbox clock.
    Clock {
        #[command(flatten)]
        app: AppArgs,
    },
    /// Move the app's sandbox clock ahead by `--days` or `--to` a date (YYYY-MM-DD), running the
    /// refreshes the days in between bring; a running `passbook serve` delivers their webhooks.
    Advance {
        #[arg(long)]
        days: Option<i64>,
        #[arg(long)]
        to: Option<String>,
        #[command(flatten)]
        app: AppArgs,
    },
}

pub(super) async fn sandbox(command: SandboxCommand) -> anyhow::Result<()> {
    let clock = match command {
        SandboxCommand::Clock { app } => {
            let (passbook, app) = app_context(&app).await?;
            passbook.sandbox_clock(&app).await?
        }
        SandboxCommand::Advance { days, to, app } => {
            let (passbook, app) = app_context(&app).await?;
            passbook.advance_sandbox_clock(&app, &SandboxClockIn { days, to }, "cli").await?
        }
    };
    println!(
        "sandbox time {} ({} days ahead); {} refreshes run, {} failed",
        clock.now, clock.days_ahead, clock.refreshes, clock.failed_refreshes
    );
    Ok(())
}
