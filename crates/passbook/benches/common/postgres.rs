//! A fresh database on the PostgreSQL server a benchmark was given.

/// Creates a database with a random name on `server` (a URL naming any database there) and
/// returns its URL.
pub async fn fresh_database(server: &str) -> String {
    use sqlx::{Connection, Executor};
    sqlx::any::install_default_drivers();
    let name = format!("passbook_bench_{}", passbook_domain::ids::random_alnum(12).to_lowercase());
    let mut admin =
        sqlx::AnyConnection::connect(server).await.expect("PASSBOOK_BENCH_POSTGRES_URL accepts connections");
    admin.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.unwrap();
    let root = &server[..server.rfind('/').unwrap()];
    format!("{root}/{name}")
}
