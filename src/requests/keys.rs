//! Look-up keys of counterparties for request matching (§6.4): every email address, email domain,
//! phone number and alternative company name of a company, contact person or lead, normalised, one
//! row each in `company_keys`, `contact_keys`, `lead_keys` (migration 18), so matching is an index
//! look-up on both backends instead of a scan of `LIKE '%…%'` over 100,000 rows.
//!
//! Kinds of key (`kind` column):
//! - `e`: one address of `email` / `secondary_email`, trimmed and lower-cased. The original matched
//!   "the field contains the typed address", so "ann@x.com" matched "joann@x.com"; we match an
//!   address of the list exactly (case-insensitively).
//! - `p`: a phone's digits, reversed (`phone`, `other_phone`, `mobile`; at least 5 digits). A typed
//!   number matches a stored one that ends with it: a key range (`reversed typed` … its successor),
//!   which a B-tree serves. Leading zeros are dropped on both sides, so a national "030 …" typed
//!   finds "+49 30 …" stored. The original matched the typed digits anywhere inside the stored
//!   ones; a number typed without its country code still matches, one typed with its trunk "0"
//!   now does too, and a fragment from the middle of another number no longer does.
//! - `d`: a company's email domain (find_company step 5).
//! - `n`: an alternative company name's `text::match_key` (find_company step 3; the company's own
//!   name is `companies.name_key`).
//!
//! Written by `crm::repo` on every insert and update of those kinds (`write`, `write_many`), by the
//! sales seed and by migration 18 (`fill`). Deleting the row deletes its keys (foreign key, cascade).

use sea_query::{Expr, ExprTrait, Order, Query, SimpleExpr};

use crate::access::ItemKind;
use crate::crm::record::{Ty, Val};
use crate::crm::repo::{Record, Spec};
use crate::db::Tx;

/// Longest stored key (the column is 400 characters).
const KEY_MAX: usize = 400;
/// Shortest phone (in digits) that is stored or matched: the original's "more than 4 digits".
pub const PHONE_MIN_DIGITS: usize = 5;

/// The key tables (derived rows: a merge of duplicates does not move them, §11.1).
pub const TABLES: [&str; 3] = ["company_keys", "contact_keys", "lead_keys"];

/// The key table of a kind and its reference column.
pub fn table(kind: ItemKind) -> Option<(&'static str, &'static str)> {
    match kind {
        ItemKind::Company => Some(("company_keys", "company_id")),
        ItemKind::Contact => Some(("contact_keys", "contact_id")),
        ItemKind::Lead => Some(("lead_keys", "lead_id")),
        _ => None,
    }
}

/// An email address as it is matched: trimmed, lower-cased.
pub fn email_key(s: &str) -> String {
    s.trim().to_lowercase()
}

/// The addresses of a comma-separated list (empty parts dropped).
pub fn addresses(list: &str) -> impl Iterator<Item = String> + '_ {
    list.split([',', ';']).map(email_key).filter(|a| !a.is_empty())
}

/// The domain of an address ("" when there is none).
pub fn domain(address: &str) -> &str {
    address.rsplit_once('@').map(|(_, d)| d.trim()).unwrap_or("")
}

/// The digits of a phone number.
pub fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// A phone's key: its digits without leading zeros (a trunk "0" or an international "00"
/// prefix), reversed; "" below `PHONE_MIN_DIGITS` digits. "030 333 4444" typed then matches
/// "+49 30 333 4444" stored.
pub fn phone_key(s: &str) -> String {
    let all = digits(s);
    let d = all.trim_start_matches('0');
    if d.len() < PHONE_MIN_DIGITS {
        return String::new();
    }
    d.chars().rev().take(KEY_MAX).collect()
}

/// The smallest digit string greater than every string starting with `prefix` (digits only), or
/// None when there is none ("999"). `[prefix, successor)` is the key range of "starts with".
pub fn successor(prefix: &str) -> Option<String> {
    let mut b: Vec<u8> = prefix.as_bytes().to_vec();
    while let Some(last) = b.pop() {
        if last < b'9' {
            b.push(last + 1);
            return String::from_utf8(b).ok();
        }
    }
    None
}

fn cut(s: String) -> String {
    if s.chars().count() > KEY_MAX { s.chars().take(KEY_MAX).collect() } else { s }
}

/// The keys of one row: (kind, key), without repeats.
pub fn keys_of(spec: &Spec, r: &Record) -> Vec<(&'static str, String)> {
    let text = |col: &str| r.get(spec, col).text().to_string();
    let mut out: Vec<(&'static str, String)> = Vec::new();
    let mut push = |k: &'static str, v: String| {
        let v = cut(v);
        if !v.is_empty() && !out.iter().any(|(a, b)| *a == k && *b == v) {
            out.push((k, v));
        }
    };
    match spec.kind {
        ItemKind::Company => {
            for a in addresses(&text("email")) {
                push("d", domain(&a).to_string());
                push("e", a);
            }
            for n in text("alternative_names").split(',') {
                push("n", crate::text::match_key(n));
            }
        }
        ItemKind::Contact | ItemKind::Lead => {
            for col in ["email", "secondary_email"] {
                for a in addresses(&text(col)) {
                    push("e", a);
                }
            }
            for col in ["phone", "other_phone", "mobile"] {
                push("p", phone_key(&text(col)));
            }
        }
        _ => {}
    }
    out
}

/// Replaces the keys of row `id` of `spec`'s kind with those of `r` (nothing for other kinds).
pub async fn write(tx: &mut Tx, spec: &Spec, id: i64, r: &Record) -> Result<(), sqlx::Error> {
    let Some((t, col)) = table(spec.kind) else { return Ok(()) };
    tx.execute(Query::delete().from_table(t).and_where(Expr::col(col).eq(id))).await?;
    insert(tx, t, col, keys_of(spec, r).into_iter().map(|(k, v)| (id, k, v)).collect()).await
}

/// The keys of many new rows (a bulk import): multi-row inserts.
pub async fn write_many(tx: &mut Tx, spec: &Spec, rows: &[(i64, &Record)]) -> Result<(), sqlx::Error> {
    let Some((t, col)) = table(spec.kind) else { return Ok(()) };
    let all = rows.iter().flat_map(|(id, r)| keys_of(spec, r).into_iter().map(move |(k, v)| (*id, k, v))).collect();
    insert(tx, t, col, all).await
}

async fn insert(
    tx: &mut Tx,
    t: &'static str,
    col: &'static str,
    rows: Vec<(i64, &'static str, String)>,
) -> Result<(), sqlx::Error> {
    // 3 values a row; at most 9,000 a statement (SQLite allows 32,766).
    for chunk in rows.chunks(3_000) {
        let mut q = Query::insert();
        q.into_table(t).columns([col, "kind", "key"]);
        for (id, k, v) in chunk {
            q.values_panic([SimpleExpr::from(*id), (*k).into(), v.clone().into()]);
        }
        tx.execute(&q).await?;
    }
    Ok(())
}

/// Computes the keys of every existing row of `spec`'s kind (migration 18, the sales seed): rows
/// read in id order, a batch at a time, keys written with multi-row inserts.
pub async fn fill(tx: &mut Tx, spec: &'static Spec) -> Result<(), sqlx::Error> {
    if table(spec.kind).is_none() {
        return Ok(());
    }
    let rows_table = spec.kind.info().table;
    let cols: &[&str] = match spec.kind {
        ItemKind::Company => &["email", "alternative_names"],
        _ => &["email", "secondary_email", "phone", "other_phone", "mobile"],
    };
    let mut after = 0i64;
    loop {
        let mut q = Query::select();
        q.column("id").from(rows_table).and_where(Expr::col("id").gt(after)).order_by("id", Order::Asc).limit(5_000);
        for c in cols {
            q.column(*c);
        }
        let mut tys = vec![Ty::Int];
        tys.extend(cols.iter().map(|_| Ty::Text));
        let rows = tx.fetch_values(&q, &tys).await?;
        if rows.is_empty() {
            return Ok(());
        }
        let mut made: Vec<(i64, Record)> = Vec::with_capacity(rows.len());
        for row in rows {
            let id = row.first().and_then(Val::int).unwrap_or(0);
            after = id;
            let mut r = Record::blank(spec, 0, None);
            for (c, v) in cols.iter().zip(row.into_iter().skip(1)) {
                r.set(spec, c, v);
            }
            made.push((id, r));
        }
        let refs: Vec<(i64, &Record)> = made.iter().map(|(id, r)| (*id, r)).collect();
        write_many(tx, spec, &refs).await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_keys_are_reversed_digits_and_ranges_cover_every_longer_number() {
        assert_eq!(phone_key("+1 (555) 123-4567"), "76543215551");
        assert_eq!(phone_key("12-34"), "");
        assert_eq!(phone_key("0049 30 1"), "10394");
        assert_eq!(phone_key("000 12"), "");
        assert_eq!(successor("7654"), Some("7655".into()));
        assert_eq!(successor("7659"), Some("766".into()));
        assert_eq!(successor("999"), None);
        // "5551234567" typed: stored "+1 555 123 4567" ends with it, so its key starts with the
        // typed key and lies in [typed, successor).
        let typed = phone_key("555 123 4567");
        let stored = phone_key("+1 555 123 4567");
        let next = successor(&typed).unwrap();
        assert!(stored.as_str() >= typed.as_str() && stored.as_str() < next.as_str());
        let other = phone_key("+1 555 123 4568");
        assert!(!(other.as_str() >= typed.as_str() && other.as_str() < next.as_str()));
    }

    #[test]
    fn addresses_are_split_trimmed_and_lower_cased() {
        let a: Vec<String> = addresses(" Ann@X.com, ,bob@y.org;").collect();
        assert_eq!(a, vec!["ann@x.com", "bob@y.org"]);
        assert_eq!(domain("ann@x.com"), "x.com");
        assert_eq!(domain("nobody"), "");
    }
}
