//! `passbook operators`: the people who use the console.
use clap::Subcommand;

use super::DbArgs;
use crate::app;

#[derive(Debug, Subcommand)]
pub enum OperatorsCommand {
    /// Create an operator. The password is read from standard input with --password-stdin;
    /// otherwise one is made and shown once.
    Create {
        #[arg(long)]
        email: String,
        /// owner, admin, developer or viewer.
        #[arg(long, default_value = "owner")]
        role: String,
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List operators and their roles.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
}

pub(super) async fn operators(command: OperatorsCommand) -> anyhow::Result<()> {
    match command {
        OperatorsCommand::Create { email, role, password_stdin, db } => {
            let passbook = app::build(&db.config(), String::new()).await?;
            let (password, made) = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                (line.trim_end_matches(['\r', '\n']).to_string(), false)
            } else {
                (passbook_domain::ids::random_alnum(20), true)
            };
            let operator = passbook.console().create_operator(&email, &password, &role).await?;
            println!("created {} operator {} ({})", operator.role.as_str(), operator.email, operator.id);
            if made {
                println!("password (shown only now): {password}");
            }
        }
        OperatorsCommand::List { db } => {
            let passbook = app::build(&db.config(), String::new()).await?;
            for operator in passbook.console().operators().await? {
                println!("{}  {:<9}  {}", operator.id, operator.role.as_str(), operator.email);
            }
        }
    }
    Ok(())
}
