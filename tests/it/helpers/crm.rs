//! Sales CRM rows for tests, written straight into the tables: companies, contacts, leads, deals,
//! payments and products in several departments, owned by different users, some with co-owners and
//! some with nobody. (Access tests need rows in every arrangement, not realistic data: the seed
//! makes that.)

use sea_query::{Expr, ExprTrait, Query, SimpleExpr};

use super::TestApp;

/// What `spread` made, by kind: (kind slug, id).
#[derive(Debug, Default)]
pub struct Made {
    pub rows: Vec<(&'static str, i64)>,
}

async fn insert(app: &TestApp, table: &str, cols: &[&str], values: Vec<SimpleExpr>) -> i64 {
    let mut q = Query::insert();
    q.into_table(sea_query::Alias::new(table))
        .columns(cols.iter().map(|c| sea_query::Alias::new(*c)))
        .values_panic(values)
        .returning_col(sea_query::Alias::new("id"));
    let mut tx = app.db.begin().await.unwrap();
    let id: i64 = tx.scalar(&q).await.unwrap().expect("id");
    tx.commit().await.unwrap();
    id
}

async fn first_id(app: &TestApp, table: &str, department: Option<i64>) -> i64 {
    let mut q = Query::select();
    q.column("id").from(sea_query::Alias::new(table)).limit(1);
    if let Some(d) = department {
        q.and_where(Expr::col("department_id").eq(d));
    }
    app.db.scalar(&q).await.unwrap().expect(table)
}

/// The id of department `name`, made when missing (with its CRM dictionaries).
pub async fn department(app: &TestApp, name: &str) -> i64 {
    let mut tx = app.db.begin().await.unwrap();
    let actor = ferrocrm::history::Actor::system("test");
    let id = ferrocrm::users::repo::department_by_name_or_create(&mut tx, name, &actor).await.unwrap();
    tx.commit().await.unwrap();
    id
}

/// For each department and each owner (`None`: nobody), one company with a contact, a lead, a deal
/// (co-owned by `co_owner` when given) with a payment, and a product.
pub async fn spread(app: &TestApp, departments: &[i64], owners: &[Option<i64>], co_owner: Option<i64>) -> Made {
    let now = ferrocrm::db::now();
    let today = chrono::Utc::now().date_naive();
    let currency = first_id(app, "currencies", None).await;
    let mut made = Made::default();
    // Names, tokens and tickets stay unique across calls.
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);
    for &d in departments {
        // The department's default stage, where a new deal starts.
        let stage: i64 = app
            .db
            .scalar(
                Query::select()
                    .column("id")
                    .from("deal_stages")
                    .and_where(Expr::col("department_id").eq(d))
                    .and_where(Expr::col("is_default").eq(true)),
            )
            .await
            .unwrap()
            .expect("a default stage");
        for &owner in owners {
            let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let name = format!("Company {n}");
            let scoped = |extra: Vec<SimpleExpr>| {
                let mut v = extra;
                v.extend([d.into(), owner.into(), now.into(), now.into()]);
                v
            };
            let company = insert(
                app,
                "companies",
                &["full_name", "name_key", "email", "token", "department_id", "owner_id", "created_at", "updated_at"],
                scoped(vec![
                    name.clone().into(),
                    ferrocrm::text::match_key(&name).into(),
                    format!("c{n}@example.com").into(),
                    format!("tok-company-{n}").into(),
                ]),
            )
            .await;
            made.rows.push(("company", company));
            let person_cols = [
                "first_name",
                "last_name",
                "first_name_key",
                "last_name_key",
                "email",
                "token",
                "department_id",
                "owner_id",
                "created_at",
                "updated_at",
            ];
            let person = |who: &str| {
                vec![
                    format!("{who}{n}").into(),
                    "Tester".into(),
                    ferrocrm::text::fold(&format!("{who}{n}")).into(),
                    "tester".into(),
                    format!("{who}{n}@example.com").into(),
                    format!("tok-{who}-{n}").into(),
                ]
            };
            let mut cols = vec!["company_id"];
            cols.extend(person_cols);
            let mut values: Vec<SimpleExpr> = vec![company.into()];
            values.extend(scoped(person("Contact")));
            let contact = insert(app, "contacts", &cols, values).await;
            made.rows.push(("contact", contact));
            let lead = insert(app, "leads", &person_cols, scoped(person("Lead"))).await;
            made.rows.push(("lead", lead));
            let deal = insert(
                app,
                "deals",
                &[
                    "name",
                    "next_step",
                    "next_step_date",
                    "stage_id",
                    "ticket",
                    "company_id",
                    "contact_id",
                    "co_owner_id",
                    "department_id",
                    "owner_id",
                    "created_at",
                    "updated_at",
                ],
                scoped(vec![
                    format!("Deal {n}").into(),
                    "Call".into(),
                    today.into(),
                    stage.into(),
                    format!("T{n:06}").into(),
                    company.into(),
                    contact.into(),
                    co_owner.into(),
                ]),
            )
            .await;
            made.rows.push(("deal", deal));
            let payment = insert(
                app,
                "payments",
                &["deal_id", "amount_cents", "currency_id", "payment_date", "created_at", "updated_at"],
                vec![deal.into(), 10_000i64.into(), currency.into(), today.into(), now.into(), now.into()],
            )
            .await;
            made.rows.push(("payment", payment));
            let product = insert(
                app,
                "products",
                &["name", "department_id", "owner_id", "created_at", "updated_at"],
                scoped(vec![format!("Product {n}").into()]),
            )
            .await;
            made.rows.push(("product", product));
            let request = insert(
                app,
                "requests",
                &[
                    "request_for",
                    "first_name",
                    "receipt_date",
                    "ticket",
                    "company_id",
                    "co_owner_id",
                    "department_id",
                    "owner_id",
                    "created_at",
                    "updated_at",
                ],
                scoped(vec![
                    format!("Request {n}").into(),
                    "Requester".into(),
                    today.into(),
                    format!("Q{n:06}").into(),
                    company.into(),
                    co_owner.into(),
                ]),
            )
            .await;
            made.rows.push(("request", request));
            // An email of the department's (linked to nothing: pages' letter blocks stay the tests').
            let email = insert(
                app,
                "crm_emails",
                &["subject", "to", "incoming", "department_id", "owner_id", "created_at", "updated_at"],
                scoped(vec![format!("Email {n}").into(), "client@example.com".into(), true.into()]),
            )
            .await;
            made.rows.push(("email", email));
        }
    }
    // Rows written straight into the tables are a bulk load: the search index is built again.
    ferrocrm::crm::search::rebuild(&app.db).await.unwrap();
    made
}
