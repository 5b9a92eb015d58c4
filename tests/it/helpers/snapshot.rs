//! A fingerprint of the whole database, to prove that a refused request changed nothing.

use std::collections::BTreeMap;

use ferrocrm::db::{Backend, Db};
use sea_query::{Expr, ExprTrait, Query};

/// Per table: row count, and the newest `updated_at` where the table has one. Taken before and after a
/// denied request, the two must be equal.
pub async fn snapshot(db: &Db) -> BTreeMap<String, (i64, Option<String>)> {
    let tables: Vec<(String,)> = match db.backend() {
        Backend::Sqlite => {
            db.fetch_all(
                &Query::select()
                    .column("name")
                    .from("sqlite_master")
                    .and_where(Expr::col("type").eq("table"))
                    .and_where(Expr::col("name").not_like("sqlite_%"))
                    .to_owned(),
            )
            .await
        }
        Backend::Postgres => {
            db.fetch_all(
                &Query::select()
                    .expr_as(Expr::col("tablename"), "name")
                    .from(("pg_catalog", "pg_tables"))
                    .and_where(Expr::col("schemaname").eq("public"))
                    .to_owned(),
            )
            .await
        }
    }
    .expect("list tables");
    let mut out = BTreeMap::new();
    for (t,) in tables {
        if t == "login_throttle" || t == "sessions" {
            continue; // bookkeeping of the requests themselves, not user data
        }
        let n: i64 = db
            .scalar(&Query::select().expr(Expr::cust("COUNT(*)")).from(sea_query::Alias::new(t.clone())).to_owned())
            .await
            .expect("count")
            .unwrap_or(0);
        let newest: Option<String> = db
            .scalar::<String>(
                &Query::select()
                    .expr(Expr::cust("CAST(MAX(updated_at) AS TEXT)"))
                    .from(sea_query::Alias::new(t.clone()))
                    .to_owned(),
            )
            .await
            .ok()
            .flatten();
        out.insert(t, (n, newest));
    }
    out
}
