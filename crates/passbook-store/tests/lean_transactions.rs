//! Migration 0006 moves transactions stored the old way (text ids, kinds by name, a category)
//! into the lean table (and 0008 makes them the first changes of the change feed), on SQLite and (with `PASSBOOK_TEST_DATABASE_URL`) PostgreSQL.
use std::path::Path;

use sqlx::{Connection, Executor, Row};

const ACCOUNT: &str = "6b0cfed609232771d80007df";

/// id, account, date, narration, amount, kind, balance, currency, fingerprint
type Moved = (String, String, i64, String, i64, i64, Option<i64>, String, String);

async fn migrate_up_to(db: &mut sqlx::AnyConnection, backend: &str, last: &str) {
    let all = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
    let some = tempfile::tempdir().unwrap();
    for file in std::fs::read_dir(&all).unwrap() {
        let path = file.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.as_str() <= last {
            std::fs::copy(&path, some.path().join(&name)).unwrap();
        }
    }
    sqlx::migrate::Migrator::new(some.path()).await.unwrap().run(db).await.unwrap();
}

async fn moves_old_rows(url: &str, backend: &str) {
    sqlx::any::install_default_drivers();
    let mut db = sqlx::AnyConnection::connect(url).await.unwrap();
    migrate_up_to(&mut db, backend, "0005").await;
    // The rows alone, without the account they belong to.
    let no_references =
        if backend == "sqlite" { "PRAGMA foreign_keys = OFF" } else { "SET session_replication_role = replica" };
    db.execute(no_references).await.unwrap();
    db.execute(sqlx::AssertSqlSafe(format!(
        "INSERT INTO transactions (id, account_id, date, narration, amount, kind, balance, category, currency, fingerprint)
         VALUES ('6b0c0eae1ffebbe4ff000a81', '{ACCOUNT}', 1000, 'SALARY', 500000, 'credit', 700000, 'income', 'NGN', 'f-1'),
                ('6b0c0eae1ffebbe4ff000a82', '{ACCOUNT}', 2000, 'POS PURCHASE', 20000, 'debit', NULL, 'shopping', 'NGN', 'f-2')"
    )))
    .await
    .unwrap();
    migrate_up_to(&mut db, backend, "9999").await;
    let hex = if backend == "sqlite" {
        "lower(hex(id)), lower(hex(account_id))"
    } else {
        "encode(id, 'hex'), encode(account_id, 'hex')"
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {hex}, date, narration, amount, kind, balance, currency, fingerprint FROM transactions ORDER BY date"
    )))
    .fetch_all(&mut db)
    .await
    .unwrap();
    let moved: Vec<Moved> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6), r.get(7), r.get(8)))
        .collect();
    assert_eq!(
        moved,
        [
            (
                "6b0c0eae1ffebbe4ff000a81".into(),
                ACCOUNT.into(),
                1000,
                "SALARY".into(),
                500000,
                1,
                Some(700000),
                "NGN".into(),
                "f-1".into()
            ),
            (
                "6b0c0eae1ffebbe4ff000a82".into(),
                ACCOUNT.into(),
                2000,
                "POS PURCHASE".into(),
                20000,
                0,
                None,
                "NGN".into(),
                "f-2".into()
            ),
        ]
    );
    // Migration 0008: records stored before the change feed are its first changes, in order.
    let logged = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT seq, change, {} FROM transaction_changes ORDER BY seq",
        if backend == "sqlite" { "lower(hex(transaction_id))" } else { "encode(transaction_id, 'hex')" }
    )))
    .fetch_all(&mut db)
    .await
    .unwrap();
    let logged: Vec<(i64, i64, String)> = logged.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect();
    assert_eq!(
        logged,
        [(1, 0, "6b0c0eae1ffebbe4ff000a81".to_string()), (2, 0, "6b0c0eae1ffebbe4ff000a82".to_string())]
    );
}

#[tokio::test]
async fn sqlite_rows_move_to_the_lean_table() {
    let dir = tempfile::tempdir().unwrap();
    moves_old_rows(&format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display()), "sqlite").await;
}

#[tokio::test]
async fn postgres_rows_move_to_the_lean_table() {
    let Ok(server) = std::env::var("PASSBOOK_TEST_DATABASE_URL") else { return };
    if server.is_empty() {
        return;
    }
    sqlx::any::install_default_drivers();
    let name = format!("passbook_lean_{}", std::process::id());
    let mut admin = sqlx::AnyConnection::connect(&server).await.unwrap();
    admin.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}"))).await.unwrap();
    admin.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.unwrap();
    moves_old_rows(&format!("{}/{name}", &server[..server.rfind('/').unwrap()]), "postgres").await;
}
