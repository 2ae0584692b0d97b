//! The SQLite and PostgreSQL migrations must describe the same schema: the same migrations,
//! tables, columns and indexes. Types differ by design (INTEGER/BIGINT, BLOB/BYTEA).
use std::collections::BTreeSet;
use std::path::Path;

fn read(backend: &str) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(backend);
    let mut files: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
        .iter()
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(p).unwrap()))
        .collect()
}

/// `table.column` for every column (created or added), `index:name` for every index,
/// `drop:table` for every table dropped.
fn shape(sql: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut table: Option<String> = None;
    for line in sql.lines().map(|l| l.split("--").next().unwrap().trim()) {
        if let Some(rest) = line.strip_prefix("CREATE TABLE ") {
            table = Some(rest.split_whitespace().next().unwrap().to_string());
        } else if let Some(rest) = line.strip_prefix("DROP TABLE ") {
            out.insert(format!("drop:{}", rest.trim_end_matches(';').trim()));
        } else if line.starts_with(')') {
            table = None;
        } else if let Some(t) = &table {
            let first = line.split_whitespace().next().unwrap_or_default();
            if !first.is_empty() && !["UNIQUE", "PRIMARY", "FOREIGN", "CHECK", "CONSTRAINT"].contains(&first) {
                out.insert(format!("{t}.{first}"));
            }
        } else if let Some(rest) = line.strip_prefix("ALTER TABLE ")
            && let Some((t, column)) = rest.split_once(" ADD COLUMN ")
        {
            out.insert(format!("{t}.{}", column.split_whitespace().next().unwrap_or_default()));
        } else if line.starts_with("CREATE INDEX") || line.starts_with("CREATE UNIQUE INDEX") {
            let name = line.split_whitespace().skip_while(|w| *w != "INDEX").nth(1).unwrap();
            out.insert(format!("index:{name}"));
        }
    }
    out
}

#[test]
fn sqlite_and_postgres_migrations_match() {
    let sqlite = read("sqlite");
    let postgres = read("postgres");
    let names = |m: &[(String, String)]| m.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&sqlite), names(&postgres), "both backends have the same migration files");
    for ((name, lite), (_, pg)) in sqlite.iter().zip(&postgres) {
        let (a, b) = (shape(lite), shape(pg));
        assert!(!a.is_empty(), "{name} describes nothing");
        let only_sqlite: Vec<_> = a.difference(&b).collect();
        let only_postgres: Vec<_> = b.difference(&a).collect();
        assert!(
            only_sqlite.is_empty() && only_postgres.is_empty(),
            "{name} drifted: only in SQLite {only_sqlite:?}, only in PostgreSQL {only_postgres:?}"
        );
        assert!(!pg.contains(" BLOB") && !pg.contains("INTEGER"), "{name}: PostgreSQL uses BYTEA and BIGINT");
    }
}
