//! One company per name when it has no country (inventory §2.2: `Company` is unique together
//! (`full_name`, `country`), and the duplicate check of §11.1 counts "no country" as one value).
//! `ux_companies_name_country` (migration 5) cannot say that: NULLs differ in a unique index on both
//! backends, so two saves of the same country-less name racing past the check could both get in.
//! A partial unique index over `full_name` where `country_id IS NULL` closes it; together the two
//! indexes are exactly the duplicate check's rule (exact name; same country or both none), so a save
//! the index refuses is one the check would have refused, and `duplicates::raced` turns it into the
//! same 422 with the link.
//!
//! Rows that already break the rule (saved before the check existed, or by that race) would make
//! the index fail to build. They are kept, never deleted or merged here: in each group of
//! country-less companies with one name, the oldest keeps it and each other is renamed
//! "<name> (duplicate ID<id>)" (the name cut to fit 200 characters), with its `name_key` and search
//! terms recomputed and a history entry saying why, so a person can find them and merge them with
//! "Correctly delete duplicate".

use sea_query::{ConditionalStatement, Expr, ExprTrait, Index, Order, Query};

use super::Stmt;
use crate::access::ItemKind;
use crate::db::Tx;
use crate::history::{self, Actor, Change, Diff};

const NAME_MAX: usize = 200;

/// The name a duplicate `id` of `name` gets.
pub fn renamed(name: &str, id: i64) -> String {
    let suffix = format!(" (duplicate ID{id})");
    let keep = NAME_MAX.saturating_sub(suffix.chars().count());
    let base: String = name.chars().take(keep).collect();
    format!("{}{suffix}", base.trim_end())
}

async fn rename_duplicates(tx: &mut Tx) -> Result<(), sqlx::Error> {
    // The names held by more than one country-less company (few: the check refuses new ones).
    let names: Vec<(String,)> = tx
        .fetch_all(
            Query::select()
                .column("full_name")
                .from("companies")
                .and_where(Expr::col("country_id").is_null())
                .group_by_col("full_name")
                .and_having(Expr::col("id").count().gt(1)),
        )
        .await?;
    let actor = Actor::system("Migration 13 (one company per name without a country)");
    for (name,) in names {
        let ids: Vec<(i64,)> = tx
            .fetch_all(
                Query::select()
                    .column("id")
                    .from("companies")
                    .and_where(Expr::col("country_id").is_null())
                    .and_where(Expr::col("full_name").eq(name.as_str()))
                    .order_by("id", Order::Asc),
            )
            .await?;
        for (id,) in ids.into_iter().skip(1) {
            let new = renamed(&name, id);
            crate::crm::search::unindex_row(tx, ItemKind::Company, id).await?;
            tx.execute(
                Query::update()
                    .table("companies")
                    .values([("full_name", new.clone().into()), ("name_key", crate::text::match_key(&new).into())])
                    .and_where(Expr::col("id").eq(id)),
            )
            .await?;
            crate::crm::search::index_where(tx, ItemKind::Company, "id", id).await?;
            let mut d = Diff::default();
            d.field("Full name", &name, &new);
            history::record(
                tx,
                &actor,
                "company",
                id,
                Change::Update,
                "Renamed: another company without a country has the same name (merge them with \"Correctly delete duplicate\")",
                &d,
            )
            .await?;
        }
    }
    Ok(())
}

pub fn statements() -> Vec<Stmt> {
    vec![
        Stmt::Run(|tx| Box::pin(rename_duplicates(tx))),
        Stmt::Index(Box::new(
            Index::create()
                .name("ux_companies_name_no_country")
                .table("companies")
                .col("full_name")
                .unique()
                .if_not_exists()
                .and_where(Expr::col("country_id").is_null())
                .to_owned(),
        )),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_renamed_duplicate_fits_the_column_and_names_its_id() {
        assert_eq!(renamed("Acme", 7), "Acme (duplicate ID7)");
        let long = "x".repeat(200);
        let r = renamed(&long, 123_456);
        assert_eq!(r.chars().count(), 200);
        assert!(r.ends_with(" (duplicate ID123456)"));
        let wide = "é".repeat(199);
        assert_eq!(renamed(&wide, 1).chars().count(), 200);
    }
}
