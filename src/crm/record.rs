//! Values of the CRM's rows, read and written by column descriptors instead of one struct per kind:
//! the forms, history, lists and Excel export of companies, contacts, leads and deals all walk the
//! same `Field` lists (`crm::fields`), so each kind is a list of fields plus its own rules.

use chrono::{DateTime, NaiveDate, Utc};
use sea_query::Value;

/// What a column holds, as both backends store it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    Int,
    Text,
    Bool,
    Date,
    /// A moment (timestamp with time zone).
    Time,
}

/// One value of one column.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Val {
    #[default]
    Null,
    Int(i64),
    Text(String),
    Bool(bool),
    Date(NaiveDate),
    Time(DateTime<Utc>),
}

impl Val {
    /// The value to bind for a column of type `ty` (a NULL keeps the column's type: PostgreSQL
    /// wants typed parameters).
    pub fn bind(&self, ty: Ty) -> Value {
        match (self, ty) {
            (Val::Int(i), _) => Value::BigInt(Some(*i)),
            (Val::Text(s), _) => Value::String(Some(s.clone())),
            (Val::Bool(b), _) => Value::Bool(Some(*b)),
            (Val::Date(d), _) => Value::ChronoDate(Some(*d)),
            (Val::Time(t), _) => Value::ChronoDateTimeUtc(Some(*t)),
            (Val::Null, Ty::Int) => Value::BigInt(None),
            (Val::Null, Ty::Text) => Value::String(None),
            (Val::Null, Ty::Bool) => Value::Bool(None),
            (Val::Null, Ty::Date) => Value::ChronoDate(None),
            (Val::Null, Ty::Time) => Value::ChronoDateTimeUtc(None),
        }
    }
    pub fn int(&self) -> Option<i64> {
        match self {
            Val::Int(i) => Some(*i),
            _ => None,
        }
    }
    pub fn text(&self) -> &str {
        match self {
            Val::Text(s) => s,
            _ => "",
        }
    }
    pub fn flag(&self) -> bool {
        matches!(self, Val::Bool(true))
    }
    pub fn date(&self) -> Option<NaiveDate> {
        match self {
            Val::Date(d) => Some(*d),
            _ => None,
        }
    }
    /// Empty text counts as no value.
    pub fn is_empty(&self) -> bool {
        match self {
            Val::Null => true,
            Val::Text(s) => s.is_empty(),
            _ => false,
        }
    }
}

/// Decodes column `i` of `row` as `ty`.
pub(crate) fn decode<R>(row: &R, i: usize, ty: Ty) -> Result<Val, sqlx::Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<bool>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<NaiveDate>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<DateTime<Utc>>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(match ty {
        Ty::Int => row.try_get::<Option<i64>, _>(i)?.map_or(Val::Null, Val::Int),
        Ty::Text => row.try_get::<Option<String>, _>(i)?.map_or(Val::Null, Val::Text),
        Ty::Bool => row.try_get::<Option<bool>, _>(i)?.map_or(Val::Null, Val::Bool),
        Ty::Date => row.try_get::<Option<NaiveDate>, _>(i)?.map_or(Val::Null, Val::Date),
        Ty::Time => row.try_get::<Option<DateTime<Utc>>, _>(i)?.map_or(Val::Null, Val::Time),
    })
}

/// Decodes every row: column `i` as `tys[i]`.
pub(crate) fn decode_all<R>(rows: &[R], tys: &[Ty]) -> Result<Vec<Vec<Val>>, sqlx::Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<bool>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<NaiveDate>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<DateTime<Utc>>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    rows.iter().map(|r| tys.iter().enumerate().map(|(i, ty)| decode(r, i, *ty)).collect()).collect()
}
