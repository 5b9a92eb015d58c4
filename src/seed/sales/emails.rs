//! Demo emails (issue 10), so the email list, the email page and the "Last few letters" blocks show
//! something: the inquiry email of every tenth request, and on every twentieth deal a letter sent
//! from the CRM and the client's HTML reply (with a remote image, which the page holds back). Two
//! `INSERT … SELECT` statements: cheap at any scale (the search index is built after them).

use sea_query::{Expr, ExprTrait, InsertStatement, Query};

use crate::db::Db;

const COLUMNS: [&str; 19] = [
    "subject",
    "content",
    "html_content",
    "is_html",
    "from_field",
    "to",
    "sent",
    "incoming",
    "inquiry",
    "ticket",
    "request_id",
    "deal_id",
    "contact_id",
    "company_id",
    "lead_id",
    "department_id",
    "owner_id",
    "created_at",
    "updated_at",
];

/// A client's reply: a paragraph, a link and a remote image (a tracking pixel's place).
const REPLY_HTML: &str = "<p>Hello,</p><p>Thank you for the offer. We would like to discuss the delivery terms.</p>\
<p>See our <a href=\"https://client.example/terms\">terms</a>.</p>\
<p><img src=\"https://images.client.example/logo.png\" alt=\"Client logo\" width=\"120\" height=\"40\"></p>";
const REPLY_TEXT: &str = "Hello,\n\nThank you for the offer. We would like to discuss the delivery terms.\n\nSee our terms: https://client.example/terms";

pub(super) async fn emails(db: &Db) -> anyhow::Result<usize> {
    let mut tx = db.begin().await?;
    let mut made = 0;
    for q in statements()? {
        made += tx.execute(&q).await?;
    }
    tx.commit().await?;
    Ok(made as usize)
}

/// The two statements (three inserts).
fn statements() -> anyhow::Result<Vec<InsertStatement>> {
    let mut out = Vec::new();
    let c = |sql: &str| Expr::cust(sql.to_string());
    // The inquiry that started every tenth request.
    let inquiries = Query::select()
        .expr(c("requests.request_for"))
        .expr(c("requests.description"))
        .expr(Expr::val(""))
        .expr(Expr::val(false))
        .expr(c("requests.email"))
        .expr(Expr::val("sales@ferrocrm.example"))
        .expr(Expr::val(false))
        .expr(Expr::val(true))
        .expr(Expr::val(true))
        .expr(c("requests.ticket"))
        .expr(c("requests.id"))
        .expr(c("requests.deal_id"))
        .expr(c("requests.contact_id"))
        .expr(c("requests.company_id"))
        .expr(c("requests.lead_id"))
        .expr(c("requests.department_id"))
        .expr(c("requests.owner_id"))
        .expr(c("requests.created_at"))
        .expr(c("requests.created_at"))
        .from("requests")
        .and_where(Expr::cust("requests.id % 10 = 0"))
        .to_owned();
    let mut q = Query::insert();
    q.into_table("crm_emails").columns(COLUMNS).select_from(inquiries)?;
    out.push(q);
    // Every twentieth deal: the manager's letter (sent) and the client's reply (incoming, HTML).
    for sent in [true, false] {
        let subject = "SUBSTR('Re: ' || deals.name || ' - [ticket:' || deals.ticket || ']', 1, 250)";
        let manager = "COALESCE((SELECT users.email FROM users WHERE users.id = deals.owner_id), '')";
        let client = "COALESCE((SELECT contacts.email FROM contacts WHERE contacts.id = deals.contact_id), 'client@client.example')";
        let (from, to) = if sent { (manager, client) } else { (client, manager) };
        let body = if sent {
            // Bound text around the ticket (`||` on both backends).
            let cat = sea_query::BinOper::Custom("||");
            Expr::val("Good afternoon,\n\nPlease find our offer attached.\n\n\n\nYour request is assigned a [ticket:")
                .binary(cat, Expr::col(("deals", "ticket")))
                .binary(cat, Expr::val("]. Please keep it in correspondence."))
        } else {
            Expr::val(REPLY_TEXT)
        };
        let when = if sent { "deals.created_at" } else { "deals.updated_at" };
        let letters = Query::select()
            .expr(c(subject))
            .expr(body)
            .expr(Expr::val(if sent { "" } else { REPLY_HTML }))
            .expr(Expr::val(!sent))
            .expr(c(from))
            .expr(c(to))
            .expr(Expr::val(sent))
            .expr(Expr::val(!sent))
            .expr(Expr::val(false))
            .expr(c("deals.ticket"))
            .expr(Expr::val(Option::<i64>::None))
            .expr(c("deals.id"))
            .expr(c("deals.contact_id"))
            .expr(c("deals.company_id"))
            .expr(c("deals.lead_id"))
            .expr(c("deals.department_id"))
            .expr(c("deals.owner_id"))
            .expr(c(when))
            .expr(c(when))
            .from("deals")
            .and_where(Expr::cust("deals.id % 20 = 0"))
            .to_owned();
        let mut q = Query::insert();
        q.into_table("crm_emails").columns(COLUMNS).select_from(letters)?;
        out.push(q);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    /// No placeholder spelled for one backend only (a `?` is a syntax error on PostgreSQL).
    #[test]
    fn statements_render_for_both_backends() {
        for q in super::statements().unwrap() {
            for sql in [q.to_string(sea_query::PostgresQueryBuilder), q.to_string(sea_query::SqliteQueryBuilder)] {
                assert!(!sql.contains('?') && !sql.contains('$'), "{sql}");
            }
        }
    }
}
