//! Building statements with `$N` placeholders, which both SQLite and PostgreSQL read (sqlx's
//! `QueryBuilder` writes `?` for the `Any` driver, which PostgreSQL does not).
use std::fmt::Write;

use sqlx::any::AnyArguments;
use sqlx::{Any, Arguments, AssertSqlSafe, Encode, Type};

pub(crate) struct SqlBuilder {
    sql: String,
    args: AnyArguments,
    count: usize,
}

impl SqlBuilder {
    pub fn new(sql: impl Into<String>) -> Self {
        Self { sql: sql.into(), args: AnyArguments::default(), count: 0 }
    }

    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    pub fn push_bind<'t, T: Encode<'t, Any> + Type<Any> + 't>(&mut self, value: T) -> &mut Self {
        self.count += 1;
        let _ = write!(self.sql, "${}", self.count);
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
}

pub(crate) struct RowBinder<'b> {
    builder: &'b mut SqlBuilder,
    first: bool,
}

impl RowBinder<'_> {
    pub fn bind<'t, T: Encode<'t, Any> + Type<Any> + 't>(&mut self, value: T) -> &mut Self {
        if !self.first {
            self.builder.sql.push_str(", ");
        }
        self.first = false;
        self.builder.push_bind(value);
        self
    }
}
