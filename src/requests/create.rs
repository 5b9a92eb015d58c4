//! §6.3 "Creation": an incoming request from a web form (the server-to-server POST, the hosted or
//! embedded form), with everything it brings, in one transaction.

use std::collections::HashMap;

use sea_query::{Expr, ExprTrait, Order, Query, SimpleExpr};

use super::model::Inquiry;
use super::{cities, matching, names};
use crate::app::AppState;
use crate::db::{self, Tx};
use crate::error::{AppError, AppResult};
use crate::events::DomainEvent;
use crate::history::{self, Actor, Change, Diff};

#[derive(Clone, Debug, Default)]
pub struct Submission {
    pub name: String,
    pub email: String,
    pub subject: String,
    pub phone: String,
    pub company: String,
    pub message: String,
    pub website: String,
    /// Posted or geolocated country and city names (may be empty).
    pub country: String,
    pub city: String,
    pub lead_source_id: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Created {
    pub id: i64,
    pub ticket: String,
    /// The inbound email record that came with it.
    pub email_id: i64,
}

/// Text cut to a column's width (characters), trimmed.
fn fit(s: &str, max: usize) -> String {
    s.trim().chars().take(max).collect::<String>().trim_end().to_string()
}

/// Where the inquiry email is addressed: the lead source's published address, else the first
/// active operator of the department, else nobody (the original crashed without an operator,
/// inventory §20.4).
async fn to_address(tx: &mut Tx, source_email: &str, department: i64) -> Result<String, sqlx::Error> {
    if !source_email.trim().is_empty() {
        return Ok(source_email.trim().to_string());
    }
    let operator: Option<String> = tx
        .scalar(
            Query::select()
                .column(("users", "email"))
                .from("users")
                .inner_join("user_roles", Expr::col(("user_roles", "user_id")).equals(("users", "id")))
                .and_where(Expr::col(("user_roles", "role")).eq(crate::access::Role::Operator.slug()))
                .and_where(Expr::col(("users", "department_id")).eq(department))
                .and_where(Expr::col(("users", "is_active")).eq(true))
                .and_where(Expr::col(("users", "email")).ne(""))
                .order_by(("users", "id"), Order::Asc)
                .limit(1),
        )
        .await?;
    Ok(operator.unwrap_or_default())
}

/// The inquiry email's text: who wrote, how to reach them, what they asked.
fn email_body(s: &Submission) -> String {
    format!(
        "From: {}\nPhone: {}\nEmail: {}\nCompany name: {}\nMessage: {}\n",
        s.name.trim(),
        s.phone.trim(),
        s.email.trim(),
        s.company.trim(),
        s.message.trim()
    )
}

/// What a batch's submissions look up alike, read once a batch (`intake::writer`): their lead
/// source's department and address, the department's default country, where the inquiry email
/// goes, the countries and cities named. The writer clears it when a submission is rolled back: a
/// city that submission created is gone with it.
#[derive(Default)]
pub(crate) struct Lookups {
    sources: HashMap<i64, Source>,
    /// Departments' default countries.
    departments: HashMap<i64, Option<i64>>,
    countries: HashMap<String, Option<i64>>,
    cities: HashMap<(i64, String), Option<i64>>,
}

#[derive(Clone)]
struct Source {
    department: i64,
    /// The inquiry email's To (`to_address`).
    to: String,
}

impl Lookups {
    async fn source(&mut self, tx: &mut Tx, id: i64) -> AppResult<Source> {
        if let Some(s) = self.sources.get(&id) {
            return Ok(s.clone());
        }
        let row: Option<(i64, String, Option<i64>)> = tx
            .fetch_optional(
                Query::select()
                    .column(("lead_sources", "department_id"))
                    .column(("lead_sources", "email"))
                    .column(("departments", "default_country_id"))
                    .from("lead_sources")
                    .inner_join(
                        "departments",
                        Expr::col(("departments", "id")).equals(("lead_sources", "department_id")),
                    )
                    .and_where(Expr::col(("lead_sources", "id")).eq(id)),
            )
            .await?;
        let (department, email, default_country) = row.ok_or(AppError::NotFound)?;
        let to = to_address(tx, &email, department).await?;
        let s = Source { department, to };
        self.sources.insert(id, s.clone());
        self.departments.insert(department, default_country);
        Ok(s)
    }

    async fn default_country(&mut self, tx: &mut Tx, department: i64) -> Result<Option<i64>, sqlx::Error> {
        if let Some(c) = self.departments.get(&department) {
            return Ok(*c);
        }
        let found: Option<i64> = tx
            .scalar(
                Query::select()
                    .column("default_country_id")
                    .from("departments")
                    .and_where(Expr::col("id").eq(department)),
            )
            .await?
            .flatten();
        self.departments.insert(department, found);
        Ok(found)
    }

    async fn country(&mut self, tx: &mut Tx, name: &str) -> Result<Option<i64>, sqlx::Error> {
        if let Some(c) = self.countries.get(name) {
            return Ok(*c);
        }
        let found = cities::country_by_name(tx, name).await?;
        if found.is_none() && !name.trim().is_empty() {
            // The original emailed the administrators ("Country name error.") for each one.
            // Debug formatting: a line break typed in the field cannot forge a log line.
            tracing::warn!(country = ?fit(name, 40), "a request names a country the CRM does not know");
        }
        self.countries.insert(name.to_string(), found);
        Ok(found)
    }

    async fn city(&mut self, tx: &mut Tx, country: i64, name: &str) -> Result<Option<i64>, sqlx::Error> {
        let key = (country, name.to_string());
        if let Some(c) = self.cities.get(&key) {
            return Ok(*c);
        }
        let found = cities::resolve_city(tx, country, name).await?;
        self.cities.insert(key, found);
        Ok(found)
    }
}

/// Where a request comes from besides what the person wrote: the web form's lead source, or a
/// mailbox (§7.3 "Import request from": the account owner's department and ownership).
pub(crate) struct Origin {
    pub department_id: i64,
    pub lead_source_id: Option<i64>,
    /// An owner set beforehand (a mailbox's owner); otherwise the matched counterparty's.
    pub owner_id: Option<i64>,
    pub receipt_date: chrono::NaiveDate,
    pub subsequent: bool,
    /// History's actor and the words after "Created the request X " ("from the web form").
    pub actor: Actor,
    pub how: &'static str,
}

/// The request `write_request` made.
pub(crate) struct Written {
    pub id: i64,
    pub ticket: String,
    pub subject: String,
    /// Its counterparty and people, as matching left them.
    pub found: Inquiry,
    pub notified: Vec<i64>,
}

/// A stored submission: the request, its department (whose lists hear of it) and whom it notified.
pub(crate) struct Stored {
    pub created: Created,
    pub department: i64,
    pub notified: Vec<i64>,
}

/// Everything of `create_incoming` inside `tx`. The request and its email are written without
/// their search index rows (`search_pending`).
pub(crate) async fn create_in(tx: &mut Tx, state: &AppState, s: &Submission, known: &mut Lookups) -> AppResult<Stored> {
    let Source { department, to } = known.source(tx, s.lead_source_id).await?;
    let origin = Origin {
        department_id: department,
        lead_source_id: Some(s.lead_source_id),
        owner_id: None,
        receipt_date: chrono::Utc::now().date_naive(),
        subsequent: false,
        actor: Actor::system("Web form"),
        how: "from the web form",
    };
    let w = write_request(tx, state, s, &origin, known).await?;
    let (id, ticket, r) = (w.id, w.ticket.clone(), &w.found);
    let now = db::now();

    // The inbound email that started it (§6.3), in the request's thread (same ticket), owned as it is.
    let email: Vec<(&str, SimpleExpr)> = vec![
        ("subject", w.subject.clone().into()),
        ("content", email_body(s).into()),
        ("is_html", false.into()),
        ("from_field", r.email.clone().into()),
        ("to", to.into()),
        ("incoming", true.into()),
        ("inquiry", true.into()),
        ("search_pending", true.into()),
        ("ticket", ticket.clone().into()),
        ("request_id", id.into()),
        ("contact_id", r.contact_id.into()),
        ("company_id", r.company_id.into()),
        ("lead_id", r.lead_id.into()),
        ("department_id", department.into()),
        ("owner_id", r.owner_id.into()),
        ("created_at", now.into()),
        ("updated_at", now.into()),
    ];
    let mut q = Query::insert();
    q.into_table("crm_emails")
        .columns(email.iter().map(|(c, _)| *c))
        .values_panic(email.into_iter().map(|(_, v)| v))
        .returning_col("id");
    let email_id = tx.insert_id(&q).await?;
    Ok(Stored { created: Created { id, ticket, email_id }, department, notified: w.notified })
}

/// The request itself (§6.3): names parsed, matched (§6.4), country and city, a new ticket, its
/// history line, and the notices to a found owner and co-owner (§4.2). Shared by the web form and
/// the mailbox import (`mail_import::inquiry`), which each add their inquiry email. `known` holds
/// what earlier submissions of the same batch looked up (a fresh one outside the writer).
pub(crate) async fn write_request(
    tx: &mut Tx,
    state: &AppState,
    s: &Submission,
    o: &Origin,
    known: &mut Lookups,
) -> AppResult<Written> {
    let department = o.department_id;
    let default_country = known.default_country(tx, department).await?;

    let name = names::parse_full_name(&s.name);
    let posted_country = known.country(tx, &s.country).await?;
    let mut r = Inquiry {
        first_name: name.first,
        middle_name: name.middle,
        last_name: name.last,
        email: fit(&s.email, 250),
        phone: fit(&s.phone, 200),
        website: fit(&s.website, 200),
        company_name: fit(&s.company, 200),
        country_id: posted_country,
        city_name: fit(&cities::clean_city_name(&s.city), 50),
        department_id: department,
        owner_id: o.owner_id,
        ..Inquiry::default()
    };
    // Matching first: a country posted or geolocated wins, then the found counterparty's (copied by
    // update_request_data when the request has none), then the department's default.
    matching::auto_link(tx, &mut r).await?;
    if r.country_id.is_none() {
        r.country_id = default_country;
    }
    if let Some(country) = r.country_id
        && !r.city_name.is_empty()
        && !s.city.trim().is_empty()
    {
        r.city_id = known.city(tx, country, &r.city_name).await?;
    }

    let ticket = crate::crm::deal::new_ticket();
    let now = db::now();
    let subject = fit(&s.subject, 250);
    let request: Vec<(&str, SimpleExpr)> = vec![
        ("request_for", subject.clone().into()),
        ("first_name", r.first_name.clone().into()),
        ("middle_name", r.middle_name.clone().into()),
        ("last_name", r.last_name.clone().into()),
        ("email", r.email.clone().into()),
        ("phone", r.phone.clone().into()),
        ("website", r.website.clone().into()),
        ("company_name", r.company_name.clone().into()),
        ("lead_source_id", o.lead_source_id.into()),
        ("receipt_date", o.receipt_date.into()),
        ("lead_id", r.lead_id.into()),
        ("contact_id", r.contact_id.into()),
        ("company_id", r.company_id.into()),
        ("country_id", r.country_id.into()),
        ("city_id", r.city_id.into()),
        ("city_name", r.city_name.clone().into()),
        ("description", s.message.trim().to_string().into()),
        ("pending", true.into()),
        ("subsequent", o.subsequent.into()),
        // Indexed by the intake's writer when it is idle; searchable meanwhile (`crm::search`).
        ("search_pending", true.into()),
        ("verification_required", r.verification_required.into()),
        ("ticket", ticket.clone().into()),
        ("co_owner_id", r.co_owner_id.into()),
        ("department_id", department.into()),
        ("owner_id", r.owner_id.into()),
        ("created_at", now.into()),
        ("updated_at", now.into()),
    ];
    let mut q = Query::insert();
    q.into_table("requests")
        .columns(request.iter().map(|(c, _)| *c))
        .values_panic(request.into_iter().map(|(_, v)| v))
        .returning_col("id");
    let id = tx.insert_id(&q).await?;
    let summary = format!("Created the request {subject} {} (ticket {ticket})", o.how);
    history::record(tx, &o.actor, "request", id, Change::Create, &summary, &Diff::default()).await?;

    // §4.2: a request whose owner was found (a matched counterparty's, a mailbox's) notifies its
    // owner and co-owner, but never the person who made it.
    let url = format!("/requests/{id}");
    let mut notified = Vec::new();
    let people = [(r.owner_id, "You received the request"), (r.co_owner_id, "You are the co-owner of the request")];
    for (user, what) in people {
        let Some(user) = user else { continue };
        if notified.contains(&user) || o.actor.id == Some(user) {
            continue;
        }
        let title = format!("{what} “{subject}”");
        let body = format!("From {} <{}>, ticket {ticket}.", s.name.trim(), r.email);
        let n = crate::notifications::Notice {
            user_id: user,
            title: &title,
            body: &body,
            url: &url,
            object: Some(("request", id)),
        };
        crate::notifications::send(tx, &state.config, &n).await?;
        notified.push(user);
    }
    Ok(Written { id, ticket, subject, found: r, notified })
}

/// §6.3 "Creation": ticket, inbound email record, request (names parsed, department = lead source's, country =
/// department default then the named one, city resolved), auto_link, notifications to a found owner (§4.2),
/// live event. Validation of the fields (§6.2) is the caller's (C's form); this trusts lengths but never panics.
/// Written by the intake's writer with the submissions that arrive with it (`intake::writer`), both
/// searchable at once; answers after the commit.
pub async fn create_incoming(state: &AppState, s: Submission) -> AppResult<Created> {
    state.intake.writer().submit(state, s).await
}

/// After the commit: the open requests lists and counters of the department (`kind_changed`, as
/// every CRM row) and the bells of whom it notified.
pub(crate) fn announce(state: &AppState, stored: &Stored) {
    let kind = crate::access::ItemKind::Request;
    crate::items::publish_crm_changed(&state.bus, kind, stored.created.id, stored.department);
    for user_id in &stored.notified {
        state.bus.publish(DomainEvent::Notice { user_id: *user_id });
    }
}
