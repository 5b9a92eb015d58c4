//! The sales CRM: companies, contact persons, leads, requests, deals, their line items ("outputs",
//! shipped as shipments) and payments, products, currencies with dated rates, tags, countries and
//! cities, and the per-department dictionaries (deal stages, closing reasons, client types,
//! industries, lead sources). Spec: inventory §2.1–2.2, scoping §3.2, lists §12–13.
//!
//! Conventions (docs/architecture.md, "CRM data model"):
//! - Department-scoped objects carry `department_id` (NOT NULL, RESTRICT: a department that still
//!   holds companies or deals cannot vanish), `owner_id` (nullable: the lists' "- - - -" owner),
//!   `modified_by_id`, `created_at`, `updated_at`; deals and requests also `co_owner_id`.
//!   Dictionaries belong to their department and go with it (CASCADE).
//! - Money is integer hundredths ("cents") of the row's currency, as the original's
//!   decimal(10,2); exchange rates are integers scaled by 10^8, as its decimal(13,8).
//! - `*_key` columns are normalised copies written by the repo with `text::fold` /
//!   `text::match_key` (sea-query cannot render an expression index for SQLite, and SQLite's
//!   lower() folds ASCII only), so case-insensitive look-ups are index look-ups on both backends.
//!   They are twice the field's length: lower-casing can lengthen a string.
//! - References to deals' counterparties RESTRICT: "Correctly delete duplicate" (§11.1) and lead
//!   conversion re-point them first; a deal never loses its company by accident.

mod data;
mod sales;

use sea_query::{
    ColumnDef, ConditionalStatement, Expr, ExprTrait, ForeignKeyAction as On, Index, Table, TableCreateStatement,
};

use super::{Stmt, fk, id, index, table, ts, unique_index};

pub use data::department_defaults;
pub(crate) use data::lead_source_token;

/// Required short text.
fn req(name: &'static str, len: u32) -> ColumnDef {
    ColumnDef::new(name).string_len(len).not_null().to_owned()
}

/// Optional short text: empty when not given.
fn opt(name: &'static str, len: u32) -> ColumnDef {
    ColumnDef::new(name).string_len(len).not_null().default("").to_owned()
}

fn text(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().not_null().default("").to_owned()
}

fn flag(name: &'static str, default: bool) -> ColumnDef {
    ColumnDef::new(name).boolean().not_null().default(default).to_owned()
}

fn ref_req(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().to_owned()
}

fn ref_opt(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().null().to_owned()
}

fn date_opt(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).date().null().to_owned()
}

/// An amount in hundredths of its currency (see the module header).
fn cents(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().null().to_owned()
}

/// An exchange rate × 10^8 (1.0 by default).
fn rate(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().default(100_000_000i64).to_owned()
}

/// The scoping columns of a department-scoped object (§1.4 Base1, §3.2).
fn scoped(t: &mut TableCreateStatement, name: &'static str) {
    t.col(ref_req("department_id"))
        .col(ref_opt("owner_id"))
        .col(ref_opt("modified_by_id"))
        .col(ts("created_at"))
        .col(ts("updated_at"))
        .foreign_key(&mut fk(name, "department_id", "departments", On::Restrict))
        // Users are deactivated, never deleted (§3.3); RESTRICT as for tasks' owners.
        .foreign_key(&mut fk(name, "owner_id", "users", On::Restrict))
        .foreign_key(&mut fk(name, "modified_by_id", "users", On::SetNull));
}

/// A per-department dictionary: a name and an order, unique by name within the department (user
/// transfer, §11.3, maps entries between departments by name).
fn dictionary(name: &'static str) -> TableCreateStatement {
    Table::create()
        .table(name)
        .col(id())
        .col(ref_req("department_id"))
        .col(req("name", 100))
        .col(ColumnDef::new("index_number").integer().not_null().default(0))
        .foreign_key(&mut fk(name, "department_id", "departments", On::Cascade))
        .to_owned()
}

/// A unique index over the rows where `flag` is true: "at most one such row per `cols`".
fn unique_where(name: &'static str, tbl: &'static str, cols: &[&'static str], flag: &'static str) -> Stmt {
    let mut i = Index::create();
    i.name(name).table(tbl).unique().if_not_exists();
    for c in cols {
        i.col(*c);
    }
    i.and_where(Expr::col(flag).eq(true));
    Stmt::Index(Box::new(i.to_owned()))
}

/// An index over the rows where `col` is set: a rarely-set reference whose target is deleted often
/// (an attachment), so the foreign-key check on that delete is a look-up, not a table scan.
fn index_set(name: &'static str, tbl: &'static str, col: &'static str) -> Stmt {
    let mut i = Index::create();
    i.name(name).table(tbl).if_not_exists().col(col).and_where(Expr::col(col).is_not_null());
    Stmt::Index(Box::new(i.to_owned()))
}

/// `ALTER TABLE … ADD COLUMN … REFERENCES …`: sea-query cannot add a foreign key to an existing
/// table on SQLite, but both backends accept it inline in ADD COLUMN (nullable, no default).
fn add_reference(tbl: &'static str, col: &'static str, to: &'static str, on_delete: &'static str) -> Stmt {
    Stmt::Alter(Box::new(
        Table::alter()
            .table(tbl)
            .add_column(ref_opt(col).extra(format!("REFERENCES \"{to}\" (\"id\") ON DELETE {on_delete}")))
            .to_owned(),
    ))
}

/// Person fields shared by contacts and leads (BaseContact, §2.2).
fn person(t: &mut TableCreateStatement, name: &'static str) {
    t.col(req("first_name", 100))
        .col(opt("middle_name", 100))
        .col(opt("last_name", 100))
        // Lower-cased names (`text::fold`): the duplicate check of §11.1 and request matching (§6.4).
        .col(opt("first_name_key", 200))
        .col(opt("last_name_key", 200))
        .col(opt("title", 100))
        .col(ColumnDef::new("sex").string_len(1).not_null().default("M"))
        .col(date_opt("birth_date"))
        .col(opt("secondary_email", 200))
        .col(opt("phone", 100))
        .col(opt("other_phone", 100))
        .col(opt("mobile", 100))
        .col(ref_opt("avatar_attachment_id"))
        .foreign_key(&mut fk(name, "avatar_attachment_id", "attachments", On::SetNull));
}

/// Fields shared by companies, contacts and leads (BaseCounterparty, §2.2).
fn counterparty(t: &mut TableCreateStatement, name: &'static str) {
    t.col(req("email", 200)) // a comma-separated list is allowed
        .col(opt("address", 200))
        .col(opt("region", 100))
        .col(opt("district", 100))
        .col(opt("city_name", 50))
        .col(ref_opt("city_id"))
        .col(ref_opt("country_id"))
        .col(text("description"))
        .col(flag("disqualified", false))
        .col(ref_opt("lead_source_id"))
        .col(flag("massmail", true))
        .col(date_opt("was_in_touch"))
        // Double-submit protection: the form's hidden random token; a second insert is refused.
        .col(req("token", 32))
        .foreign_key(&mut fk(name, "city_id", "cities", On::Restrict))
        .foreign_key(&mut fk(name, "country_id", "countries", On::Restrict))
        .foreign_key(&mut fk(name, "lead_source_id", "lead_sources", On::SetNull));
}

/// A many-to-many link table with both ends' deletes cascading to the link.
fn link(name: &'static str, a: (&'static str, &'static str), b: (&'static str, &'static str), b_on: On) -> Stmt {
    table(
        Table::create()
            .table(name)
            .col(ref_req(a.0))
            .col(ref_req(b.0))
            .primary_key(Index::create().col(a.0).col(b.0))
            .foreign_key(&mut fk(name, a.0, a.1, On::Cascade))
            .foreign_key(&mut fk(name, b.0, b.1, b_on)),
    )
}

pub fn statements() -> Vec<Stmt> {
    let mut s = geography_and_money();
    s.extend(dictionaries());
    s.extend(sales::counterparties());
    s.extend(sales::deals());
    s.extend(data::rows());
    s
}

fn geography_and_money() -> Vec<Stmt> {
    vec![
        table(
            Table::create()
                .table("countries")
                .col(id())
                .col(req("name", 100))
                // Comma-separated other names ("Turkey" for "Turkiye"): matched on web-form intake (§6.3).
                .col(text("alternative_names"))
                .col(req("url_name", 100)),
        ),
        unique_index("ux_countries_name", "countries", &["name"]),
        unique_index("ux_countries_url_name", "countries", &["url_name"]),
        table(
            Table::create()
                .table("cities")
                .col(id())
                .col(req("name", 100))
                .col(req("name_key", 200))
                .col(text("alternative_names"))
                .col(ref_req("country_id"))
                .foreign_key(&mut fk("cities", "country_id", "countries", On::Restrict)),
        ),
        // A city name is unique within its country, case-insensitively (§2.2 City.clean); also the
        // look-up of intake's city resolution (§6.6).
        unique_index("ux_cities_country_name", "cities", &["country_id", "name_key"]),
        table(
            Table::create()
                .table("currencies")
                .col(id())
                .col(req("name", 3)) // ISO 4217 code
                .col(rate("rate_to_state_e8"))
                .col(rate("rate_to_marketing_e8"))
                .col(flag("is_state_currency", false))
                .col(flag("is_marketing_currency", false))
                .col(flag("auto_update", true))
                .col(ts("updated_at")),
        ),
        unique_index("ux_currencies_name", "currencies", &["name"]),
        // At most one state and one marketing currency system-wide (§2.2).
        unique_where("ux_currencies_state", "currencies", &["is_state_currency"], "is_state_currency"),
        unique_where("ux_currencies_marketing", "currencies", &["is_marketing_currency"], "is_marketing_currency"),
        table(
            Table::create()
                .table("currency_rates")
                .col(id())
                .col(ref_req("currency_id"))
                .col(ColumnDef::new("rate_date").date().not_null())
                .col(rate("rate_to_state_e8"))
                .col(rate("rate_to_marketing_e8"))
                .col(req("rate_type", 16)) // approximate | official
                .foreign_key(&mut fk("currency_rates", "currency_id", "currencies", On::Cascade)),
        ),
        // One rate per currency and day: a received payment adds an approximate one if missing,
        // the loader upgrades it to official (§18); reports look it up by (currency, payment date).
        unique_index("ux_currency_rates_day", "currency_rates", &["currency_id", "rate_date"]),
        // Department settings the CRM reads (§2.1): form defaults and the "works globally" switch.
        add_reference("departments", "default_country_id", "countries", "SET NULL"),
        add_reference("departments", "default_currency_id", "currencies", "SET NULL"),
        Stmt::Alter(Box::new(Table::alter().table("departments").add_column(flag("works_globally", false)).to_owned())),
    ]
}

fn dictionaries() -> Vec<Stmt> {
    vec![
        table(
            dictionary("deal_stages")
                .col(flag("is_default", false))
                .col(flag("second_default", false))
                .col(flag("success_stage", false))
                .col(flag("conditional_success_stage", false))
                .col(flag("goods_shipped", false)),
        ),
        unique_index("ux_deal_stages_name", "deal_stages", &["department_id", "name"]),
        // The save rules of §12.6 and §13.6 look up "the department's" default, second-default,
        // success and goods-shipped stage: one each.
        unique_where("ux_deal_stages_default", "deal_stages", &["department_id"], "is_default"),
        unique_where("ux_deal_stages_second", "deal_stages", &["department_id"], "second_default"),
        unique_where("ux_deal_stages_success", "deal_stages", &["department_id"], "success_stage"),
        unique_where("ux_deal_stages_shipped", "deal_stages", &["department_id"], "goods_shipped"),
        table(dictionary("closing_reasons").col(flag("success_reason", false))),
        unique_index("ux_closing_reasons_name", "closing_reasons", &["department_id", "name"]),
        // "The department's success reason" (§12.4 Successful deals, §12.6).
        unique_where("ux_closing_reasons_success", "closing_reasons", &["department_id"], "success_reason"),
        table(&mut dictionary("client_types")),
        unique_index("ux_client_types_name", "client_types", &["department_id", "name"]),
        table(&mut dictionary("industries")),
        unique_index("ux_industries_name", "industries", &["department_id", "name"]),
        table(
            dictionary("lead_sources")
                // The public web-form token (§6.2 `leadsource_token`): random per row, also per copy
                // of a department (§11.4), so it identifies department and source.
                .col(req("token", 36))
                .col(opt("email", 254))
                // Empty: the built-in form and thank-you page (the original's iframe source names
                // exactly its defaults).
                .col(opt("form_template", 100))
                .col(opt("success_template", 100)),
        ),
        unique_index("ux_lead_sources_name", "lead_sources", &["department_id", "name"]),
        unique_index("ux_lead_sources_token", "lead_sources", &["token"]),
        table(dictionary("product_categories").col(text("description"))),
        unique_index("ux_product_categories_name", "product_categories", &["department_id", "name"]),
        {
            let mut t =
                Table::create().table("crm_tags").col(id()).col(req("name", 100)).col(req("name_key", 200)).to_owned();
            scoped(&mut t, "crm_tags");
            table(&mut t)
        },
        // Unique per department, case-insensitively (§2.2 Tag; "Such a tag already exists.").
        unique_index("ux_crm_tags_name", "crm_tags", &["department_id", "name_key"]),
        {
            let mut t = Table::create()
                .table("products")
                .col(id())
                .col(req("name", 250))
                .col(text("description"))
                .col(cents("price_cents"))
                .col(ref_opt("currency_id"))
                .col(flag("on_sale", true))
                .col(ColumnDef::new("kind").string_len(8).not_null().default("goods")) // goods | service
                .col(ref_opt("category_id"))
                .foreign_key(&mut fk("products", "currency_id", "currencies", On::Restrict))
                .foreign_key(&mut fk("products", "category_id", "product_categories", On::SetNull))
                .to_owned();
            scoped(&mut t, "products");
            table(&mut t)
        },
        // The department's product list and choices, by name.
        index("ix_products_department", "products", &["department_id", "name"]),
        index("ix_products_category", "products", &["category_id"]),
    ]
}
