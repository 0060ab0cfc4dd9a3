//! Typed values at the SQL boundary: parties, roles and states are stored by
//! their stable names and read back as enums, never matched as strings.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

use crate::domain::matrix::RowKind;
use crate::domain::operations::{CycleState, Environment, Severity, TicketState};
use crate::domain::{Channel, Party, Role, TaskState};

macro_rules! sql_name {
    ($($t:ty),+) => {$(
        impl ToSql for $t {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $t {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                value
                    .as_str()?
                    .parse()
                    .map_err(|e: crate::error::Error| FromSqlError::Other(Box::new(e)))
            }
        }
    )+};
}

sql_name!(Channel, Party, Role, TaskState, CycleState, TicketState, Severity, Environment, RowKind);
