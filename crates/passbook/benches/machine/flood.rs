//! One app's statement PDFs against another app's reads: the flooder asks for PDF statements of
//! every account and period it has, as fast as it is answered, while a bystander app reads its
//! account list; the bystander's latency is measured alone and under the flood, in the same run.
use std::process::Command;
use std::time::{Duration, Instant};

use crate::load;
use crate::process::{Passbook, link};

const PERIODS: [&str; 6] = ["last1month", "last2months", "last3months", "last6months", "last9months", "last12months"];
const FLOODERS: usize = 8;
const BYSTANDER_CONNECTIONS: usize = 4;
const RUN: Duration = Duration::from_secs(6);

/// Prints the bystander's `GET /v2/accounts` alone and under the flood.
pub async fn another_app_under_a_pdf_flood(server: &Passbook, database: &str, key: &str, accounts: &[String]) {
    let bystander = create_app(database, key, "Bystander");
    let api = passbook_client::Client::new(&server.base, &bystander);
    link(&api, "user_good", 0).await;
    let url = format!("{}/v2/accounts", server.base);
    let alone = load::run(&url, &bystander, BYSTANDER_CONNECTIONS, RUN).await;

    let deadline = Instant::now() + RUN + Duration::from_secs(1);
    let http = reqwest::Client::new();
    let flood: Vec<_> = (0..FLOODERS)
        .map(|n| {
            let (http, base, secret) = (http.clone(), server.base.clone(), server.secret_key.clone());
            let accounts = accounts.to_vec();
            tokio::spawn(async move {
                let (mut built, mut refused) = (0, 0);
                let mut i = n;
                while Instant::now() < deadline {
                    let (account, period) =
                        (&accounts[i % accounts.len()], PERIODS[i / accounts.len() % PERIODS.len()]);
                    let url = format!("{base}/v2/accounts/{account}/statement?period={period}&output=pdf");
                    let res = http.get(url).header("mono-sec-key", &secret).send().await.unwrap();
                    if res.status().is_success() {
                        built += 1
                    } else {
                        refused += 1
                    }
                    i += FLOODERS;
                }
                (built, refused)
            })
        })
        .collect();
    let flooded = load::run(&url, &bystander, BYSTANDER_CONNECTIONS, RUN).await;
    let (mut built, mut refused) = (0, 0);
    for task in flood {
        let (b, r) = task.await.unwrap();
        (built, refused) = (built + b, refused + r);
    }
    println!(
        "Another app's `GET /v2/accounts` ({BYSTANDER_CONNECTIONS} connections) while one app asks for PDF statements \
         with {FLOODERS} connections ({built} answered, {refused} refused by the build limits): p50 {} / p99 {} \
         ({:.0} req/s), alone in the same run p50 {} / p99 {} ({:.0} req/s)",
        crate::ms(flooded.p50),
        crate::ms(flooded.p99),
        flooded.per_second,
        crate::ms(alone.p50),
        crate::ms(alone.p99),
        alone.per_second,
    );
}

/// A new app through the CLI, as an operator makes one; its secret key.
fn create_app(database: &str, key: &str, name: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_passbook"))
        .args(["apps", "create", "--name", name, "--json"])
        .env("PASSBOOK_DATABASE_URL", database)
        .env("PASSBOOK_MASTER_KEY", key)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let created: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    created["secret_key"].as_str().unwrap().to_string()
}
