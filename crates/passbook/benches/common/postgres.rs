//! A fresh database on the PostgreSQL server a benchmark was given.

/// Creates a database with a random name on `server` (a URL naming any database there) and
/// returns its URL. The databases of earlier bench runs go first: each holds a run's
/// transactions and events (this session's runs had grown the test server's data to 1.1 GB), and
/// a bench run makes one database, so none of them is in use.
pub async fn fresh_database(server: &str) -> String {
    use sqlx::{Connection, Executor};
    sqlx::any::install_default_drivers();
    let mut admin =
        sqlx::AnyConnection::connect(server).await.expect("PASSBOOK_BENCH_POSTGRES_URL accepts connections");
    let earlier: Vec<String> =
        sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE datname LIKE 'passbook_bench_%'")
            .fetch_all(&mut admin)
            .await
            .unwrap();
    for name in earlier {
        admin.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).await.unwrap();
    }
    let name = format!("passbook_bench_{}", passbook_domain::ids::random_alnum(12).to_lowercase());
    admin.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.unwrap();
    let root = &server[..server.rfind('/').unwrap()];
    format!("{root}/{name}")
}
