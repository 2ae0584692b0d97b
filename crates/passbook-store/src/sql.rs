//! Building statements with placeholders each backend reads best: `$N` for PostgreSQL, and a plain
//! `?` for SQLite. (sqlx's `QueryBuilder` writes `?` for the `Any` driver, which PostgreSQL does
//! not read.) On SQLite `$N` works too, but a `$N` is a named parameter, and sqlx looks up every
//! parameter's name, which SQLite finds by walking the statement's list of names: quadratic in
//! the number of parameters. A multi-row insert of 500 rows has 5,000; profiling the write of a
//! 100,000-row fetch found 69% of its time in `sqlite3_bind_parameter_name`.
use std::fmt::Write;

use sqlx::any::AnyArguments;
use sqlx::{Any, Arguments, AssertSqlSafe, Encode, Type};

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
