//! The connector port itself, through a connector of the test's own (`Config::connectors`): a
//! fetch that renews the account's handle has the new one kept with its data and given back
//! next time, and an unlink reaches the connector.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use passbook_domain::Clock;
use passbook_domain::clock::ManualClock;
use passbook_domain::connector::*;
use passbook_domain::model::*;
use serde_json::json;

use crate::support::*;

const ROTATING_BANK: &str = "5f2d08c3a0b0c0d0e0f00004";

/// A bank whose every fetch hands out a new token for the account, and which refuses an old one.
#[derive(Default)]
struct RotatingBank {
    issued: AtomicUsize,
    refused: AtomicUsize,
    unlinked: Mutex<Vec<String>>,
}

impl RotatingBank {
    fn token(n: usize) -> String {
        format!("token-{n}")
    }

    fn login_account(&self) -> DiscoveredAccount {
        DiscoveredAccount {
            connector_ref: Self::token(0),
            name: "ADA OBI".into(),
            account_number: "0000000001".into(),
            kind: "SAVINGS_ACCOUNT".into(),
            currency: "NGN".into(),
            balance: Some(100),
        }
    }
}

#[async_trait]
impl Connector for RotatingBank {
    fn name(&self) -> &str {
        "rotating"
    }

    fn institutions(&self) -> Vec<Institution> {
        vec![Institution {
            id: ROTATING_BANK.into(),
            name: "Rotating Token Bank".into(),
            kind: InstitutionKind::PersonalBanking,
            bank_code: "999".into(),
            nip_code: "999999".into(),
            country: "ng".into(),
            primary_color: "#000000".into(),
            icon: None,
            identifier: "test.rotating".into(),
            status: InstitutionStatus::Operational,
            auth_methods: vec![AuthMethodSpec {
                method: AuthMethod::InternetBanking,
                title: "Log in to Rotating Token Bank".into(),
                form: vec![FormField::text("username", "Username"), FormField::secret("password", "Password")],
            }],
        }]
    }

    async fn login(&self, _: &Institution, _: AuthMethod, _: &Credentials) -> Result<LoginStep, ConnectorError> {
        Ok(LoginStep::Accounts { state: String::new(), accounts: vec![self.login_account()] })
    }

    async fn answer_challenge(&self, _: &Institution, _: &str, _: &Credentials) -> Result<LoginStep, ConnectorError> {
        Err(ConnectorError::InvalidAnswer)
    }

    async fn fetch(&self, account: ConnectorAccount<'_>) -> Result<FetchedData, ConnectorError> {
        let current = self.issued.load(Ordering::SeqCst);
        if account.connector_ref != Self::token(current) {
            self.refused.fetch_add(1, Ordering::SeqCst);
            return Err(ConnectorError::ReauthorisationRequired);
        }
        let next = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(FetchedData {
            balance: Some(100 + next as i64),
            renewed_handle: Some(Self::token(next)),
            ..Default::default()
        })
    }

    async fn unlink(&self, account: ConnectorAccount<'_>, _: &[&str]) -> Result<(), ConnectorError> {
        self.unlinked.lock().unwrap().push(account.connector_ref.to_string());
        Ok(())
    }
}

#[tokio::test]
async fn a_renewed_handle_is_kept_with_the_data_and_an_unlink_reaches_the_connector() {
    let bank = Arc::new(RotatingBank::default());
    let clock = Arc::new(ManualClock::new(passbook_domain::SystemClock.now()));
    let (plugged, shared) = (bank.clone(), clock.clone());
    let t = TestApp::spawn_with(move |c| {
        c.connectors.push(plugged);
        c.clock = shared;
    })
    .await;
    let data = t.initiate("rotating-1", json!({})).await;
    let page = t.open(data["mono_url"].as_str().unwrap()).await;
    page.choose_institution(ROTATING_BANK).await;
    page.login("ada", "secret").await;
    assert_eq!(page.heading().await, "Account linked");
    let id = connected_ids(&t.receiver, 1).await.remove(0);
    assert_eq!(t.wait_for_data(&id).await.account.balance, Some(101));

    for expected in [102, 103] {
        clock.advance(6 * 60_000);
        assert_eq!(realtime_refresh(&t, &id).await, "finished");
        assert_eq!(t.api().account(&id).await.unwrap().account.balance, Some(expected));
    }
    assert_eq!(bank.refused.load(Ordering::SeqCst), 0, "every fetch was given the last token issued");

    t.api().unlink(&id).await.unwrap();
    assert_eq!(*bank.unlinked.lock().unwrap(), [RotatingBank::token(3)]);
}

const SLOW_BANK: &str = "5f2d08c3a0b0c0d0e0f00005";

/// A bank whose every login hands out a new handle (`login-{n}`), whose balance is `n`, and whose
/// first fetch waits until the test lets it go.
#[derive(Default)]
struct SlowBank {
    logins: AtomicUsize,
    started: tokio::sync::Notify,
    release: tokio::sync::Notify,
}

#[async_trait]
impl Connector for SlowBank {
    fn name(&self) -> &str {
        "slow"
    }

    fn institutions(&self) -> Vec<Institution> {
        let mut bank = RotatingBank::default().institutions().remove(0);
        bank.id = SLOW_BANK.into();
        bank.name = "Slow Bank".into();
        vec![bank]
    }

    async fn login(&self, _: &Institution, _: AuthMethod, _: &Credentials) -> Result<LoginStep, ConnectorError> {
        let n = self.logins.fetch_add(1, Ordering::SeqCst) + 1;
        let mut account = RotatingBank::default().login_account();
        account.connector_ref = format!("login-{n}");
        Ok(LoginStep::Accounts { state: String::new(), accounts: vec![account] })
    }

    async fn answer_challenge(&self, _: &Institution, _: &str, _: &Credentials) -> Result<LoginStep, ConnectorError> {
        Err(ConnectorError::InvalidAnswer)
    }

    async fn fetch(&self, account: ConnectorAccount<'_>) -> Result<FetchedData, ConnectorError> {
        let n: i64 = account.connector_ref.trim_start_matches("login-").parse().unwrap();
        if n == 1 {
            self.started.notify_one();
            self.release.notified().await;
        }
        Ok(FetchedData { balance: Some(n), ..Default::default() })
    }
}

/// The same account linked again while its first fetch runs: the new link's fetch is folded into
/// the running job, which must not save what it read from the old link as the final word.
#[tokio::test]
async fn an_account_linked_again_while_it_is_fetched_is_fetched_again() {
    let bank = Arc::new(SlowBank::default());
    let plugged = bank.clone();
    let t = TestApp::spawn_with(move |c| c.connectors.push(plugged)).await;
    let link = |reference: &'static str| {
        let t = &t;
        async move {
            let data = t.initiate(reference, json!({})).await;
            let page = t.open(data["mono_url"].as_str().unwrap()).await;
            page.choose_institution(SLOW_BANK).await;
            page.login("ada", "secret").await;
            assert_eq!(page.heading().await, "Account linked");
        }
    };
    link("slow-1").await;
    bank.started.notified().await;
    link("slow-2").await;
    let ids = connected_ids(&t.receiver, 2).await;
    assert_eq!(ids[0], ids[1], "the same account");
    bank.release.notify_one();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while t.api().account(&ids[0]).await.unwrap().account.balance != Some(2) {
        assert!(std::time::Instant::now() < deadline, "the second link's data never arrived");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
