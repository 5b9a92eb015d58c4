//! Public request intake (issue 9, inventory §6.2–6.3): the origins allowed to embed a lead source's
//! web form, the administrators' spam lists (stop phrases and banned company names, §2.7), and the
//! key that signs the forms' minimum-fill-time tokens.

use sea_query::{ColumnDef, Query, Table, TableAlterStatement};

use super::{Stmt, id, table, ts, ts_null, unique_index};

pub fn statements() -> Vec<Stmt> {
    let origins: TableAlterStatement = Table::alter()
        .table("lead_sources")
        // Origins (`https://shop.example`), one a line, that may frame the form and call it from a
        // script: its `frame-ancestors` and CORS allow-list. Empty: only the CRM itself.
        .add_column(ColumnDef::new("allowed_origins").text().not_null().default(""))
        .to_owned();
    let key: [u8; 32] = rand::random();
    vec![
        Stmt::Alter(Box::new(origins)),
        table(
            Table::create()
                .table("stop_phrases")
                .col(id())
                .col(ColumnDef::new("phrase").string_len(100).not_null())
                // Compared lower-cased (the match is case-insensitive), unique so a phrase is listed once.
                .col(ColumnDef::new("phrase_key").string_len(400).not_null())
                .col(ts_null("last_occurrence_at"))
                .col(ts("created_at")),
        ),
        unique_index("ux_stop_phrases_key", "stop_phrases", &["phrase_key"]),
        table(
            Table::create()
                .table("banned_company_names")
                .col(id())
                .col(ColumnDef::new("name").string_len(50).not_null())
                .col(ColumnDef::new("name_key").string_len(200).not_null())
                .col(ts("created_at")),
        ),
        unique_index("ux_banned_company_names_key", "banned_company_names", &["name_key"]),
        table(
            Table::create()
                .table("intake_keys")
                .col(id())
                // 32 random bytes, hex: signs the web forms' fill-time tokens (HMAC-SHA256). Per
                // database, so every instance of one installation accepts the others' forms.
                .col(ColumnDef::new("secret").string_len(64).not_null()),
        ),
        Stmt::Insert(Box::new(
            Query::insert()
                .into_table("intake_keys")
                .columns(["secret"])
                .values_panic([hex::encode(key).into()])
                .to_owned(),
        )),
    ]
}
