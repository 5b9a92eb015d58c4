//! The search index against the plain scan (inventory §10), on both backends: random companies,
//! contacts, leads and deals over a small alphabet (so one-, two- and three-letter words match often
//! and rarely, in upper and lower case, with non-ASCII letters and LIKE's wildcards), then every
//! word's rows through `crm::search` (index candidates, or the newest-first scan when a word is
//! common) equal the rows a `LIKE` over the §10 fields, written out here with joins, finds.

use ferrocrm::crm::record::Val;
use ferrocrm::crm::repo::{self, Names, Record, Spec};
use ferrocrm::crm::search::{self, Search};
use ferrocrm::crm::{company, deal, person};
use ferrocrm::history::Actor;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_query::{Alias, Expr, ExprTrait, Func, JoinType, LikeExpr, Order, Query, SelectStatement, SimpleExpr};

use crate::helpers::app::Options;
use crate::helpers::{TestApp, crm};

const ALPHABET: &[char] = &['a', 'b', 'c', 'A', 'B', 'ä', 'Ä', 'ж', 'Ж', 'ß', '%', '_', ' '];

fn text(rng: &mut StdRng) -> Val {
    let n = rng.random_range(0..10);
    Val::Text((0..n).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())]).collect())
}

async fn add(app: &TestApp, spec: &'static Spec, dept: i64, fields: &[(&str, Val)]) -> i64 {
    let mut r = Record::blank(spec, dept, None);
    for (col, v) in fields {
        assert!(spec.field(col).is_some(), "{col} is a field of {:?}", spec.kind);
        r.set(spec, col, v.clone());
    }
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let extra: Vec<(&'static str, SimpleExpr)> =
        if spec.token { vec![("token", format!("index-tok-{n}").into())] } else { Vec::new() };
    let mut tx = app.db.begin().await.unwrap();
    let id = repo::insert(&mut tx, spec, &r, &extra, &Actor::system("test"), &Names::default()).await.unwrap();
    tx.commit().await.unwrap();
    id
}

fn random_fields(rng: &mut StdRng, cols: &[&'static str]) -> Vec<(&'static str, Val)> {
    cols.iter().map(|c| (*c, text(rng))).collect()
}

/// `lower(t.col) LIKE '%word%'` for each column, or'ed.
fn scan(t: &str, cols: &[&str], pattern: &str) -> SimpleExpr {
    cols.iter().fold(Expr::val(false), |acc: SimpleExpr, c| {
        acc.or(Expr::expr(Func::lower(Expr::col((Alias::new(t), Alias::new(*c)))))
            .like(LikeExpr::new(pattern.to_string()).escape('\\')))
    })
}

const COMPANY: &[&str] = &[
    "full_name",
    "website",
    "phone",
    "city_name",
    "address",
    "email",
    "description",
    "registration_number",
    "alternative_names",
];
const CONTACT: &[&str] = &[
    "first_name",
    "last_name",
    "email",
    "secondary_email",
    "description",
    "phone",
    "other_phone",
    "mobile",
    "city_name",
    "address",
];
const COMPANY_OF: &[&str] = &["full_name", "website", "city_name", "address", "email", "description"];
const DEAL: &[&str] = &["name", "next_step", "description", "ticket"];
const CONTACT_OF_DEAL: &[&str] = &["first_name", "last_name", "email", "address", "description"];
const LEAD_OF_DEAL: &[&str] = &[
    "first_name",
    "last_name",
    "address",
    "description",
    "company_name",
    "website",
    "company_address",
    "company_email",
];

/// The §10 plain scan of a kind for one lowercased word: its rows' ids.
fn reference(kind: &str, pattern: &str) -> SelectStatement {
    let col = |t: &str, c: &str| Expr::col((Alias::new(t), Alias::new(c)));
    let mut q = Query::select();
    match kind {
        "companies" => {
            q.column((Alias::new("companies"), Alias::new("id"))).from("companies").and_where(scan(
                "companies",
                COMPANY,
                pattern,
            ));
        }
        "contacts" => {
            q.column((Alias::new("contacts"), Alias::new("id")))
                .from("contacts")
                .join_as(
                    JoinType::LeftJoin,
                    "companies",
                    Alias::new("co"),
                    col("co", "id").equals(("contacts", "company_id")),
                )
                .and_where(scan("contacts", CONTACT, pattern).or(scan("co", COMPANY_OF, pattern)));
        }
        _ => {
            q.column((Alias::new("d"), Alias::new("id")))
                .from_as("deals", Alias::new("d"))
                .join_as(JoinType::LeftJoin, "contacts", Alias::new("c"), col("c", "id").equals(("d", "contact_id")))
                .join_as(JoinType::LeftJoin, "companies", Alias::new("co"), col("co", "id").equals(("d", "company_id")))
                .join_as(
                    JoinType::LeftJoin,
                    "countries",
                    Alias::new("cn"),
                    col("cn", "id").equals(("co", "country_id")),
                )
                .join_as(JoinType::LeftJoin, "leads", Alias::new("l"), col("l", "id").equals(("d", "lead_id")))
                .join_as(
                    JoinType::LeftJoin,
                    "contacts",
                    Alias::new("pc"),
                    col("pc", "id").equals(("d", "partner_contact_id")),
                )
                .join_as(
                    JoinType::LeftJoin,
                    "companies",
                    Alias::new("pco"),
                    col("pco", "id").equals(("pc", "company_id")),
                )
                .and_where(
                    scan("d", DEAL, pattern)
                        .or(scan("c", CONTACT_OF_DEAL, pattern))
                        .or(scan("co", COMPANY_OF, pattern))
                        .or(scan("cn", &["name"], pattern))
                        .or(scan("l", LEAD_OF_DEAL, pattern))
                        .or(scan("pco", &["full_name"], pattern)),
                );
        }
    }
    q
}

async fn ids(app: &TestApp, q: &SelectStatement) -> Vec<i64> {
    let rows: Vec<(i64,)> = app.db.fetch_all(q).await.unwrap();
    let mut out: Vec<i64> = rows.into_iter().map(|(i,)| i).collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[tokio::test]
async fn index_search_equals_a_plain_like_scan_for_short_and_long_words() {
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    let dept = crm::department(&app, "Sales").await;
    let mut rng = StdRng::seed_from_u64(20261204);
    let countries: Vec<(i64,)> = app
        .db
        .fetch_all(Query::select().column("id").from("countries").order_by("id", Order::Asc).limit(5))
        .await
        .unwrap();
    let stage: i64 = app
        .db
        .scalar(
            Query::select()
                .column("id")
                .from("deal_stages")
                .and_where(Expr::col("department_id").eq(dept))
                .and_where(Expr::col("is_default").eq(true)),
        )
        .await
        .unwrap()
        .unwrap();

    let mut companies = Vec::new();
    for i in 0..60 {
        let mut f = random_fields(&mut rng, COMPANY);
        // Names are unique per country: a number (no word holds digits) keeps them apart.
        if let Some((_, Val::Text(name))) = f.iter_mut().find(|(c, _)| *c == "full_name") {
            name.push_str(&format!(" {i}"));
        }
        if let Some((c,)) = countries.get(rng.random_range(0..countries.len().max(1))) {
            f.push(("country_id", Val::Int(*c)));
        }
        companies.push(add(&app, &company::SPEC, dept, &f).await);
    }
    let mut contacts = Vec::new();
    for _ in 0..90 {
        let mut f = random_fields(&mut rng, CONTACT);
        f.push(("company_id", Val::Int(companies[rng.random_range(0..companies.len())])));
        contacts.push(add(&app, &person::CONTACT, dept, &f).await);
    }
    let mut leads = Vec::new();
    for _ in 0..30 {
        let mut cols = vec!["first_name", "last_name", "email", "secondary_email", "description", "city_name"];
        cols.extend(LEAD_OF_DEAL.iter().filter(|c| !["first_name", "last_name", "description"].contains(c)));
        leads.push(add(&app, &person::LEAD, dept, &random_fields(&mut rng, &cols)).await);
    }
    for i in 0..60 {
        let mut f = random_fields(&mut rng, &["name", "next_step", "description"]);
        let Val::Text(ticket) = text(&mut rng) else { unreachable!() };
        f.push(("ticket", Val::Text(format!("{ticket}{i}"))));
        f.push(("stage_id", Val::Int(stage)));
        f.push(("next_step_date", Val::Date(chrono::NaiveDate::from_ymd_opt(2026, 12, 24).unwrap())));
        if rng.random_bool(0.7) {
            f.push(("contact_id", Val::Int(contacts[rng.random_range(0..contacts.len())])));
        }
        if rng.random_bool(0.7) {
            f.push(("company_id", Val::Int(companies[rng.random_range(0..companies.len())])));
        }
        if rng.random_bool(0.3) {
            f.push(("lead_id", Val::Int(leads[rng.random_range(0..leads.len())])));
        }
        if rng.random_bool(0.3) {
            f.push(("partner_contact_id", Val::Int(contacts[rng.random_range(0..contacts.len())])));
        }
        add(&app, &deal::SPEC, dept, &f).await;
    }

    // Words of one to four letters typed in any case, the non-ASCII letters, the wildcards; a word
    // no row holds; two-word searches.
    let letters: Vec<char> = ALPHABET.iter().copied().filter(|c| *c != ' ').collect();
    let mut words: Vec<String> = vec![
        "a".into(),
        "Ä".into(),
        "ä".into(),
        "ж".into(),
        "ЖЖ".into(),
        "ß".into(),
        "%".into(),
        "_a".into(),
        "zq".into(),
    ];
    for len in 1..=4 {
        for _ in 0..12 {
            words.push((0..len).map(|_| letters[rng.random_range(0..letters.len())]).collect());
        }
    }
    words.push("a b".into());
    words.push("ä ba".into());
    let (found_any, short_found) = compare(&app, &words).await;
    // The comparison is not vacuous: many words, short ones too, find rows.
    assert!(found_any > 60 && short_found > 30, "{found_any} words found rows, {short_found} short ones");

    // The bulk load writes a gram held by many rows as a marker only: with a tiny threshold most
    // grams are, and every search still answers exactly "contains".
    search::rebuild_dense(&app.db, 3).await.unwrap();
    let markers = app.count("search_terms", sea_query::Condition::all().add(Expr::col("object_id").eq(0))).await;
    assert!(markers > 100, "{markers} dense grams");
    assert_eq!(compare(&app, &words).await, (found_any, short_found));
}

/// Each word searched in companies, contacts and deals through the index and read newest first,
/// compared with a plain `LIKE` scan; how many words (and short words) found rows.
async fn compare(app: &TestApp, words: &[String]) -> (usize, usize) {
    let mut found_any = 0;
    let mut short_found = 0;
    for (table, spec) in [("companies", &company::SPEC), ("contacts", &person::CONTACT), ("deals", &deal::SPEC)] {
        for w in words {
            let Search::Words(lowered) = search::parse(w, spec.kind) else { panic!("{w:?} is a word search") };
            let cond = search::words_condition(&app.db, spec, &lowered).await.unwrap();
            let got = ids(app, Query::select().column("id").from(table).and_where(cond)).await;
            // The same word answered the other way: every place common, the newest-first test.
            let all_common = search::Limits { common: 1, range_common: 1 };
            let cond = search::words_condition_with(&app.db, spec, &lowered, all_common).await.unwrap();
            let scanned = ids(app, Query::select().column("id").from(table).and_where(cond)).await;
            let mut want: Option<Vec<i64>> = None;
            for lw in &lowered {
                let one = ids(app, &reference(table, &ferrocrm::db::like_pattern(lw))).await;
                want = Some(match want {
                    None => one,
                    Some(prev) => prev.into_iter().filter(|i| one.contains(i)).collect(),
                });
            }
            let want = want.unwrap();
            assert_eq!(got, want, "{table} {w:?}");
            assert_eq!(scanned, want, "{table} {w:?} (read newest first)");
            if !want.is_empty() {
                found_any += 1;
                if w.chars().count() <= 2 {
                    short_found += 1;
                }
            }
        }
    }
    (found_any, short_found)
}
