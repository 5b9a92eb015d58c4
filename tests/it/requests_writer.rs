//! The intake's group commit (`requests::intake::writer`), on both backends: submissions that arrive
//! together are written in one transaction, each in its savepoint, so one that fails half-way leaves
//! nothing behind and the others are stored, answered and searchable at once.

use ferrocrm::access::ItemKind;
use ferrocrm::crm::search;
use ferrocrm::db::{Backend, Db};
use ferrocrm::requests::create::{Submission, create_incoming};
use ferrocrm::requests::intake::writer::write_batch;
use sea_query::{Expr, ExprTrait, Query};

use crate::helpers::{TestApp, crm, spawn_app};

async fn lead_source(app: &TestApp) -> i64 {
    let sales = crm::department(app, "Sales").await;
    app.db
        .scalar(
            Query::select().column("id").from("lead_sources").and_where(Expr::col("department_id").eq(sales)).limit(1),
        )
        .await
        .unwrap()
        .expect("the department's lead source")
}

fn submission(source: i64, n: usize, subject: &str) -> Submission {
    Submission {
        name: format!("Mr. Visitor Number{n}"),
        email: format!("visitor{n}@mail.example"),
        subject: subject.to_string(),
        phone: format!("+1 555 01{n:02}"),
        company: format!("Company {n}"),
        message: format!("Please send a quote for item {n}"),
        website: String::new(),
        country: "Germany".into(),
        city: "Berlin".into(),
        lead_source_id: source,
    }
}

async fn count(db: &Db, table: &str) -> i64 {
    db.scalar(Query::select().expr(Expr::col(sea_query::Asterisk).count()).from(sea_query::Alias::new(table)))
        .await
        .unwrap()
        .unwrap()
}

/// The ids of `kind` its list's search finds for `word`.
async fn found(db: &Db, kind: ItemKind, word: &str) -> Vec<i64> {
    let spec = match kind {
        ItemKind::Request => &ferrocrm::requests::kind::SPEC,
        _ => &ferrocrm::emails::kind::SPEC,
    };
    let cond = search::words_condition(db, spec, &[word.to_string()]).await.unwrap();
    db.fetch_all::<(i64,)>(
        Query::select().column("id").from(kind.info().table).and_where(cond).order_by("id", sea_query::Order::Asc),
    )
    .await
    .unwrap()
    .into_iter()
    .map(|(id,)| id)
    .collect()
}

/// Makes inserting an email with the subject `boom` fail, after its request row was written.
async fn fail_on_boom(db: &Db) {
    match db.backend() {
        Backend::Sqlite => {
            db.execute_raw(
                "CREATE TRIGGER boom BEFORE INSERT ON crm_emails WHEN NEW.subject = 'boom' \
                 BEGIN SELECT RAISE(ABORT, 'boom'); END",
            )
            .await
            .unwrap();
        }
        Backend::Postgres => {
            db.execute_raw(
                "CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN IF NEW.subject = 'boom' THEN \
                 RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
            )
            .await
            .unwrap();
            db.execute_raw("CREATE TRIGGER boom BEFORE INSERT ON crm_emails FOR EACH ROW EXECUTE FUNCTION boom()")
                .await
                .unwrap();
        }
    }
}

#[tokio::test]
async fn a_submission_failing_half_way_leaves_nothing_and_its_batch_is_stored() {
    let app = spawn_app().await;
    let source = lead_source(&app).await;
    fail_on_boom(&app.db).await;
    let (requests, emails, history) =
        (count(&app.db, "requests").await, count(&app.db, "crm_emails").await, count(&app.db, "history").await);

    let batch = vec![
        submission(source, 1, "Quote zebraone"),
        submission(source, 2, "boom"),
        submission(source, 3, "Quote zebrathree"),
        submission(source + 1_000_000, 4, "Quote zebrafour"),
    ];
    let results = write_batch(&app.state, batch).await;
    assert_eq!(results.len(), 4);
    let first = results[0].as_ref().expect("the first is stored");
    assert!(results[1].is_err(), "the failing insert is answered with its error");
    let third = results[2].as_ref().expect("a failure before it does not stop the third");
    assert!(
        matches!(results[3], Err(ferrocrm::error::AppError::NotFound)),
        "an unknown lead source: {:?}",
        results[3].as_ref().err()
    );

    // Two requests, two inquiry emails, two history lines: none of the failed one's rows remain,
    // though its request row was written before its email failed.
    assert_eq!(count(&app.db, "requests").await, requests + 2);
    assert_eq!(count(&app.db, "crm_emails").await, emails + 2);
    assert_eq!(count(&app.db, "history").await, history + 2);
    let boom: i64 = app
        .db
        .scalar(
            Query::select()
                .expr(Expr::col("id").count())
                .from("requests")
                .and_where(Expr::col("request_for").eq("boom")),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(boom, 0);
    assert_ne!(first.ticket, third.ticket);

    // Both are searchable at once, each under its own words only, and so are their emails.
    assert_eq!(found(&app.db, ItemKind::Request, "zebraone").await, vec![first.id]);
    assert_eq!(found(&app.db, ItemKind::Request, "zebrathree").await, vec![third.id]);
    assert_eq!(found(&app.db, ItemKind::Request, "zebrafour").await, Vec::<i64>::new());
    assert_eq!(found(&app.db, ItemKind::Email, "zebraone").await, vec![first.email_id]);
    assert_eq!(found(&app.db, ItemKind::Email, "zebrathree").await, vec![third.email_id]);

    // Written without their index rows; an edit may index one before the writer does (here all of
    // it), which the writer's step must not trip over.
    assert_eq!(pending(&app.db, "requests").await, 2);
    assert_eq!(pending(&app.db, "crm_emails").await, 2);
    let mut tx = app.db.begin().await.unwrap();
    search::index_where(&mut tx, ItemKind::Request, "id", first.id).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(search::index_all_pending(&app.db, 1).await.unwrap(), 4);
    assert_eq!(pending(&app.db, "requests").await, 0);
    assert_eq!(pending(&app.db, "crm_emails").await, 0);
    // Now found through the index alone, the same.
    assert_eq!(found(&app.db, ItemKind::Request, "zebraone").await, vec![first.id]);
    assert_eq!(found(&app.db, ItemKind::Request, "zebrathree").await, vec![third.id]);
    assert_eq!(found(&app.db, ItemKind::Email, "zebrathree").await, vec![third.email_id]);
    let rows: i64 = app
        .db
        .scalar(
            Query::select()
                .expr(Expr::col(sea_query::Asterisk).count())
                .from("search_terms")
                .and_where(Expr::col("object_id").eq(third.id))
                .and_where(Expr::col("kind").eq(10)),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(rows > 10, "the third request's index rows: {rows}");
}

async fn pending(db: &Db, table: &str) -> i64 {
    db.scalar(
        Query::select()
            .expr(Expr::col(sea_query::Asterisk).count())
            .from(sea_query::Alias::new(table))
            .and_where(Expr::col("search_pending").eq(true)),
    )
    .await
    .unwrap()
    .unwrap()
}

#[tokio::test]
async fn concurrent_submissions_are_all_stored_with_their_own_tickets_and_events() {
    let app = spawn_app().await;
    let source = lead_source(&app).await;
    let before = count(&app.db, "requests").await;
    let mut events = app.state.bus.subscribe();
    let n = 40;
    let posts = (0..n).map(|i| create_incoming(&app.state, submission(source, i, &format!("Quote walrus{i}q"))));
    let created: Vec<_> = futures_util::future::join_all(posts).await.into_iter().map(|r| r.expect("stored")).collect();

    assert_eq!(count(&app.db, "requests").await, before + n as i64);
    let mut tickets: Vec<&str> = created.iter().map(|c| c.ticket.as_str()).collect();
    tickets.sort_unstable();
    tickets.dedup();
    assert_eq!(tickets.len(), n, "every request has its own ticket");
    for (i, c) in created.iter().enumerate() {
        // Each answer is its own submission's request.
        let subject: String = app
            .db
            .scalar(Query::select().column("request_for").from("requests").and_where(Expr::col("id").eq(c.id)))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(subject, format!("Quote walrus{i}q"));
        assert_eq!(found(&app.db, ItemKind::Request, &format!("walrus{i}q")).await, vec![c.id]);
    }
    // Every request's change was published, after its commit.
    let mut seen = std::collections::HashSet::new();
    while seen.len() < n {
        let e =
            tokio::time::timeout(std::time::Duration::from_secs(5), events.recv()).await.expect("an event").unwrap();
        if let ferrocrm::events::DomainEvent::Changed {
            topic: ferrocrm::events::Topic::Item(ItemKind::Request),
            id,
            ..
        } = &*e
        {
            seen.insert(*id);
        }
    }
    assert!(created.iter().all(|c| seen.contains(&c.id)));
}

/// A batch reads the cities it names once (`create::Lookups`); a city made by a submission that
/// is then rolled back is gone with it, so the next submission naming it must not be given its id.
#[tokio::test]
async fn a_city_made_by_a_submission_that_failed_is_not_given_to_the_next_of_its_batch() {
    let app = spawn_app().await;
    let source = lead_source(&app).await;
    fail_on_boom(&app.db).await;
    let mut failing = submission(source, 1, "boom");
    failing.city = "Zyxburg".into();
    let mut next = submission(source, 2, "Quote zyxburg");
    next.city = "Zyxburg".into();
    let results = write_batch(&app.state, vec![failing, next]).await;
    assert!(results[0].is_err(), "the first fails after its city was made");
    let stored = results[1].as_ref().expect("the second is stored");
    let city: Option<i64> = app
        .db
        .scalar(Query::select().column("city_id").from("requests").and_where(Expr::col("id").eq(stored.id)))
        .await
        .unwrap()
        .flatten();
    let city = city.expect("the request has its city");
    let name: Option<String> =
        app.db.scalar(Query::select().column("name").from("cities").and_where(Expr::col("id").eq(city))).await.unwrap();
    assert_eq!(name.as_deref(), Some("Zyxburg"), "the city the request points to exists");
}
