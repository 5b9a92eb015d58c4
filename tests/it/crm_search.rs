//! CRM search (inventory §10) on both backends: `ID 123` and `ticket:X` (filters bypassed, the
//! viewer's scope kept), every kind's fields and the related rows' fields, the company search across
//! departments (names only) with its warning, global search over the CRM kinds, the trigram index
//! after edits and deletes, and hostile input.

use ferrocrm::access::ItemKind;
use ferrocrm::crm::record::Val;
use ferrocrm::crm::repo::{self, Names, Record, Spec};
use ferrocrm::crm::{company, deal, money, person};
use ferrocrm::history::Actor;
use sea_query::{Expr, ExprTrait, Query};

use crate::helpers::app::Options;
use crate::helpers::client::TestClient;
use crate::helpers::{TestApp, crm};

/// Inserts a row of `spec` through `crm::repo` (as the forms do), fields given as text or ids.
async fn add(app: &TestApp, spec: &'static Spec, dept: i64, owner: Option<i64>, fields: &[(&str, Val)]) -> i64 {
    let mut r = Record::blank(spec, dept, owner);
    for (col, v) in fields {
        assert!(spec.field(col).is_some(), "{col} is a field of {:?}", spec.kind);
        r.set(spec, col, v.clone());
    }
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let extra: Vec<(&'static str, sea_query::SimpleExpr)> =
        if spec.token { vec![("token", format!("search-tok-{n}").into())] } else { Vec::new() };
    let actor = Actor::system("test");
    let mut tx = app.db.begin().await.unwrap();
    let id = repo::insert(&mut tx, spec, &r, &extra, &actor, &Names::default()).await.unwrap();
    tx.commit().await.unwrap();
    id
}

fn t(s: &str) -> Val {
    Val::Text(s.to_string())
}

async fn default_stage(app: &TestApp, dept: i64) -> i64 {
    app.db
        .scalar(
            Query::select()
                .column("id")
                .from("deal_stages")
                .and_where(Expr::col("department_id").eq(dept))
                .and_where(Expr::col("is_default").eq(true)),
        )
        .await
        .unwrap()
        .unwrap()
}

async fn a_deal(app: &TestApp, dept: i64, owner: Option<i64>, name: &str, more: &[(&str, Val)]) -> i64 {
    let stage = default_stage(app, dept).await;
    let mut fields = vec![
        ("name", t(name)),
        ("next_step", t("Call")),
        ("next_step_date", Val::Date(chrono::NaiveDate::from_ymd_opt(2026, 12, 24).unwrap())),
        ("stage_id", Val::Int(stage)),
    ];
    fields.extend(more.iter().cloned());
    add(app, &deal::SPEC, dept, owner, &fields).await
}

/// The ids of a list's rows (`#<slug>-<id>`).
async fn ids(c: &TestClient, path: &str, slug: &str) -> Vec<i64> {
    let page = c.get(path).await;
    assert_eq!(page.status, 200, "{path}: {}", page.body);
    let mut out: Vec<i64> = page
        .attrs(&format!("#{slug}-list tbody tr"), "id")
        .iter()
        .filter_map(|i| i.strip_prefix(&format!("{slug}-"))?.parse().ok())
        .collect();
    out.sort_unstable();
    out
}

fn q(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn app_with_departments() -> (TestApp, i64, i64) {
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    let sales = crm::department(&app, "Sales").await;
    let export = crm::department(&app, "Export").await;
    (app, sales, export)
}

#[tokio::test]
async fn id_and_ticket_searches_bypass_the_filters_but_never_the_viewers_scope() {
    let (app, sales, export) = app_with_departments().await;
    let (mark, helen, eve) = (
        app.user_id("Mark.Manager.Sales").await,
        app.user_id("Helen.Head.Sales").await,
        app.user_id("Eve.Manager.Export").await,
    );
    let mine =
        add(&app, &company::SPEC, sales, Some(mark), &[("full_name", t("Alpha Widgets")), ("email", t("a@a.example"))])
            .await;
    let hers =
        add(&app, &company::SPEC, sales, Some(helen), &[("full_name", t("Beta Gears")), ("email", t("b@b.example"))])
            .await;
    let export_co =
        add(&app, &company::SPEC, export, Some(eve), &[("full_name", t("Gamma Export")), ("email", t("g@g.example"))])
            .await;
    let m = app.login_as("Mark.Manager.Sales").await;

    // His default list is his own rows: a word search keeps that filter (and says so)…
    assert_eq!(ids(&m, "/companies?q=gears", "company").await, Vec::<i64>::new());
    let warned = m.get("/companies?q=gears").await;
    assert!(warned.body.contains("Filters may affect search results."));
    assert!(!m.get("/companies?owner=all&q=gears").await.body.contains("Filters may affect"));
    // …an id does not, in any spelling, nor the department filter…
    for form in [format!("ID {hers}"), format!("id{hers}"), format!("  Id   {hers} "), format!("iD{hers}")] {
        assert_eq!(ids(&m, &format!("/companies?q={}", q(&form)), "company").await, [hers], "{form}");
    }
    assert_eq!(ids(&m, &format!("/companies?owner=none&department={export}&q=ID+{hers}"), "company").await, [hers]);
    assert!(!m.get(&format!("/companies?q=ID+{hers}")).await.body.contains("Filters may affect"));
    // …but another department's row stays invisible, and is not named across departments either.
    let other = m.get(&format!("/companies?q=ID+{export_co}")).await;
    assert_eq!(other.count("#company-list tbody tr"), 0);
    assert!(!other.exists(".search-elsewhere"));
    assert_eq!(ids(&m, &format!("/companies?q=ID+{mine}"), "company").await, [mine]);

    // Tickets: exact, any spelling of the keyword, lower-case tickets too; scope kept.
    let d_hers = a_deal(&app, sales, Some(helen), "Pumps for Beta", &[("ticket", t("TK7Q2M4P9X"))]).await;
    let _d_other = a_deal(&app, sales, Some(helen), "Valves for Beta", &[("ticket", t("TK7Q2M4P9Y"))]).await;
    let d_export = a_deal(&app, export, Some(eve), "Export pumps", &[("ticket", t("EX7Q2M4P9X"))]).await;
    for form in ["ticket:TK7Q2M4P9X", "TICKET: TK7Q2M4P9X", "Ticket TK7Q2M4P9X", " ticket:tk7q2m4p9x "] {
        assert_eq!(ids(&m, &format!("/deals?q={}", q(form)), "deal").await, [d_hers], "{form}");
    }
    assert_eq!(ids(&m, "/deals?q=ticket%3ATK7Q2M4P9", "deal").await, Vec::<i64>::new(), "exact, not contains");
    assert_eq!(ids(&m, "/deals?q=ticket%3AEX7Q2M4P9X", "deal").await, Vec::<i64>::new(), "Export's deal");
    let g = app.login_as("Garry.Chief").await;
    assert_eq!(ids(&g, "/deals?q=ticket%3AEX7Q2M4P9X", "deal").await, [d_export], "the chief sees every department");
    // Without the keyword a ticket is a word like any other (deals search their ticket field).
    assert_eq!(ids(&m, "/deals?owner=all&q=TK7Q2M4P9", "deal").await.len(), 2);
    // A kind without a ticket reads "ticket: x" as words.
    assert_eq!(ids(&m, "/companies?owner=all&q=ticket%3A+alpha", "company").await, Vec::<i64>::new());
}

/// One hit per field: every §10 field of every kind, and the related rows' fields.
#[tokio::test]
async fn every_field_of_every_kind_and_of_its_related_rows_is_searched() {
    let (app, sales, _) = app_with_departments().await;
    let mark = app.user_id("Mark.Manager.Sales").await;
    let g = app.login_as("Garry.Chief").await;
    let mut tx = app.db.begin().await.unwrap();
    let land: i64 = tx
        .insert_id(
            Query::insert()
                .into_table("countries")
                .columns(["name", "alternative_names", "url_name"])
                .values_panic(["Qqcountryland".into(), "".into(), "qqcountryland".into()])
                .returning_col("id"),
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // Every field gets its own word: "w<kind><n>z", none inside another.
    let word = |k: &str, n: usize| format!("w{k}{n:02}z");
    let co_cols = company::SPEC.search;
    let mut co_fields: Vec<(&str, Val)> = co_cols.iter().enumerate().map(|(i, c)| (*c, t(&word("co", i)))).collect();
    co_fields.push(("country_id", Val::Int(land)));
    let co = add(&app, &company::SPEC, sales, Some(mark), &co_fields).await;
    let partner_co =
        add(&app, &company::SPEC, sales, Some(mark), &[("full_name", t("wpartnercoz")), ("email", t("p@p.example"))])
            .await;
    let partner = add(
        &app,
        &person::CONTACT,
        sales,
        Some(mark),
        &[("first_name", t("Pat")), ("company_id", Val::Int(partner_co))],
    )
    .await;
    let ct_cols = person::CONTACT.search;
    let mut ct_fields: Vec<(&str, Val)> = ct_cols.iter().enumerate().map(|(i, c)| (*c, t(&word("ct", i)))).collect();
    ct_fields.push(("company_id", Val::Int(co)));
    let ct = add(&app, &person::CONTACT, sales, Some(mark), &ct_fields).await;
    let lead_cols: Vec<&str> = ferrocrm::crm::search::indexed(ItemKind::Lead);
    let le_fields: Vec<(&str, Val)> = lead_cols.iter().enumerate().map(|(i, c)| (*c, t(&word("le", i)))).collect();
    let le = add(&app, &person::LEAD, sales, Some(mark), &le_fields).await;
    let de_cols = deal::SPEC.search;
    let mut de_fields: Vec<(&str, Val)> =
        de_cols.iter().enumerate().filter(|(_, c)| **c != "name").map(|(i, c)| (*c, t(&word("de", i)))).collect();
    de_fields.extend([
        ("company_id", Val::Int(co)),
        ("contact_id", Val::Int(ct)),
        ("lead_id", Val::Int(le)),
        ("partner_contact_id", Val::Int(partner)),
    ]);
    let de = a_deal(&app, sales, Some(mark), &word("de", 0), &de_fields).await;
    let pr = add(&app, &money::PRODUCT, sales, None, &[("name", t("wpr00z")), ("description", t("wpr01z"))]).await;

    let found = |path: String, slug: &'static str| {
        let g = &g;
        async move { ids(g, &path, slug).await }
    };
    // Own fields.
    for (i, c) in co_cols.iter().enumerate() {
        assert_eq!(found(format!("/companies?q={}", word("co", i)), "company").await, [co], "company {c}");
    }
    for (i, c) in ct_cols.iter().enumerate() {
        assert_eq!(found(format!("/contacts?q={}", word("ct", i)), "contact").await, [ct], "contact {c}");
    }
    for (i, c) in lead_cols.iter().enumerate() {
        let own = person::LEAD.search.contains(c);
        let want: &[i64] = if own { &[le] } else { &[] };
        assert_eq!(found(format!("/leads?q={}", word("le", i)), "lead").await, want, "lead {c}");
    }
    for (i, c) in de_cols.iter().enumerate() {
        assert_eq!(found(format!("/deals?q={}", word("de", i)), "deal").await, [de], "deal {c}");
    }
    for w in ["wpr00z", "wpr01z"] {
        assert_eq!(found(format!("/products?q={w}"), "product").await, [pr], "product {w}");
    }
    // A contact also by its company's name, website, city, address, email and description, not by
    // the company's phone, registration number or other names (§10).
    for (i, c) in co_cols.iter().enumerate() {
        let related = ["full_name", "website", "city_name", "address", "email", "description"].contains(c);
        let want: &[i64] = if related { &[ct] } else { &[] };
        assert_eq!(found(format!("/contacts?q={}", word("co", i)), "contact").await, want, "contact by company {c}");
        assert_eq!(
            found(format!("/deals?q={}", word("co", i)), "deal").await,
            want.iter().map(|_| de).collect::<Vec<_>>(),
            "deal by company {c}"
        );
    }
    // A deal by its contact's first and last name, email, address and description only.
    for (i, c) in ct_cols.iter().enumerate() {
        let related = ["first_name", "last_name", "email", "address", "description"].contains(c);
        let want: Vec<i64> = if related { vec![de] } else { vec![] };
        assert_eq!(found(format!("/deals?q={}", word("ct", i)), "deal").await, want, "deal by contact {c}");
    }
    // …by its lead's names, address, description and company fields (not the lead's emails or phones).
    for (i, c) in lead_cols.iter().enumerate() {
        let related = [
            "first_name",
            "last_name",
            "address",
            "description",
            "company_name",
            "website",
            "company_address",
            "company_email",
        ]
        .contains(c);
        let want: Vec<i64> = if related { vec![de] } else { vec![] };
        assert_eq!(found(format!("/deals?q={}", word("le", i)), "deal").await, want, "deal by lead {c}");
    }
    // …by its company's country and its partner contact's company.
    assert_eq!(found("/deals?q=countryland".into(), "deal").await, [de]);
    assert_eq!(found("/deals?q=wpartnercoz".into(), "deal").await, [de]);
    assert_eq!(found("/contacts?q=wpartnercoz".into(), "contact").await, [partner]);
    // Several words: each must be somewhere (own or related).
    assert_eq!(found(format!("/contacts?q={}+{}", word("ct", 0), word("co", 0)), "contact").await, [ct]);
    assert_eq!(found(format!("/contacts?q={}+{}", word("ct", 0), "wpartnercoz"), "contact").await, Vec::<i64>::new());
    // Case does not matter; one or two characters search too (without the index).
    assert_eq!(found(format!("/companies?q={}", word("co", 0).to_uppercase()), "company").await, [co]);
    assert!(found("/companies?q=wc".into(), "company").await.contains(&co));
    assert!(found("/companies?q=z".into(), "company").await.contains(&partner_co));
}

#[tokio::test]
async fn a_company_search_names_other_departments_companies_without_opening_them() {
    let (app, sales, export) = app_with_departments().await;
    let mark = app.user_id("Mark.Manager.Sales").await;
    let eve_id = app.user_id("Eve.Manager.Export").await;
    let alpha = add(
        &app,
        &company::SPEC,
        sales,
        Some(mark),
        &[("full_name", t("Alpha Widgets")), ("email", t("a@a.example")), ("phone", t("+1 555 0100"))],
    )
    .await;
    let own = add(
        &app,
        &company::SPEC,
        export,
        Some(eve_id),
        &[("full_name", t("Alpha Exports")), ("email", t("e@e.example"))],
    )
    .await;
    add(&app, &person::CONTACT, sales, Some(mark), &[("first_name", t("Alphonse")), ("company_id", Val::Int(alpha))])
        .await;

    let eve = app.login_as("Eve.Manager.Export").await;
    let page = eve.get("/companies?owner=all&q=alpha").await;
    assert_eq!(page.status, 200);
    assert_eq!(ids(&eve, "/companies?owner=all&q=alpha", "company").await, [own], "her list: her department's");
    assert_eq!(page.texts(".search-elsewhere tbody tr td"), ["Alpha Widgets", "Sales", "Mark Manager"]);
    assert!(page.text(".search-elsewhere").contains("These results include companies of other departments."));
    assert_eq!(page.count(".search-elsewhere a"), 0, "no link to a page she may not open");
    assert!(!page.body.contains("555 0100"), "nothing but name, department and owner");
    assert_eq!(eve.get(&format!("/companies/{alpha}")).await.status, 404, "the access rules still say no");
    // The live refresh of the list (a fragment) keeps the section.
    assert!(eve.hx_get("/companies?owner=all&q=alpha").await.exists(".search-elsewhere"));
    // Contacts do not cross departments (§10 names only companies).
    assert_eq!(eve.get("/contacts?owner=all&q=alphonse").await.count("#contact-list tbody tr"), 0);
    assert!(!eve.get("/contacts?owner=all&q=alphonse").await.exists(".search-elsewhere"));
    // Who sees every department finds it in the list itself, with no section.
    let g = app.login_as("Garry.Chief").await;
    let chief = g.get("/companies?q=alpha").await;
    assert_eq!(chief.count("#company-list tbody tr"), 2);
    assert!(!chief.exists(".search-elsewhere"));
    // No CRM, no search of it.
    assert_eq!(app.login_as("Carl.CoWorker").await.get("/companies?q=alpha").await.status, 403);
    // Nothing matched elsewhere: no section.
    assert!(!eve.get("/companies?owner=all&q=exports").await.exists(".search-elsewhere"));
}

#[tokio::test]
async fn global_search_finds_the_crm_kinds_the_viewer_may_see() {
    let (app, sales, export) = app_with_departments().await;
    let mark = app.user_id("Mark.Manager.Sales").await;
    let eve_id = app.user_id("Eve.Manager.Export").await;
    let co = add(
        &app,
        &company::SPEC,
        sales,
        Some(mark),
        &[("full_name", t("Zebrafish Labs")), ("email", t("z@z.example"))],
    )
    .await;
    let ct =
        add(&app, &person::CONTACT, sales, None, &[("first_name", t("Zebrina")), ("company_id", Val::Int(co))]).await;
    let le = add(&app, &person::LEAD, sales, Some(mark), &[("first_name", t("Zebulon"))]).await;
    let de = a_deal(&app, sales, Some(mark), "Zebra crossing paint", &[]).await;
    let pr = add(&app, &money::PRODUCT, sales, None, &[("name", t("Zebra paint"))]).await;
    let hidden = add(
        &app,
        &company::SPEC,
        export,
        Some(eve_id),
        &[("full_name", t("Zebra Export")), ("email", t("x@x.example"))],
    )
    .await;

    let m = app.login_as("Mark.Manager.Sales").await;
    let page = m.get("/search?q=zeb").await;
    assert_eq!(page.status, 200);
    let mut links = page.attrs("table td a", "href");
    links.sort();
    let mut want = vec![
        format!("/companies/{co}"),
        format!("/contacts/{ct}"),
        format!("/leads/{le}"),
        format!("/deals/{de}"),
        format!("/products/{pr}"),
    ];
    want.sort();
    assert_eq!(links, want, "every kind, whoever owns it, within his departments");
    assert!(!page.body.contains(&format!("/companies/{hidden}")));
    // An id opens what he may see, and not Eve's company.
    assert_eq!(
        m.get(&format!("/search?q=ID+{hidden}"))
            .await
            .attrs("table td a", "href")
            .iter()
            .filter(|h| h.starts_with("/companies/"))
            .count(),
        0
    );
    // Carl has no CRM: nothing of it.
    assert!(app.login_as("Carl.CoWorker").await.get("/search?q=zeb").await.exists(".empty-state"));
    // More than a page of one kind: the first 20 and a link to the list.
    for i in 0..21 {
        add(
            &app,
            &company::SPEC,
            sales,
            Some(mark),
            &[("full_name", t(&format!("Quokka {i}"))), ("email", t("q@q.example"))],
        )
        .await;
    }
    let many = m.get("/search?q=quokka").await;
    assert_eq!(many.count("table td a"), 20);
    assert_eq!(many.attr(".search-more a", "href").as_deref(), Some("/companies?q=quokka&owner=all"));
    assert_eq!(
        m.get("/companies?q=quokka&owner=all").await.count("#company-list tbody tr"),
        21,
        "the list pages the rest"
    );
}

async fn index_rows(app: &TestApp, kind: i16, id: i64) -> i64 {
    app.count(
        "search_terms",
        sea_query::Condition::all().add(Expr::col("kind").eq(kind)).add(Expr::col("object_id").eq(id)),
    )
    .await
}

#[tokio::test]
async fn the_index_follows_edits_and_deletes() {
    let (app, _sales, _) = app_with_departments().await;
    let m = app.login_as("Mark.Manager.Sales").await;
    let made = m.post_form("/companies", &[("full_name", "Ocelot Trading"), ("email", "o@ocelot.example")]).await;
    assert_eq!(made.status, 303, "{}", made.body);
    let url = made.header("location").unwrap();
    let id: i64 = url.rsplit('/').next().unwrap().parse().unwrap();
    assert_eq!(ids(&m, "/companies?q=ocelot", "company").await, [id]);
    assert!(index_rows(&app, 1, id).await > 0);

    let edited = m.post_form(&url, &[("full_name", "Lynx Trading"), ("email", "o@lynx.example")]).await;
    assert_eq!(edited.status, 303, "{}", edited.body);
    assert_eq!(ids(&m, "/companies?q=ocelot", "company").await, Vec::<i64>::new(), "the old name is gone");
    assert_eq!(ids(&m, "/companies?q=lynx", "company").await, [id]);
    assert_eq!(ids(&m, "/companies?q=trading", "company").await, [id], "what stayed still finds it");

    // A contact of it, found by the company's new name; deleting the company takes both from the
    // index (the contact goes with its company).
    let ct = m
        .post_form(
            "/contacts",
            &[("first_name", "Olivia"), ("email", "ol@lynx.example"), ("company_id", &id.to_string())],
        )
        .await;
    assert_eq!(ct.status, 303, "{}", ct.body);
    let ct_id: i64 = ct.header("location").unwrap().rsplit('/').next().unwrap().parse().unwrap();
    assert_eq!(ids(&m, "/contacts?q=lynx", "contact").await, [ct_id]);
    assert!(index_rows(&app, 2, ct_id).await > 0);
    assert_eq!(m.post_form(&format!("{url}/delete"), &[]).await.status, 303);
    assert_eq!(index_rows(&app, 1, id).await, 0);
    assert_eq!(index_rows(&app, 2, ct_id).await, 0);
    assert_eq!(ids(&m, "/companies?q=lynx", "company").await, Vec::<i64>::new());

    // The index built again from the tables holds exactly what the writes kept.
    let before: Vec<(i16, i64, i64)> = app
        .db
        .fetch_all(
            Query::select()
                .columns(["kind", "gram", "object_id"])
                .from("search_terms")
                .order_by("kind", sea_query::Order::Asc)
                .order_by("gram", sea_query::Order::Asc)
                .order_by("object_id", sea_query::Order::Asc),
        )
        .await
        .unwrap();
    ferrocrm::crm::search::rebuild(&app.db).await.unwrap();
    let after: Vec<(i16, i64, i64)> = app
        .db
        .fetch_all(
            Query::select()
                .columns(["kind", "gram", "object_id"])
                .from("search_terms")
                .order_by("kind", sea_query::Order::Asc)
                .order_by("gram", sea_query::Order::Asc)
                .order_by("object_id", sea_query::Order::Asc),
        )
        .await
        .unwrap();
    assert_eq!(before, after);
}

#[tokio::test]
async fn hostile_search_input_is_matched_literally() {
    let (app, sales, _) = app_with_departments().await;
    let mark = app.user_id("Mark.Manager.Sales").await;
    let names = ["100% Pure", "snake_case Inc", "O'Brien \\ Sons", "Plain Co", "Quote \"Me\" Ltd"];
    let mut made = Vec::new();
    for n in names {
        made.push(
            add(&app, &company::SPEC, sales, Some(mark), &[("full_name", t(n)), ("email", t("h@h.example"))]).await,
        );
    }
    let m = app.login_as("Mark.Manager.Sales").await;
    let cases: &[(&str, &[usize])] = &[
        ("%", &[0]),
        ("0%", &[0]),
        ("00% p", &[0]),
        ("_", &[1]),
        ("e_c", &[1]),
        ("'", &[2]),
        ("o'b", &[2]),
        ("\\", &[2]),
        (" \\ s", &[2]),
        ("\"me\"", &[4]),
        ("%%", &[]),
        ("__", &[]),
        ("' OR 1=1 --", &[]),
        ("'; DROP TABLE companies; --", &[]),
    ];
    for (term, want) in cases {
        let want: Vec<i64> = want.iter().map(|i| made[*i]).collect();
        assert_eq!(ids(&m, &format!("/companies?q={}", q(term)), "company").await, want, "{term:?}");
    }
    // Very long terms and many words answer (nothing), and the table is still there.
    let long = "a".repeat(10_000);
    assert_eq!(ids(&m, &format!("/companies?q={long}"), "company").await, Vec::<i64>::new());
    let words = (0..500).map(|i| format!("w{i}")).collect::<Vec<_>>().join(" ");
    assert_eq!(ids(&m, &format!("/companies?q={}", q(&words)), "company").await, Vec::<i64>::new());
    let nul = m.get("/companies?q=Pl%00ain").await;
    assert_eq!(nul.status, 200);
    assert_eq!(ids(&m, "/companies?q=plain", "company").await, [made[3]]);
    assert_eq!(m.get(&format!("/search?q={}", q("%_'\\"))).await.status, 200);
    assert_eq!(m.get(&format!("/deals?q={}", q("ticket:' OR '1'='1"))).await.status, 200);
}
