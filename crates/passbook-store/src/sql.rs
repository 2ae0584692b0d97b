//! Building statements with placeholders each backend reads best: `$N` for PostgreSQL, and a plain
//! `?` for SQLite. (sqlx's `QueryBuilder` writes `?` for the `Any` driver, which PostgreSQL does
//! not read.) On SQLite `$N` works too, but a `$N` is a named parameter, and sqlx looks up every
//! parameter's name, which SQLite finds by walking the statement's list of names: quadratic in
//! the number of parameters. A multi-row insert of 500 rows has 5,000; profiling the write of a
//! 100,000-row fetch found 69% of its time in `sqlite3_bind_parameter_name`.
use std::fmt::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::{Query, QueryAs, QueryScalar};
use sqlx::{Any, Arguments, AssertSqlSafe, Encode, FromRow, SqlSafeStr, Type};

/// Whether statements are prepared under a name and kept on their connection (the default), or
/// sent unnamed each time: behind a pooler in transaction mode a client's next transaction may
/// run on another server connection, which lacks its named statements. A setting of the process
/// (`--db-prepared-statements`), set when the store connects.
static PREPARED: AtomicBool = AtomicBool::new(true);

pub(crate) fn set_prepared_statements(on: bool) {
    PREPARED.store(on, Ordering::Relaxed);
}

/// `sqlx::query`, prepared as the process is set to.
pub(crate) fn query<'q>(sql: impl SqlSafeStr) -> Query<'q, Any, AnyArguments> {
    sqlx::query(sql).persistent(PREPARED.load(Ordering::Relaxed))
}

/// `sqlx::query_as`, prepared as the process is set to.
pub(crate) fn query_as<'q, O>(sql: impl SqlSafeStr) -> QueryAs<'q, Any, O, AnyArguments>
where
    O: for<'r> FromRow<'r, AnyRow>,
{
    sqlx::query_as(sql).persistent(PREPARED.load(Ordering::Relaxed))
}

/// `sqlx::query_with`, prepared as the process is set to.
pub(crate) fn query_with<'q>(sql: impl SqlSafeStr, args: AnyArguments) -> Query<'q, Any, AnyArguments> {
    sqlx::query_with(sql, args).persistent(PREPARED.load(Ordering::Relaxed))
}

/// `sqlx::query_as_with`, prepared as the process is set to.
pub(crate) fn query_as_with<'q, O>(sql: impl SqlSafeStr, args: AnyArguments) -> QueryAs<'q, Any, O, AnyArguments>
where
    O: for<'r> FromRow<'r, AnyRow>,
{
    sqlx::query_as_with(sql, args).persistent(PREPARED.load(Ordering::Relaxed))
}

/// `sqlx::query_scalar_with`, prepared as the process is set to.
pub(crate) fn query_scalar_with<'q, O>(
    sql: impl SqlSafeStr,
    args: AnyArguments,
) -> QueryScalar<'q, Any, O, AnyArguments>
where
    (O,): for<'r> FromRow<'r, AnyRow>,
{
    sqlx::query_scalar_with(sql, args).persistent(PREPARED.load(Ordering::Relaxed))
}

/// `sqlx::query_scalar`, prepared as the process is set to.
pub(crate) fn query_scalar<'q, O>(sql: impl SqlSafeStr) -> QueryScalar<'q, Any, O, AnyArguments>
where
    (O,): for<'r> FromRow<'r, AnyRow>,
{
    sqlx::query_scalar(sql).persistent(PREPARED.load(Ordering::Relaxed))
}

pub(crate) struct SqlBuilder {
    sql: String,
    args: AnyArguments,
    count: usize,
    /// `?` (SQLite) rather than `$N` (PostgreSQL).
    anonymous: bool,
    /// The values again, for a statement that may run on the calling thread instead
    /// ([`crate::inline`]).
    inline_values: Option<Vec<rusqlite::types::Value>>,
}

impl SqlBuilder {
    /// A statement whose parameters are all bound through the builder, in order.
    pub fn new(backend: crate::Backend, sql: impl Into<String>) -> Self {
        let anonymous = backend == crate::Backend::Sqlite;
        Self { sql: sql.into(), args: AnyArguments::default(), count: 0, anonymous, inline_values: None }
    }

    /// Keeps the bound values for [`SqlBuilder::finish_inline`] too (SQLite only).
    pub fn keeping_values(mut self) -> Self {
        if self.anonymous {
            self.inline_values = Some(Vec::new());
        }
        self
    }

    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    pub fn push_bind<'t, T: Encode<'t, Any> + Type<Any> + rusqlite::ToSql + 't>(&mut self, value: T) -> &mut Self {
        self.count += 1;
        if let Some(values) = &mut self.inline_values {
            values.push(owned_value(&value));
        }
        if self.anonymous {
            self.sql.push('?');
        } else {
            let _ = write!(self.sql, "${}", self.count);
        }
        self.args.add(value).expect("values of the types Passbook binds always encode");
        self
    }

    /// ` LIMIT … OFFSET …` for the page, through `CAST`: SQLite (3.51) marks a bare `LIMIT`
    /// parameter as one the plan depends on, and prepares the statement again every time a value
    /// is bound to it, equal or not (see the tests; `OFFSET` is cast alike, for symmetry only);
    /// written this way every statement of the store is prepared once per connection.
    pub fn push_page(&mut self, page: &passbook_domain::model::PageRequest) -> &mut Self {
        let limit = page.limit.map_or(i64::MAX, |l| i64::try_from(l).unwrap_or(i64::MAX));
        let offset = i64::try_from(page.offset()).unwrap_or(i64::MAX);
        self.push(" LIMIT CAST(")
            .push_bind(limit)
            .push(" AS BIGINT) OFFSET CAST(")
            .push_bind(offset)
            .push(" AS BIGINT)")
    }

    /// `(a, b, …)`: one row of a multi-row insert.
    pub fn push_row(&mut self, values: impl FnOnce(&mut RowBinder<'_>)) -> &mut Self {
        self.sql.push('(');
        values(&mut RowBinder { builder: self, first: true });
        self.sql.push(')');
        self
    }

    pub fn finish(self) -> (AssertSqlSafe<String>, AnyArguments) {
        (AssertSqlSafe(self.sql), self.args)
    }

    /// The statement and its values for [`crate::inline`] (built [`SqlBuilder::keeping_values`]).
    pub fn finish_inline(self) -> (String, Vec<rusqlite::types::Value>) {
        debug_assert!(self.inline_values.is_some() || self.count == 0, "values were not kept");
        (self.sql, self.inline_values.unwrap_or_default())
    }
}

fn owned_value(value: &dyn rusqlite::ToSql) -> rusqlite::types::Value {
    use rusqlite::types::ToSqlOutput;
    match value.to_sql() {
        Ok(ToSqlOutput::Borrowed(borrowed)) => borrowed.try_into().unwrap_or(rusqlite::types::Value::Null),
        Ok(ToSqlOutput::Owned(owned)) => owned,
        // Only the types Passbook binds come here (text, integers, bytes), and each converts.
        _ => rusqlite::types::Value::Null,
    }
}

pub(crate) struct RowBinder<'b> {
    builder: &'b mut SqlBuilder,
    first: bool,
}

impl RowBinder<'_> {
    pub fn bind<'t, T: Encode<'t, Any> + Type<Any> + rusqlite::ToSql + 't>(&mut self, value: T) -> &mut Self {
        if !self.first {
            self.builder.sql.push_str(", ");
        }
        self.first = false;
        self.builder.push_bind(value);
        self
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::StatementStatus::RePrepare;

    /// How often SQLite prepared `sql` again over five runs with the same values.
    fn prepared_again(sql: &str) -> i32 {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        db.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, at INTEGER); INSERT INTO t VALUES (1, 1), (2, 2);")
            .unwrap();
        let mut statement = db.prepare(sql).unwrap();
        for _ in 0..5 {
            let mut rows = statement.query((10, 1)).unwrap();
            while rows.next().unwrap().is_some() {}
        }
        statement.get_status(RePrepare)
    }

    #[test]
    fn sqlite_prepares_a_bare_limit_parameter_again_on_every_run_and_a_cast_one_once() {
        // (An `OFFSET` parameter does not count.)
        assert_eq!(prepared_again("SELECT id FROM t WHERE at <= ? ORDER BY at LIMIT ?"), 5);
        assert_eq!(prepared_again("SELECT id FROM t WHERE at <= ? ORDER BY at LIMIT 9 OFFSET ?"), 0);
        assert_eq!(prepared_again("SELECT id FROM t WHERE at <= ? ORDER BY at LIMIT CAST(? AS BIGINT)"), 0);
    }

    #[test]
    fn no_statement_of_the_store_binds_a_bare_limit() {
        let mut folders = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
        let mut files = Vec::new();
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(folder).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() { folders.push(path) } else { files.push(path) }
            }
        }
        assert!(files.iter().any(|f| f.ends_with("events/mod.rs")), "the walk reaches modules in folders");
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap();
            for bare in ["LIMIT $", "LIMIT \")", "LIMIT ?"] {
                let found = code.lines().any(|l| l.contains(bare));
                assert!(!found, "{} binds `{bare}`: write `CAST($n AS BIGINT)` or `push_page`", path.display());
            }
        }
    }
}
