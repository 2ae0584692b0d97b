//! `kill -9` during a burst of deliveries loses no event.
use std::time::Duration;

use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn kill_dash_nine_mid_burst_loses_no_event() {
    let dir = tempfile::tempdir().unwrap();
    let (db, key, receiver, secret) = process_setup(&dir).await;

    let mut first = serve(&db, &key, &[]);
    let http = client();
    const LINKS: usize = 12;
    for i in 0..LINKS {
        let body = json!({"customer": {"name": "Crash", "email": format!("c{i}@example.ng")}, "scope": "auth",
                          "institution": {"id": GTBANK, "auth_method": "internet_banking"}});
        let res = initiate_with(&passbook_client::Client::new(&first.base, &secret), &body).await;
        let url = res["mono_url"].as_str().unwrap();
        http.post(format!("{url}/login"))
            .form(&[("username", "user_good"), ("password", "123456")])
            .send()
            .await
            .unwrap();
        if i == LINKS / 2 {
            // From here on the receiver holds requests, so deliveries are in flight when we kill.
            receiver.set_open(false);
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    first.child.kill().unwrap(); // SIGKILL
    first.child.wait().unwrap();
    let before = receiver.all().iter().filter(|r| r.acknowledged()).count();
    assert!(before < 2 * LINKS, "the kill came mid-burst ({before} acknowledged)");

    receiver.set_open(true);
    let mut second = serve(&db, &key, &[]);
    let all = receiver.wait_for_acknowledged(2 * LINKS, Duration::from_secs(60)).await;
    second.child.kill().unwrap();
    second.child.wait().unwrap();
    assert_delivered_in_order(&all, 2 * LINKS);
}
