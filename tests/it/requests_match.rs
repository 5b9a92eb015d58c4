//! Requests' domain steps (inventory §6.3–6.6), on both backends: name parsing, city and country
//! resolution, every step of the automatic matching, get-or-create of the counterparty, the match
//! keys that serve it (and their index plans), and `create_incoming` as one transaction.

use ferrocrm::access::ItemKind;
use ferrocrm::crm::record::Val;
use ferrocrm::crm::repo::{self, Names, Record, Spec};
use ferrocrm::crm::{company, person};
use ferrocrm::db::Db;
use ferrocrm::history::Actor;
use ferrocrm::requests::create::{Submission, create_incoming};
use ferrocrm::requests::model::Inquiry;
use ferrocrm::requests::names::{PREFIXES, check_first_name, parse_full_name};
use ferrocrm::requests::{cities, matching};
use sea_query::{Expr, ExprTrait, Query, SelectStatement};

use crate::helpers::{TestApp, crm, spawn_app};

struct Fx {
    app: TestApp,
    sales: i64,
    export: i64,
    mark: i64,
}

async fn fx() -> Fx {
    let app = spawn_app().await;
    let sales = crm::department(&app, "Sales").await;
    let export = crm::department(&app, "Export").await;
    let mark = app.user_id("Mark.Manager.Sales").await;
    Fx { app, sales, export, mark }
}

static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);

/// Inserts a row of `spec` through the repo (as every form does): history, search terms, match keys.
async fn insert(db: &Db, spec: &'static Spec, dept: i64, owner: Option<i64>, vals: &[(&str, Val)]) -> i64 {
    let mut r = Record::blank(spec, dept, owner);
    for (c, v) in vals {
        r.set(spec, c, v.clone());
    }
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut tx = db.begin().await.unwrap();
    let token = format!("tok-{}-{n}", spec.kind.slug());
    let id = repo::insert(&mut tx, spec, &r, &[("token", token.into())], &Actor::system("test"), &Names::default())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

fn t(s: &str) -> Val {
    Val::Text(s.into())
}

async fn company(f: &Fx, name: &str, email: &str, extra: &[(&str, Val)]) -> i64 {
    company_in(f, f.sales, Some(f.mark), name, email, extra).await
}

async fn company_in(f: &Fx, dept: i64, owner: Option<i64>, name: &str, email: &str, extra: &[(&str, Val)]) -> i64 {
    let mut v = vec![("full_name", t(name)), ("email", t(email))];
    v.extend(extra.iter().cloned());
    insert(&f.app.db, &company::SPEC, dept, owner, &v).await
}

/// A contact person of `company` (its department and owner).
async fn contact(f: &Fx, company: i64, first: &str, last: &str, email: &str, phone: &str) -> i64 {
    let (dept, owner): (i64, Option<i64>) = f
        .app
        .db
        .fetch_optional(
            Query::select()
                .columns(["department_id", "owner_id"])
                .from("companies")
                .and_where(Expr::col("id").eq(company)),
        )
        .await
        .unwrap()
        .unwrap();
    let v = [
        ("first_name", t(first)),
        ("last_name", t(last)),
        ("email", t(email)),
        ("phone", t(phone)),
        ("company_id", Val::Int(company)),
    ];
    insert(&f.app.db, &person::CONTACT, dept, owner, &v).await
}

async fn lead(f: &Fx, first: &str, last: &str, email: &str, phone: &str, company_name: &str) -> i64 {
    let v = [
        ("first_name", t(first)),
        ("last_name", t(last)),
        ("email", t(email)),
        ("phone", t(phone)),
        ("company_name", t(company_name)),
    ];
    insert(&f.app.db, &person::LEAD, f.sales, Some(f.mark), &v).await
}

fn inquiry(f: &Fx, first: &str, last: &str, email: &str, phone: &str, company_name: &str) -> Inquiry {
    Inquiry {
        first_name: first.into(),
        last_name: last.into(),
        email: email.into(),
        phone: phone.into(),
        company_name: company_name.into(),
        department_id: f.sales,
        ..Inquiry::default()
    }
}

/// `find_contact_or_lead` on `r` in a transaction that is rolled back.
async fn find_person(f: &Fx, mut r: Inquiry) -> Inquiry {
    let mut tx = f.app.db.begin().await.unwrap();
    matching::find_contact_or_lead(&mut tx, &mut r).await.unwrap();
    drop(tx);
    r
}

async fn find_company(f: &Fx, mut r: Inquiry) -> Option<i64> {
    let mut tx = f.app.db.begin().await.unwrap();
    matching::find_company(&mut tx, &mut r).await.unwrap();
    drop(tx);
    r.company_id
}

async fn country(db: &Db, name: &str) -> i64 {
    db.scalar(Query::select().column("id").from("countries").and_where(Expr::col("name").eq(name)))
        .await
        .unwrap()
        .unwrap()
}

async fn count(db: &Db, q: &mut SelectStatement) -> i64 {
    let rows: Vec<(i64,)> = db.fetch_all(&*q).await.unwrap();
    rows.len() as i64
}

// ---------------------------------------------------------------------------------------------
// §6.5 name parsing

#[tokio::test]
async fn every_honorific_stays_with_the_first_name_however_it_is_typed() {
    for p in PREFIXES {
        let letters: String = p.chars().filter(|c| *c != '.').collect();
        // (typed, the honorific as written back)
        let nodot = if *p == "Ph.D." { "PhD" } else { p };
        let cases = [
            (format!("{p} Pablo Picasso"), *p),
            (format!("{} pablo Picasso", letters.to_lowercase()), nodot),
            (format!("{}.Pablo   Picasso", letters.to_uppercase()), nodot),
            (format!("  {}   Pablo Ruiz Picasso ", p.to_lowercase()), *p),
        ];
        for (typed, written) in cases {
            let n = parse_full_name(&typed);
            let first_word = if typed.contains("pablo ") { "pablo" } else { "Pablo" };
            assert_eq!(n.first, format!("{written} {first_word}"), "{typed:?}");
            assert_eq!(n.last, "Picasso", "{typed:?}");
            assert_eq!(n.middle, if typed.contains("Ruiz") { "Ruiz" } else { "" }, "{typed:?}");
            assert_eq!(check_first_name(&n.first), Ok(()), "{typed:?}");
        }
        // A first name that is only the honorific is refused, with or without dots, any case.
        for bare in [p.to_string(), letters.clone(), letters.to_uppercase(), format!(" {} ", p.to_lowercase())] {
            assert_eq!(check_first_name(&bare), Err("Invalid value"), "{bare:?}");
        }
        assert_eq!(parse_full_name(p).first, *p);
        assert_eq!(check_first_name(&parse_full_name(p).first), Err("Invalid value"));
    }
    // The example of §6.5, and names that only look like honorifics.
    let n = parse_full_name("mr.Pablo Picasso");
    assert_eq!((n.first.as_str(), n.middle.as_str(), n.last.as_str()), ("Mr. Pablo", "", "Picasso"));
    for name in ["Frank", "Misses", "Drew", "Sirius", "Generosa", "Ladybird", "Mdina", "Colin", "Hone"] {
        let n = parse_full_name(&format!("{name} Smith"));
        assert_eq!((n.first.as_str(), n.last.as_str()), (name, "Smith"));
        assert_eq!(check_first_name(name), Ok(()));
    }
    let n = parse_full_name("Mrs Ann Smith");
    assert_eq!(n.first, "Mrs. Ann", "Mrs is not Mr + s");
    let n = parse_full_name("Ann  Maria  Lisa Smith");
    assert_eq!((n.first.as_str(), n.middle.as_str(), n.last.as_str()), ("Ann", "Maria Lisa", "Smith"));
}

// ---------------------------------------------------------------------------------------------
// §6.6 cities, countries

#[tokio::test]
async fn a_city_is_found_ignoring_case_trailing_punctuation_and_by_alternative_names_else_created() {
    let app = spawn_app().await;
    let germany = country(&app.db, "Germany").await;
    let france = country(&app.db, "France").await;
    let mut tx = app.db.begin().await.unwrap();
    let berlin = tx
        .insert_id(
            Query::insert()
                .into_table("cities")
                .columns(["name", "name_key", "alternative_names", "country_id"])
                .values_panic(["Berlin".into(), "berlin".into(), "Berolina, Berlin-Mitte".into(), germany.into()])
                .returning_col("id"),
        )
        .await
        .unwrap();
    for typed in ["Berlin", "berlin.", "BERLIN,", "  Berlin ., ", "berolina", "Berlin-Mitte."] {
        assert_eq!(cities::resolve_city(&mut tx, germany, typed).await.unwrap(), Some(berlin), "{typed:?}");
    }
    assert_eq!(cities::resolve_city(&mut tx, germany, "").await.unwrap(), None);
    assert_eq!(cities::resolve_city(&mut tx, germany, " ., ").await.unwrap(), None);
    // Missing: created once, in that country, then found.
    let potsdam = cities::resolve_city(&mut tx, germany, "Potsdam.").await.unwrap().unwrap();
    assert_ne!(potsdam, berlin);
    assert_eq!(cities::resolve_city(&mut tx, germany, "POTSDAM").await.unwrap(), Some(potsdam));
    let (name, c): (String, i64) = tx
        .fetch_optional(
            Query::select().columns(["name", "country_id"]).from("cities").and_where(Expr::col("id").eq(potsdam)),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!((name.as_str(), c), ("Potsdam", germany));
    // A city of another country is another city.
    let paris_berlin = cities::resolve_city(&mut tx, france, "Berlin").await.unwrap().unwrap();
    assert_ne!(paris_berlin, berlin);
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn a_country_is_found_by_name_or_alternative_name_ignoring_case() {
    let app = spawn_app().await;
    let turkiye = country(&app.db, "Turkiye").await;
    let mut tx = app.db.begin().await.unwrap();
    for typed in ["Turkey", "turkey", " TURKIYE ", "Türkiye"] {
        assert_eq!(cities::country_by_name(&mut tx, typed).await.unwrap(), Some(turkiye), "{typed:?}");
    }
    // Names are data, never patterns (the original ran the posted name as a regex in the database).
    for typed in ["", "Narnia", ".*", "Turk", "(?:x", "Turkey|France"] {
        assert_eq!(cities::country_by_name(&mut tx, typed).await.unwrap(), None, "{typed:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// §6.4 find_contact_or_lead

#[tokio::test]
async fn step_1_one_contact_with_the_email_and_first_name_is_linked_with_its_company() {
    let f = fx().await;
    let acme = company(&f, "Acme", "info@acme.com", &[]).await;
    let ann = contact(&f, acme, "Ann", "Smith", "office@acme.com, Ann@Acme.com", "").await;
    // "joann@acme.com" contains "ann@acme.com": the original's "contains" would have matched it.
    let globex = company(&f, "Globex", "info@globex.com", &[]).await;
    contact(&f, globex, "Ann", "Other", "joann@acme.com", "").await;
    // Another first name with the same address is not her.
    contact(&f, globex, "Bob", "Smith", "ann@acme.com", "").await;

    let r = find_person(&f, inquiry(&f, "ann", "", "ANN@acme.com", "", "")).await;
    assert_eq!((r.contact_id, r.company_id, r.lead_id, r.verification_required), (Some(ann), Some(acme), None, true));
    // The secondary email counts too.
    let wile = contact(&f, acme, "Wile", "Coyote", "w@acme.com", "").await;
    let mut tx = f.app.db.begin().await.unwrap();
    let mut rec = repo::get(&f.app.db, &person::CONTACT, wile).await.unwrap().unwrap();
    let before = rec.clone();
    rec.set(&person::CONTACT, "secondary_email", t("wile@home.example"));
    repo::update(&mut tx, &person::CONTACT, &before, &rec, &Actor::system("t"), &Names::default()).await.unwrap();
    tx.commit().await.unwrap();
    let r = find_person(&f, inquiry(&f, "Wile", "", "wile@home.example", "", "")).await;
    assert_eq!(r.contact_id, Some(wile));
}

#[tokio::test]
async fn nothing_is_linked_when_no_contact_or_lead_matches_or_the_first_name_differs() {
    let f = fx().await;
    let acme = company(&f, "Acme", "info@acme.com", &[]).await;
    contact(&f, acme, "Ann", "Smith", "ann@acme.com", "+1 555 123 4567").await;
    for r in [
        inquiry(&f, "Anna", "Smith", "ann@acme.com", "555 123 4567", "Acme"),
        inquiry(&f, "Ann", "", "nobody@acme.com", "", ""),
        inquiry(&f, "", "Smith", "ann@acme.com", "", ""),
        inquiry(&f, "Ann", "", "", "1234", ""),
    ] {
        let out = find_person(&f, r.clone()).await;
        assert_eq!((out.contact_id, out.lead_id, out.verification_required), (None, None, false), "{r:?}");
    }
}

#[tokio::test]
async fn step_2_the_phone_narrows_several_email_matches_or_finds_one_alone() {
    let f = fx().await;
    let acme = company(&f, "Acme", "info@acme.com", &[]).await;
    contact(&f, acme, "Ann", "Smith", "shared@acme.com", "+44 20 7946 0000").await;
    let second = contact(&f, acme, "Ann", "Jones", "shared@acme.com", "+1 (555) 123-4567").await;
    // Two by email; the phone (typed without the country code) picks one.
    let r = find_person(&f, inquiry(&f, "Ann", "", "shared@acme.com", "555.123.4567", "")).await;
    assert_eq!(r.contact_id, Some(second));
    // No email match: email or phone, one by phone.
    let r = find_person(&f, inquiry(&f, "Ann", "", "new@elsewhere.org", "(555) 123 4567", "")).await;
    assert_eq!(r.contact_id, Some(second));
    // A fragment from the middle of a number is not a match (the original matched it).
    let r = find_person(&f, inquiry(&f, "Ann", "", "", "5551234", "")).await;
    assert_eq!(r.contact_id, None);
}

#[tokio::test]
async fn step_3_the_last_name_narrows_several_and_alone_and_with_no_contact_the_leads_are_tried() {
    let f = fx().await;
    let acme = company(&f, "Acme", "info@acme.com", &[]).await;
    contact(&f, acme, "Ann", "Smith", "shared@acme.com", "").await;
    let jones = contact(&f, acme, "Ann", "Jones", "shared@acme.com", "").await;
    let r = find_person(&f, inquiry(&f, "Ann", "JONES", "shared@acme.com", "", "")).await;
    assert_eq!(r.contact_id, Some(jones), "several by email, narrowed by last name");
    let r = find_person(&f, inquiry(&f, "Ann", "Jones", "", "", "")).await;
    assert_eq!(r.contact_id, Some(jones), "by first and last name alone");
    // No contact person at all: the leads.
    let l = lead(&f, "Carla", "Diaz", "carla@example.org", "", "Diaz Imports").await;
    let r = find_person(&f, inquiry(&f, "Carla", "Diaz", "other@example.org", "", "")).await;
    assert_eq!((r.contact_id, r.lead_id, r.company_id, r.verification_required), (None, Some(l), None, true));
}

#[tokio::test]
async fn step_4_the_company_name_picks_among_several_candidates() {
    let f = fx().await;
    let globex = company(&f, "Globex", "info@globex.com", &[]).await;
    let acme = company(&f, "Acme Corporation", "info@acme.com", &[]).await;
    let older = contact(&f, globex, "Ann", "Smith", "a1@globex.com", "").await;
    let at_acme = contact(&f, acme, "Ann", "Smith", "a2@acme.com", "").await;
    assert!(older < at_acme);
    let r = find_person(&f, inquiry(&f, "Ann", "Smith", "", "", "acme")).await;
    assert_eq!(r.contact_id, Some(at_acme), "the typed company name is contained in hers");
    // Leads: their own company name.
    lead(&f, "Dan", "Brown", "d1@x.org", "", "Brown & Sons").await;
    let l2 = lead(&f, "Dan", "Brown", "d2@x.org", "", "Initech Ltd").await;
    let r = find_person(&f, inquiry(&f, "Dan", "Brown", "", "", "INITECH")).await;
    assert_eq!(r.lead_id, Some(l2));
}

#[tokio::test]
async fn step_5_the_first_of_the_best_candidate_set_is_linked_when_nothing_narrows_it() {
    let f = fx().await;
    let globex = company(&f, "Globex", "info@globex.com", &[]).await;
    let first = contact(&f, globex, "Ann", "Smith", "shared@x.org", "").await;
    contact(&f, globex, "Ann", "Jones", "shared@x.org", "").await;
    // Several by email, the phone and company name narrow nothing: the first (oldest) of that set.
    let r = find_person(&f, inquiry(&f, "Ann", "", "shared@x.org", "+1 999 000 1111", "Unknown Ltd")).await;
    assert_eq!((r.contact_id, r.verification_required), (Some(first), true));
    // Several by last name, none by the name of the company: the first of the last-name set.
    let a = contact(&f, globex, "Eve", "Long", "e1@x.org", "").await;
    contact(&f, globex, "Eve", "Long", "e2@x.org", "").await;
    let r = find_person(&f, inquiry(&f, "Eve", "Long", "", "", "Unknown Ltd")).await;
    assert_eq!(r.contact_id, Some(a));
}

#[tokio::test]
async fn a_request_with_a_company_only_takes_a_contact_of_that_company() {
    let f = fx().await;
    let acme = company(&f, "Acme", "info@acme.com", &[]).await;
    let globex = company(&f, "Globex", "info@globex.com", &[]).await;
    contact(&f, globex, "Ann", "Smith", "ann@shared.org", "").await;
    lead(&f, "Ann", "Smith", "ann@shared.org", "", "").await;
    let mut r = inquiry(&f, "Ann", "Smith", "ann@shared.org", "", "");
    r.company_id = Some(acme);
    let out = find_person(&f, r.clone()).await;
    assert_eq!(
        (out.contact_id, out.lead_id, out.company_id),
        (None, None, Some(acme)),
        "neither Globex's contact nor a lead"
    );
    // With a contact in Acme as well, that one.
    let mine = contact(&f, acme, "Ann", "Smith", "ann@shared.org", "").await;
    let out = find_person(&f, r).await;
    assert_eq!((out.contact_id, out.company_id), (Some(mine), Some(acme)));
}

#[tokio::test]
async fn matching_stays_within_the_requests_department() {
    let f = fx().await;
    let eve = f.app.user_id("Eve.Manager.Export").await;
    let theirs = company_in(&f, f.export, Some(eve), "Export Co", "info@export.example", &[]).await;
    contact(&f, theirs, "Ann", "Smith", "ann@export.example", "").await;
    let out = find_person(&f, inquiry(&f, "Ann", "Smith", "ann@export.example", "", "")).await;
    assert_eq!((out.contact_id, out.lead_id), (None, None));
    assert_eq!(find_company(&f, inquiry(&f, "Zed", "", "ann@export.example", "", "Export Co")).await, None);
}

// ---------------------------------------------------------------------------------------------
// §6.4 find_company

#[tokio::test]
async fn company_step_1_and_2_the_companies_of_contact_persons_with_the_email_then_the_phone() {
    let f = fx().await;
    let acme = company(&f, "Acme", "info@acme.com", &[]).await;
    let globex = company(&f, "Globex", "info@globex.com", &[]).await;
    contact(&f, acme, "Ann", "Smith", "ann@acme.com", "").await;
    // Another first name: no contact person links, the company does.
    assert_eq!(find_company(&f, inquiry(&f, "Zed", "", "ann@acme.com", "", "")).await, Some(acme));
    // One address at two companies: the phone decides.
    contact(&f, acme, "Sam", "A", "sam@shared.org", "+49 30 111 2222").await;
    contact(&f, globex, "Sam", "B", "sam@shared.org", "+49 30 333 4444").await;
    assert_eq!(find_company(&f, inquiry(&f, "Zed", "", "sam@shared.org", "030 333 4444", "")).await, Some(globex));
    // The phone alone.
    assert_eq!(find_company(&f, inquiry(&f, "Zed", "", "", "0301112222", "")).await, Some(acme));
}

#[tokio::test]
async fn company_step_3_the_name_ignoring_case_and_punctuation_or_an_alternative_name() {
    let f = fx().await;
    let acme = company(&f, "Acme Inc", "info@acme.com", &[]).await;
    let road =
        company(&f, "RR Supplies", "info@rr.example", &[("alternative_names", t("Roadrunner Supplies, RRS"))]).await;
    assert_eq!(find_company(&f, inquiry(&f, "Zed", "", "", "", "ACME, inc.")).await, Some(acme));
    assert_eq!(find_company(&f, inquiry(&f, "Zed", "", "", "", "roadrunner-supplies!")).await, Some(road));
    assert_eq!(find_company(&f, inquiry(&f, "Zed", "", "", "", "rrs")).await, Some(road));
    assert_eq!(find_company(&f, inquiry(&f, "Zed", "", "", "", "Acme Incorporated")).await, None);
}

#[tokio::test]
async fn company_step_4_several_are_narrowed_by_country_then_website_and_step_6_takes_the_first() {
    let f = fx().await;
    let de = country(&f.app.db, "Germany").await;
    let fr = country(&f.app.db, "France").await;
    let first = company(&f, "Acme", "a@acme.de", &[("country_id", Val::Int(de))]).await;
    let in_fr =
        company(&f, "ACME", "a@acme.fr", &[("country_id", Val::Int(fr)), ("website", t("https://acme.example.org"))])
            .await;
    let mut r = inquiry(&f, "Zed", "", "", "", "acme");
    r.country_id = Some(fr);
    assert_eq!(find_company(&f, r.clone()).await, Some(in_fr), "one in the request's country");
    // Step 6: several and no country to narrow them: the first.
    assert_eq!(find_company(&f, inquiry(&f, "Zed", "", "", "", "acme")).await, Some(first));
    // Several in that country: the website's domain decides.
    let shop = company(
        &f,
        "Acme!",
        "a@acme-shop.fr",
        &[("country_id", Val::Int(fr)), ("website", t("http://www.acme-shop.fr/"))],
    )
    .await;
    r.website = "https://WWW.acme-shop.fr/contact?x=1".into();
    assert_eq!(find_company(&f, r.clone()).await, Some(shop));
    r.website = String::new();
    assert_eq!(find_company(&f, r).await, Some(in_fr), "several in the country, no website: the first of them");
}

#[tokio::test]
async fn company_step_5_the_email_domain_unless_it_is_a_public_one() {
    let f = fx().await;
    let initech = company(&f, "Initech", "sales@initech.example, info@initech.com", &[]).await;
    company(&f, "Gmail user's firm", "boss@gmail.com", &[]).await;
    assert_eq!(find_company(&f, inquiry(&f, "Bob", "", "bob@INITECH.com", "", "")).await, Some(initech));
    assert_eq!(find_company(&f, inquiry(&f, "Bob", "", "bob@gmail.com", "", "")).await, None);
    // A domain that merely starts the same is another domain.
    assert_eq!(find_company(&f, inquiry(&f, "Bob", "", "bob@initech.co", "", "")).await, None);
}

// ---------------------------------------------------------------------------------------------
// §6.4 update_request_data, auto_link, get_or_create_contact_or_lead

#[tokio::test]
async fn auto_link_copies_what_the_request_lacks_from_the_contact_and_company_and_from_a_lead() {
    let f = fx().await;
    let de = country(&f.app.db, "Germany").await;
    let acme = company(
        &f,
        "Acme GmbH",
        "info@acme.de",
        &[("country_id", Val::Int(de)), ("website", t("https://acme.de")), ("phone", t("+49 30 1"))],
    )
    .await;
    let ann = contact(&f, acme, "Ann", "Smith", "ann@acme.de", "+49 30 555 0000").await;
    let mut r = inquiry(&f, "Ann", "", "ann@acme.de", "", "");
    let mut tx = f.app.db.begin().await.unwrap();
    matching::auto_link(&mut tx, &mut r).await.unwrap();
    drop(tx);
    assert_eq!(
        (r.contact_id, r.company_id, r.owner_id, r.verification_required),
        (Some(ann), Some(acme), Some(f.mark), true)
    );
    assert_eq!(
        (r.phone.as_str(), r.company_name.as_str(), r.website.as_str()),
        ("+49 30 555 0000", "Acme GmbH", "https://acme.de")
    );
    assert_eq!(r.country_id, Some(de));
    // What the visitor typed stays.
    let mut r = inquiry(&f, "Ann", "", "ann@acme.de", "+49 30 999", "ACME");
    r.owner_id = Some(f.app.user_id("Helen.Head.Sales").await);
    let helen = r.owner_id;
    let mut tx = f.app.db.begin().await.unwrap();
    matching::auto_link(&mut tx, &mut r).await.unwrap();
    drop(tx);
    assert_eq!((r.phone.as_str(), r.company_name.as_str(), r.owner_id), ("+49 30 999", "ACME", helen));
    // A lead: its owner and phone.
    let l = lead(&f, "Carla", "Diaz", "carla@example.org", "+34 600 000 000", "Diaz").await;
    let mut r = inquiry(&f, "Carla", "", "carla@example.org", "", "");
    let mut tx = f.app.db.begin().await.unwrap();
    matching::auto_link(&mut tx, &mut r).await.unwrap();
    drop(tx);
    assert_eq!(
        (r.lead_id, r.company_id, r.owner_id, r.phone.as_str()),
        (Some(l), None, Some(f.mark), "+34 600 000 000")
    );
}

async fn get_or_create(f: &Fx, r: &mut Inquiry) {
    let mut tx = f.app.db.begin().await.unwrap();
    matching::get_or_create_counterparty(&mut tx, r, &Actor::system("test")).await.unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn get_or_create_links_an_existing_contact_or_makes_a_contact_in_the_found_company() {
    let f = fx().await;
    let de = country(&f.app.db, "Germany").await;
    let acme = company(&f, "Acme", "info@acme.de", &[("country_id", Val::Int(de))]).await;
    let ann = contact(&f, acme, "Ann", "Smith", "ann@acme.de", "").await;
    let mut r = inquiry(&f, "Ann", "Smith", "ann@acme.de", "", "");
    get_or_create(&f, &mut r).await;
    assert_eq!((r.contact_id, r.company_id), (Some(ann), Some(acme)));
    // A new person at a known company (found by the email's domain): a contact person there, with
    // the company's owner, department and country.
    let mut r = inquiry(&f, "Bob", "Stone", "bob@acme.de", "+49 1", "");
    get_or_create(&f, &mut r).await;
    let bob = r.contact_id.expect("a contact person was made");
    assert_eq!((r.company_id, r.lead_id), (Some(acme), None));
    let rec = repo::get(&f.app.db, &person::CONTACT, bob).await.unwrap().unwrap();
    let s = &person::CONTACT;
    assert_eq!((rec.department_id, rec.owner_id), (f.sales, Some(f.mark)));
    assert_eq!(rec.get(s, "company_id"), &Val::Int(acme));
    assert_eq!(rec.get(s, "country_id"), &Val::Int(de));
    assert_eq!(
        (rec.get(s, "first_name").text(), rec.get(s, "last_name").text(), rec.get(s, "email").text()),
        ("Bob", "Stone", "bob@acme.de")
    );
    // The new contact person is matched from now on (its keys were written with it).
    let again = find_person(&f, inquiry(&f, "Bob", "", "bob@acme.de", "", "")).await;
    assert_eq!(again.contact_id, Some(bob));
}

#[tokio::test]
async fn get_or_create_makes_a_lead_with_the_found_companys_details_or_from_the_request_alone() {
    let f = fx().await;
    let helen = f.app.user_id("Helen.Head.Sales").await;
    // No company at all: a lead from the request, owned as the request.
    let mut r = inquiry(&f, "Carla", "Diaz", "carla@gmail.com", "+34 600", "Diaz Imports");
    r.owner_id = Some(helen);
    r.website = "https://diaz.example".into();
    get_or_create(&f, &mut r).await;
    let l = r.lead_id.expect("a lead");
    let s = &person::LEAD;
    let rec = repo::get(&f.app.db, s, l).await.unwrap().unwrap();
    assert_eq!((rec.department_id, rec.owner_id, r.contact_id, r.company_id), (f.sales, Some(helen), None, None));
    assert_eq!(
        (
            rec.get(s, "first_name").text(),
            rec.get(s, "email").text(),
            rec.get(s, "company_name").text(),
            rec.get(s, "phone").text()
        ),
        ("Carla", "carla@gmail.com", "Diaz Imports", "+34 600")
    );
    // A company found by name but no email given: a lead carrying that company, and the request's
    // company link is cleared (a request links a company or a lead).
    let industry: i64 = f
        .app
        .db
        .scalar(
            Query::select().column("id").from("industries").and_where(Expr::col("department_id").eq(f.sales)).limit(1),
        )
        .await
        .unwrap()
        .unwrap();
    let acme = company(
        &f,
        "Acme",
        "info@acme.de",
        &[("website", t("https://acme.de")), ("industries", Val::Text(industry.to_string()))],
    )
    .await;
    let mut r = inquiry(&f, "Dora", "Klein", "", "", "ACME");
    get_or_create(&f, &mut r).await;
    let l = r.lead_id.expect("a lead");
    assert_eq!((r.company_id, r.contact_id), (None, None));
    let rec = repo::get(&f.app.db, s, l).await.unwrap().unwrap();
    assert_eq!(rec.get(s, "company_id"), &Val::Int(acme));
    assert_eq!(
        (rec.get(s, "company_name").text(), rec.get(s, "website").text(), rec.get(s, "company_email").text()),
        ("Acme", "https://acme.de", "info@acme.de")
    );
    assert_eq!(rec.get(s, "industries").text(), industry.to_string());
}

// ---------------------------------------------------------------------------------------------
// The match keys

async fn keys_of(db: &Db, table: &'static str, col: &'static str, id: i64) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = db
        .fetch_all(Query::select().columns(["kind", "key"]).from(table).and_where(Expr::col(col).eq(id)))
        .await
        .unwrap();
    v.sort();
    v
}

#[tokio::test]
async fn the_match_keys_follow_every_save_and_go_with_the_row() {
    let f = fx().await;
    let acme =
        company(&f, "Acme", "Info@Acme.com, sales@acme.de", &[("alternative_names", t("ACME Co., Roadrunner"))]).await;
    let kv = |k: &str, v: &str| (k.to_string(), v.to_string());
    assert_eq!(
        keys_of(&f.app.db, "company_keys", "company_id", acme).await,
        vec![
            kv("d", "acme.com"),
            kv("d", "acme.de"),
            kv("e", "info@acme.com"),
            kv("e", "sales@acme.de"),
            kv("n", "acmeco"),
            kv("n", "roadrunner")
        ]
    );
    let ann = contact(&f, acme, "Ann", "Smith", "Ann@Acme.com", "+1 555-0100").await;
    assert_eq!(
        keys_of(&f.app.db, "contact_keys", "contact_id", ann).await,
        vec![kv("e", "ann@acme.com"), kv("p", "00105551")]
    );
    let mut tx = f.app.db.begin().await.unwrap();
    let before = repo::get(&f.app.db, &person::CONTACT, ann).await.unwrap().unwrap();
    let mut after = before.clone();
    after.set(&person::CONTACT, "email", t("ann.smith@acme.com"));
    after.set(&person::CONTACT, "mobile", t("+44 7700 900123"));
    repo::update(&mut tx, &person::CONTACT, &before, &after, &Actor::system("t"), &Names::default()).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        keys_of(&f.app.db, "contact_keys", "contact_id", ann).await,
        vec![kv("e", "ann.smith@acme.com"), kv("p", "00105551"), kv("p", "321009007744")]
    );
    // A bulk import (`insert_many`) writes them too.
    let s = &person::LEAD;
    let rows: Vec<(Record, String)> = ["imported.one@example.org", "imported.two@example.org"]
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut r = Record::blank(s, f.sales, Some(f.mark));
            r.set(s, "first_name", t("Ira"));
            r.set(s, "email", t(e));
            (r, format!("tok-import-{i}"))
        })
        .collect();
    let mut tx = f.app.db.begin().await.unwrap();
    let ids = repo::insert_many(&mut tx, s, &rows, &Actor::system("t"), &Names::default()).await.unwrap();
    tx.commit().await.unwrap();
    let r = find_person(&f, inquiry(&f, "ira", "", "Imported.Two@example.org", "", "")).await;
    assert_eq!(r.lead_id, Some(ids[1]));
    // Deleting the company deletes its contact persons, and their keys with them.
    let mut tx = f.app.db.begin().await.unwrap();
    ferrocrm::items::remove::delete(&mut tx, &f.app.db, ItemKind::Company, acme, &Actor::system("t")).await.unwrap();
    tx.commit().await.unwrap();
    assert!(keys_of(&f.app.db, "contact_keys", "contact_id", ann).await.is_empty());
    assert!(keys_of(&f.app.db, "company_keys", "company_id", acme).await.is_empty());
}

#[tokio::test]
async fn migration_18_fills_the_keys_of_rows_that_exist() {
    let dir = tempfile::tempdir_in(crate::helpers::app::test_tmp_root()).unwrap();
    let url = match crate::helpers::app::pg_admin_url() {
        Some(admin) => crate::helpers::app::fresh_pg_database(&admin).await,
        None => format!("sqlite://{}", dir.path().join("t.db").display()),
    };
    let db = Db::connect(&url, 2).await.unwrap();
    ferrocrm::migrations::run_to(&db, 15).await.unwrap();
    let now = ferrocrm::db::now();
    let mut tx = db.begin().await.unwrap();
    let actor = Actor::system("t");
    let dept = ferrocrm::users::repo::department_by_name_or_create(&mut tx, "Sales", &actor).await.unwrap();
    let insert = |table: &'static str, cols: Vec<(&'static str, sea_query::SimpleExpr)>| {
        let mut q = Query::insert();
        q.into_table(table)
            .columns(cols.iter().map(|(c, _)| *c))
            .values_panic(cols.into_iter().map(|(_, v)| v))
            .returning_col("id");
        q
    };
    let common = |v: &mut Vec<(&'static str, sea_query::SimpleExpr)>, tok: &str| {
        v.extend([
            ("token", tok.into()),
            ("department_id", dept.into()),
            ("created_at", now.into()),
            ("updated_at", now.into()),
        ]);
    };
    let mut c = vec![("full_name", "Acme".into()), ("name_key", "acme".into()), ("email", "info@acme.com".into())];
    common(&mut c, "t1");
    let acme = tx.insert_id(&insert("companies", c)).await.unwrap();
    let mut p = vec![
        ("company_id", acme.into()),
        ("first_name", "Ann".into()),
        ("first_name_key", "ann".into()),
        ("email", "ann@acme.com".into()),
        ("phone", "555-0100".into()),
    ];
    common(&mut p, "t2");
    let ann = tx.insert_id(&insert("contacts", p)).await.unwrap();
    let mut l = vec![("first_name", "Carla".into()), ("first_name_key", "carla".into()), ("email", "c@x.org".into())];
    common(&mut l, "t3");
    let carla = tx.insert_id(&insert("leads", l)).await.unwrap();
    tx.commit().await.unwrap();
    let applied = ferrocrm::migrate(&db).await.unwrap();
    assert!(applied.contains(&18), "{applied:?}");
    let kv = |k: &str, v: &str| (k.to_string(), v.to_string());
    assert_eq!(
        keys_of(&db, "company_keys", "company_id", acme).await,
        vec![kv("d", "acme.com"), kv("e", "info@acme.com")]
    );
    assert_eq!(
        keys_of(&db, "contact_keys", "contact_id", ann).await,
        vec![kv("e", "ann@acme.com"), kv("p", "0010555")]
    );
    assert_eq!(keys_of(&db, "lead_keys", "lead_id", carla).await, vec![kv("e", "c@x.org")]);
    let public: i64 =
        db.scalar(Query::select().expr(Expr::col("id").count()).from("public_email_domains")).await.unwrap().unwrap();
    assert!(public >= 40, "{public}");
    db.close().await;
}

/// Every matching look-up is served by an index: SQLite's plan has no full scan of a table, and
/// PostgreSQL (sequential scans off) finds an index path.
#[tokio::test]
async fn request_matching_walks_its_indexes() {
    let app = spawn_app().await;
    let (c, l) = (ItemKind::Contact, ItemKind::Lead);
    let cases: Vec<(&str, SelectStatement)> = vec![
        ("contacts by email", matching::persons(c, 1, "ann", None, Some(("e", "ann@acme.com")), None)),
        ("contacts of a company by email", matching::persons(c, 1, "ann", Some(3), Some(("e", "ann@acme.com")), None)),
        ("contacts by phone", matching::persons(c, 1, "ann", None, Some(("p", "7654321")), None)),
        ("contacts by last name", matching::persons(c, 1, "ann", None, None, Some("smith"))),
        ("leads by email", matching::persons(l, 1, "ann", None, Some(("e", "ann@acme.com")), None)),
        ("leads by phone", matching::persons(l, 1, "ann", None, Some(("p", "7654329")), None)),
        ("leads by last name", matching::persons(l, 1, "ann", None, None, Some("smith"))),
        ("companies of contacts by email", matching::companies_of_contacts(1, "e", "ann@acme.com")),
        ("companies of contacts by phone", matching::companies_of_contacts(1, "p", "7654321")),
        ("companies by name", matching::companies_named(1, "acme", false)),
        ("companies by alternative name", matching::companies_named(1, "acme", true)),
        ("companies by email domain", matching::companies_with_domain(1, "acme.com")),
    ];
    for (name, q) in cases {
        let lines = crate::helpers::plan_of(&app.db, &q, true).await;
        let scans = lines.iter().any(|l| {
            let l = l.trim_start().trim_start_matches("->").trim_start();
            (l.starts_with("SCAN ") && !l.starts_with("SCAN CONSTANT")) || l.contains("Seq Scan")
        });
        assert!(!scans, "{name} scans a table:\n{lines:#?}");
        assert!(lines.iter().any(|l| l.contains("INDEX") || l.contains("Index")), "{name}: no index in\n{lines:#?}");
    }
}

// ---------------------------------------------------------------------------------------------
// §6.3 create_incoming

async fn lead_source(db: &Db, dept: i64) -> i64 {
    db.scalar(Query::select().column("id").from("lead_sources").and_where(Expr::col("department_id").eq(dept)).limit(1))
        .await
        .unwrap()
        .unwrap()
}

fn submission(source: i64) -> Submission {
    Submission {
        name: "mrs. Ann  Maria Smith".into(),
        email: "ann@acme.com".into(),
        subject: "Price for 40 pumps".into(),
        phone: "+1 555 0100".into(),
        company: "Acme".into(),
        message: "Please send a quote.\nThanks".into(),
        website: String::new(),
        country: "Turkey".into(),
        city: "Istanbul.".into(),
        lead_source_id: source,
    }
}

#[derive(Debug, sqlx::FromRow)]
struct RequestRow {
    request_for: String,
    first_name: String,
    middle_name: String,
    last_name: String,
    email: String,
    phone: String,
    company_name: String,
    lead_source_id: Option<i64>,
    contact_id: Option<i64>,
    company_id: Option<i64>,
    lead_id: Option<i64>,
    country_id: Option<i64>,
    city_id: Option<i64>,
    city_name: String,
    description: String,
    pending: bool,
    verification_required: bool,
    ticket: String,
    department_id: i64,
    owner_id: Option<i64>,
}

#[derive(Debug, sqlx::FromRow)]
struct EmailRow {
    subject: String,
    content: String,
    from_field: String,
    to: String,
    incoming: bool,
    inquiry: bool,
    sent: bool,
    ticket: String,
    request_id: Option<i64>,
    contact_id: Option<i64>,
    company_id: Option<i64>,
    department_id: i64,
    owner_id: Option<i64>,
}

async fn request_row(db: &Db, id: i64) -> RequestRow {
    db.fetch_optional(
        Query::select()
            .columns([
                "request_for",
                "first_name",
                "middle_name",
                "last_name",
                "email",
                "phone",
                "company_name",
                "lead_source_id",
                "contact_id",
                "company_id",
                "lead_id",
                "country_id",
                "city_id",
                "city_name",
                "description",
                "pending",
                "verification_required",
                "ticket",
                "department_id",
                "owner_id",
            ])
            .from("requests")
            .and_where(Expr::col("id").eq(id)),
    )
    .await
    .unwrap()
    .expect("the request row")
}

async fn emails_of(db: &Db, request: i64) -> Vec<EmailRow> {
    db.fetch_all(
        Query::select()
            .columns([
                "subject",
                "content",
                "from_field",
                "to",
                "incoming",
                "inquiry",
                "sent",
                "ticket",
                "request_id",
                "contact_id",
                "company_id",
                "department_id",
                "owner_id",
            ])
            .from("crm_emails")
            .and_where(Expr::col("request_id").eq(request)),
    )
    .await
    .unwrap()
}

async fn notifications_of(db: &Db, user: i64) -> Vec<(String, String)> {
    db.fetch_all(
        Query::select().columns(["title", "url"]).from("notifications").and_where(Expr::col("user_id").eq(user)),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn create_incoming_writes_the_request_its_inquiry_email_and_links_and_notifies_the_found_owner() {
    let f = fx().await;
    let acme = company(&f, "Acme", "info@acme.com", &[]).await;
    let ann = contact(&f, acme, "Mrs. Ann", "Smith", "ann@acme.com", "").await;
    let source = lead_source(&f.app.db, f.sales).await;
    let mut events = f.app.state.bus.subscribe();
    let created = create_incoming(&f.app.state, submission(source)).await.unwrap();

    assert_eq!(created.ticket.len(), 10);
    let r = request_row(&f.app.db, created.id).await;
    let turkiye = country(&f.app.db, "Turkiye").await;
    assert_eq!((r.first_name.as_str(), r.middle_name.as_str(), r.last_name.as_str()), ("Mrs. Ann", "Maria", "Smith"));
    assert_eq!(
        (r.request_for.as_str(), r.email.as_str(), r.phone.as_str()),
        ("Price for 40 pumps", "ann@acme.com", "+1 555 0100")
    );
    assert_eq!((r.company_name.as_str(), r.description.as_str()), ("Acme", "Please send a quote.\nThanks"));
    assert_eq!(
        (r.lead_source_id, r.department_id, r.ticket.as_str()),
        (Some(source), f.sales, created.ticket.as_str())
    );
    assert_eq!((r.contact_id, r.company_id, r.lead_id), (Some(ann), Some(acme), None));
    assert_eq!((r.owner_id, r.pending, r.verification_required), (Some(f.mark), true, true));
    assert_eq!((r.country_id, r.city_name.as_str()), (Some(turkiye), "Istanbul"));
    let city: (String, i64) = f
        .app
        .db
        .fetch_optional(
            Query::select()
                .columns(["name", "country_id"])
                .from("cities")
                .and_where(Expr::col("id").eq(r.city_id.unwrap())),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(city, ("Istanbul".to_string(), turkiye), "the city was made in that country");

    // The inquiry email: to the department's operator (the lead source publishes no address).
    let emails = emails_of(&f.app.db, created.id).await;
    assert_eq!(emails.len(), 1);
    let e = &emails[0];
    assert_eq!((e.incoming, e.inquiry, e.sent), (true, true, false));
    assert_eq!(
        (e.subject.as_str(), e.from_field.as_str(), e.to.as_str()),
        ("Price for 40 pumps", "ann@acme.com", "olga.operator.sales@example.com")
    );
    assert_eq!(
        (e.ticket.as_str(), e.request_id, e.department_id, e.owner_id),
        (created.ticket.as_str(), Some(created.id), f.sales, Some(f.mark))
    );
    assert_eq!((e.contact_id, e.company_id), (Some(ann), Some(acme)));
    for line in [
        "From: mrs. Ann  Maria Smith",
        "Phone: +1 555 0100",
        "Email: ann@acme.com",
        "Company name: Acme",
        "Message: Please send a quote.",
    ] {
        assert!(e.content.contains(line), "{line:?} in {:?}", e.content);
    }

    // The found owner is notified, after commit (§4.2), and nobody else.
    let n = notifications_of(&f.app.db, f.mark).await;
    assert_eq!(n.len(), 1, "{n:?}");
    assert!(n[0].0.starts_with("You received the request"), "{n:?}");
    assert_eq!(n[0].1, format!("/requests/{}", created.id));
    let total: i64 =
        f.app.db.scalar(Query::select().expr(Expr::col("id").count()).from("notifications")).await.unwrap().unwrap();
    assert_eq!(total, 1);
    // After commit: the request's change (its lists and counters), then the owner's notice.
    let e = tokio::time::timeout(std::time::Duration::from_secs(5), events.recv()).await.unwrap().unwrap();
    assert!(
        matches!(&*e, ferrocrm::events::DomainEvent::Changed { topic: ferrocrm::events::Topic::Item(ferrocrm::access::ItemKind::Request), id, .. } if *id == created.id),
        "{e:?}"
    );
    let e = tokio::time::timeout(std::time::Duration::from_secs(5), events.recv()).await.unwrap().unwrap();
    assert_eq!(*e, ferrocrm::events::DomainEvent::Notice { user_id: f.mark });
    let history: i64 = f
        .app
        .db
        .scalar(
            Query::select()
                .expr(Expr::col("id").count())
                .from("history")
                .and_where(Expr::col("object_type").eq("request"))
                .and_where(Expr::col("object_id").eq(created.id)),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(history, 1);
}

#[tokio::test]
async fn create_incoming_without_a_match_takes_the_departments_country_and_notifies_nobody() {
    let f = fx().await;
    let de = country(&f.app.db, "Germany").await;
    f.app
        .db
        .execute(
            Query::update().table("departments").value("default_country_id", de).and_where(Expr::col("id").eq(f.sales)),
        )
        .await
        .unwrap();
    let source = lead_source(&f.app.db, f.sales).await;
    f.app
        .db
        .execute(
            Query::update()
                .table("lead_sources")
                .value("email", "web@ours.example")
                .and_where(Expr::col("id").eq(source)),
        )
        .await
        .unwrap();
    let s = Submission {
        name: "Zoe".into(),
        email: "zoe@nowhere.example".into(),
        subject: "Hello".into(),
        phone: "12".into(),
        company: "Nowhere".into(),
        country: "Narnia".into(),
        city: "Cair Paravel".into(),
        lead_source_id: source,
        ..Submission::default()
    };
    let created = create_incoming(&f.app.state, s).await.unwrap();
    let r = request_row(&f.app.db, created.id).await;
    assert_eq!((r.first_name.as_str(), r.last_name.as_str()), ("Zoe", ""));
    assert_eq!(
        (r.contact_id, r.company_id, r.lead_id, r.owner_id, r.verification_required),
        (None, None, None, None, false)
    );
    assert_eq!(r.country_id, Some(de), "an unknown country name leaves the department's");
    assert!(r.city_id.is_some(), "the city resolved in that country");
    let e = emails_of(&f.app.db, created.id).await;
    assert_eq!((e.len(), e[0].to.as_str(), e[0].owner_id), (1, "web@ours.example", None));
    let total: i64 =
        f.app.db.scalar(Query::select().expr(Expr::col("id").count()).from("notifications")).await.unwrap().unwrap();
    assert_eq!(total, 0);
    // Two requests, two tickets.
    let again = create_incoming(
        &f.app.state,
        Submission {
            name: "Zoe".into(),
            email: "z@x.example".into(),
            subject: "Again".into(),
            lead_source_id: source,
            ..Submission::default()
        },
    )
    .await
    .unwrap();
    assert_ne!(again.ticket, created.ticket);
    // An unknown lead source writes nothing.
    assert!(create_incoming(&f.app.state, Submission { lead_source_id: 999_999, ..submission(source) }).await.is_err());
}

#[tokio::test]
async fn a_failure_in_the_middle_of_create_incoming_leaves_nothing_written() {
    let f = fx().await;
    let acme = company(&f, "Acme", "info@acme.com", &[]).await;
    contact(&f, acme, "Mrs. Ann", "Smith", "ann@acme.com", "").await;
    let source = lead_source(&f.app.db, f.sales).await;
    // The inquiry email cannot be written: the request row, the new city and the history entry
    // before it, and the notification after it, must all go.
    let rename = |from: &str, to: &str| format!("ALTER TABLE crm_emails{from} RENAME TO crm_emails{to}");
    let mut tx = f.app.db.begin().await.unwrap();
    tx.execute_ddl(rename("", "_away")).await.unwrap();
    tx.commit().await.unwrap();
    let mut s = submission(source);
    s.city = "Atlantis".into();
    assert!(create_incoming(&f.app.state, s).await.is_err());
    let mut tx = f.app.db.begin().await.unwrap();
    tx.execute_ddl(rename("_away", "")).await.unwrap();
    tx.commit().await.unwrap();
    let db = &f.app.db;
    assert_eq!(count(db, Query::select().column("id").from("requests")).await, 0);
    assert_eq!(count(db, Query::select().column("id").from("crm_emails")).await, 0);
    assert_eq!(
        count(db, Query::select().column("id").from("cities").and_where(Expr::col("name_key").eq("atlantis"))).await,
        0
    );
    assert_eq!(count(db, Query::select().column("id").from("notifications")).await, 0);
    assert_eq!(
        count(db, Query::select().column("id").from("history").and_where(Expr::col("object_type").eq("request"))).await,
        0
    );
    // The same submission then goes through.
    let created = create_incoming(&f.app.state, submission(source)).await.unwrap();
    assert_eq!(emails_of(db, created.id).await.len(), 1);
}
