//! Several Passbook processes on one database: two API replicas (one without workers) and a
//! separate worker. A user's requests alternate between the replicas, a worker is killed
//! mid-way, and still every webhook arrives, in order per account, with no job run twice.
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn links_across_replicas_survive_a_killed_worker() {
    let dir = tempfile::tempdir().unwrap();
    let (db, key, receiver, secret) = process_setup(&dir).await;

    let mut a = serve(&db, &key, &[]);
    let mut b = serve(&db, &key, &["--no-workers", "--no-migrate"]);
    let mut worker = serve(&db, &key, &["worker", "--no-migrate"]);
    let replicas = [a.base.clone(), b.base.clone()];
    let http = client();
    const LINKS: usize = 16;
    for i in 0..LINKS {
        let (first, second) = (&replicas[i % 2], &replicas[(i + 1) % 2]);
        let body = json!({"customer": {"name": "Replica", "email": format!("r{i}@example.ng")}, "scope": "auth"});
        let res: Value = http
            .post(format!("{first}/v2/accounts/initiate"))
            .header("mono-sec-key", &secret)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let path = res["data"]["mono_url"].as_str().unwrap().rsplit_once("/link/").unwrap().1.to_string();
        // Each step of the link page goes to the other replica than the one before.
        let steps: [(&str, Vec<(&str, &str)>); 4] = [
            ("consent", vec![]),
            ("institution", vec![("institution", GTBANK)]),
            ("auth-method", vec![("auth_method", "internet_banking")]),
            ("login", vec![("username", "user_good"), ("password", "123456")]),
        ];
        for (n, (action, form)) in steps.iter().enumerate() {
            let base = if n % 2 == 0 { second } else { first };
            let res = http.post(format!("{base}/link/{path}/{action}")).form(form).send().await.unwrap();
            assert_eq!(res.status().as_u16(), 303, "{action} on {base}");
        }
        if i == LINKS / 2 {
            worker.child.kill().unwrap(); // SIGKILL, whatever it holds
            worker.child.wait().unwrap();
        }
    }
    let all = receiver.wait_for_acknowledged(2 * LINKS, Duration::from_secs(90)).await;
    assert_delivered_in_order(&all, 2 * LINKS);

    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db).await.unwrap();
    let unfinished: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE done_at IS NULL").fetch_one(&pool).await.unwrap();
    assert_eq!(unfinished, 0, "every job ran");
    let repeated: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE attempts > 1").fetch_one(&pool).await.unwrap();
    assert!(repeated <= 8, "only jobs the killed worker held can run twice ({repeated})");
    let duplicates: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT account_id, fingerprint FROM transactions GROUP BY account_id, fingerprint HAVING COUNT(*) > 1) d",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(duplicates, 0, "a job that ran twice stored nothing twice");
    for p in [&mut a, &mut b] {
        p.child.kill().unwrap();
        p.child.wait().unwrap();
    }
}
