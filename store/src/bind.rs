//! Binds master-data values with the column's SQL type, so even a NULL has the right type
//! (PostgreSQL refuses an untyped text NULL in a BIGINT column), and the values of `IN` lists.

use chrono::NaiveDate;
use sqlx::query_builder::Separated;
use sqlx::{Database, Encode, QueryBuilder, Type};

/// Pushes `(v1, v2, …)`, one bound parameter per value: the list of an `IN`. `values` must
/// not be empty.
pub(crate) fn push_in_list<'t, DB, T>(
    builder: &mut QueryBuilder<DB>,
    values: impl IntoIterator<Item = T>,
) where
    DB: Database,
    T: Encode<'t, DB> + Type<DB>,
{
    builder.push("(");
    let mut separated = builder.separated(", ");
    for value in values {
        separated.push_bind(value);
    }
    builder.push(")");
}
use switchboard_core::master::{Column, ColumnType, Value};

/// Pushes one value onto a multi-row `VALUES` list.
pub(crate) fn push_value<'qb, DB>(
    values: &mut Separated<'qb, DB, &'static str>,
    column: &Column,
    value: &Value,
) where
    DB: Database,
    for<'t> Option<String>: Encode<'t, DB> + Type<DB>,
    for<'t> Option<i64>: Encode<'t, DB> + Type<DB>,
    for<'t> Option<NaiveDate>: Encode<'t, DB> + Type<DB>,
    for<'t> Option<bool>: Encode<'t, DB> + Type<DB>,
{
    match column.ty {
        ColumnType::Text | ColumnType::OneOf(_) => values.push_bind(match value {
            Value::Text(text) => Some(text.clone()),
            _ => None,
        }),
        ColumnType::Int | ColumnType::IntRange(..) | ColumnType::Money => {
            values.push_bind(match value {
                Value::Int(number) => Some(*number),
                _ => None,
            })
        }
        ColumnType::Date => values.push_bind(match value {
            Value::Date(date) => Some(*date),
            _ => None,
        }),
        ColumnType::Flag => values.push_bind(match value {
            Value::Flag(flag) => Some(*flag),
            _ => None,
        }),
    };
}
