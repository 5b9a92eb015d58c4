//! What lead conversion (§13.4) carries besides fields: the lead's tags and industries. A new
//! company gets the lead's industries and tags, a new contact person and a new deal its tags (copied
//! with the other fields, `convert::copy`, or set on the new deal). A company, contact person or deal
//! that already exists keeps its own and gains the lead's (a union, never a replacement), through
//! `repo::update`, so each gain is a history entry ("Tags: VIP → Key account, VIP").
//!
//! Tags and industries are per department. Into a row of the lead's department the ids go as they
//! are; into a row of another department (a chosen company elsewhere, which a chief or an
//! administrator may pick) a tag goes as the same-named tag of that department (made if missing, as
//! a form's "new tags" box does) and an industry as the same-named industry there (none: left out,
//! since industries are the department's fixed list).

use sea_query::{Expr, ExprTrait, Query};

use super::fields::{ManyTo, ids, ids_val};
use super::repo::{self, Record, Spec};
use crate::db::{Db, Tx};
use crate::history::Actor;

/// The lead's tags and industries.
#[derive(Clone, Debug, Default)]
pub struct Carried {
    pub department: i64,
    pub tags: Vec<i64>,
    pub industries: Vec<i64>,
}

impl Carried {
    pub fn of(lead: &Record) -> Carried {
        let l = &super::person::LEAD;
        Carried {
            department: lead.department_id,
            tags: ids(lead.get(l, "tags")),
            industries: ids(lead.get(l, "industries")),
        }
    }
}

async fn names_of(db: &Db, table: &'static str, ids: &[i64]) -> Result<Vec<String>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<(String,)> = db
        .fetch_all(Query::select().column("name").from(table).and_where(Expr::col("id").is_in(ids.iter().copied())))
        .await?;
    Ok(rows.into_iter().map(|(n,)| n).collect())
}

/// Adds the lead's tags (and, when the kind has them, industries) to the stored row `id` of `spec`.
pub async fn unite(
    tx: &mut Tx,
    db: &Db,
    spec: &Spec,
    id: i64,
    carried: &Carried,
    actor: &Actor,
    user: i64,
) -> Result<(), sqlx::Error> {
    let Some(before) = repo::get(db, spec, id).await? else { return Ok(()) };
    let mut after = before.clone();
    let mut made: Vec<(i64, String)> = Vec::new();
    let foreign = before.department_id != carried.department;
    if spec.field("tags").is_some() && !carried.tags.is_empty() {
        let add = if foreign {
            let names = names_of(db, "crm_tags", &carried.tags).await?;
            let ids = super::many::ensure_tags(tx, before.department_id, &names, user).await?;
            made.extend(ids.iter().cloned());
            ids.into_iter().map(|(i, _)| i).collect()
        } else {
            carried.tags.clone()
        };
        let mut all = ids(before.get(spec, "tags"));
        all.extend(add);
        after.set(spec, "tags", ids_val(all));
    }
    if spec.field("industries").is_some() && !carried.industries.is_empty() {
        let add: Vec<i64> = if foreign {
            let names = names_of(db, "industries", &carried.industries).await?;
            let rows: Vec<(i64,)> = db
                .fetch_all(
                    Query::select()
                        .column("id")
                        .from("industries")
                        .and_where(Expr::col("department_id").eq(before.department_id))
                        .and_where(Expr::col("name").is_in(names)),
                )
                .await?;
            rows.into_iter().map(|(i,)| i).collect()
        } else {
            carried.industries.clone()
        };
        let mut all = ids(before.get(spec, "industries"));
        all.extend(add);
        after.set(spec, "industries", ids_val(all));
    }
    let mut names = super::choices::names(db, spec, &[&before, &after]).await?;
    for (tag, name) in made {
        names.0.insert((ManyTo::Tags.to(), tag), name);
    }
    repo::update(tx, spec, &before, &after, actor, &names).await?;
    Ok(())
}
