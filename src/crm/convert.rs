//! Lead conversion (§13.4): a lead becomes a company (the one it names, an existing one with its
//! exact name, or a new one built from its company fields), a contact person of that company
//! (chosen, matched by name and email or phone, or new) and a deal (its deals re-pointed, or a new
//! one). Everything in one transaction, with history on each object; the lead's chat, files and
//! reminders go to the contact person; the lead is deleted.

use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use sea_query::{Expr, ExprTrait, Query};
use serde::Deserialize;

use super::deal::{self, Dicts};
use super::fields::Input;
use super::record::Val;
use super::repo::{self, Record, Spec};
use super::{company, person};
use crate::access::{Action, ItemKind, Viewer};
use crate::app::AppState;
use crate::db::{Db, Tx};
use crate::error::{AppError, AppResult, FormErrors};
use crate::history::Actor;
use crate::htmx::{self, HxRequest};
use crate::items;
use crate::views;
use crate::views::layout::Nav;
use crate::web::{self, Form};

/// Where each part of the lead goes.
#[derive(Clone, Debug)]
pub enum Target {
    Existing(i64, String),
    New(String),
}

#[derive(Clone, Debug)]
pub struct Plan {
    pub company: Target,
    pub contact: Target,
    /// The lead's deals, re-pointed to the contact and company (none: a new deal is made).
    pub deals: Vec<(i64, String)>,
}

/// The new deal's fields (when the lead has none).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct DealForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub next_step: String,
    #[serde(default)]
    pub next_step_date: String,
}

fn text<'a>(r: &'a Record, col: &str) -> &'a str {
    r.get(&person::LEAD, col).text()
}

async fn ids(db: &Db, q: &sea_query::SelectStatement) -> Result<Vec<(i64, String)>, sqlx::Error> {
    db.fetch_all(q).await
}

/// What converting `lead` would do, or why it cannot yet.
pub async fn plan(db: &Db, lead: &Record) -> AppResult<Result<Plan, FormErrors>> {
    let l = &person::LEAD;
    // §6.5: the contact person gets the lead's name as a save would write it (a lead saved before,
    // or imported, may hold "mr.Pablo"; one that is only an honorific is refused).
    let mut tidied = lead.clone();
    if let Err(errs) = person::tidy_names(l, &mut tidied) {
        return Ok(Err(errs));
    }
    let lead = &tidied;
    let mut errs = FormErrors::default();
    let chosen_company = lead.get(l, "company_id").int();
    let chosen_contact = lead.get(l, "contact_id").int();
    if chosen_company.is_none() && chosen_contact.is_none() {
        for col in ["first_name", "email", "company_name", "company_email"] {
            if text(lead, col).trim().is_empty() {
                errs.add(col, "To convert, please fill in this field on the lead.");
            }
        }
    }
    if !errs.is_empty() {
        return Ok(Err(errs));
    }
    let contact_row = match chosen_contact {
        Some(c) => repo::get(db, &person::CONTACT, c).await?,
        None => None,
    };
    let company = match (contact_row.as_ref().and_then(|c| c.get(&person::CONTACT, "company_id").int()), chosen_company)
    {
        (Some(id), _) | (None, Some(id)) => {
            Target::Existing(id, items::title(db, ItemKind::Company, id).await?.unwrap_or_default())
        }
        (None, None) => {
            let name = text(lead, "company_name").trim().to_string();
            let same = ids(
                db,
                Query::select()
                    .column("id")
                    .column("full_name")
                    .from("companies")
                    .and_where(Expr::col("department_id").eq(lead.department_id))
                    .and_where(Expr::col("full_name").eq(name.as_str()))
                    .limit(2),
            )
            .await?;
            match same.as_slice() {
                [] => Target::New(name),
                [(id, n)] => Target::Existing(*id, n.clone()),
                _ => {
                    errs.add("company_name", format!("Found multiple companies '{name}' in the database."));
                    return Ok(Err(errs));
                }
            }
        }
    };
    let contact = match (&contact_row, &company) {
        (Some(c), _) => Target::Existing(c.id, person::CONTACT.title_of(c)),
        (None, Target::Existing(company_id, _)) => {
            let first = crate::text::fold(text(lead, "first_name"));
            let last = crate::text::fold(text(lead, "last_name"));
            let email = text(lead, "email").trim().to_lowercase();
            let phone = text(lead, "phone").trim().to_string();
            let candidates: Vec<(i64, String, String, String, String, String)> = db
                .fetch_all(
                    Query::select()
                        .columns(["id", "email", "secondary_email", "phone", "other_phone", "mobile"])
                        .from("contacts")
                        .and_where(Expr::col("company_id").eq(*company_id))
                        .and_where(Expr::col("first_name_key").eq(first.as_str()))
                        .and_where(Expr::col("last_name_key").eq(last.as_str())),
                )
                .await?;
            let same: Vec<i64> = candidates
                .into_iter()
                .filter(|(_, e, e2, p, p2, m)| {
                    let mails = format!("{e},{e2}").to_lowercase();
                    (!email.is_empty() && mails.split(',').any(|x| x.trim() == email))
                        || (!phone.is_empty() && [p, p2, m].iter().any(|x| x.trim() == phone))
                })
                .map(|c| c.0)
                .collect();
            match same.as_slice() {
                [] => Target::New(person::LEAD.title_of(lead)),
                [id] => Target::Existing(*id, items::title(db, ItemKind::Contact, *id).await?.unwrap_or_default()),
                _ => {
                    errs.add("first_name", "Error! Found multiple contact persons with this name in the company.");
                    return Ok(Err(errs));
                }
            }
        }
        (None, Target::New(_)) => Target::New(person::LEAD.title_of(lead)),
    };
    let deals =
        ids(db, Query::select().column("id").column("name").from("deals").and_where(Expr::col("lead_id").eq(lead.id)))
            .await?;
    Ok(Ok(Plan { company, contact, deals }))
}

/// A new row of `to` with the lead's values of the same columns (`map` renames: (to, from)).
fn copy(lead: &Record, to: &'static Spec, map: &[(&str, &str)]) -> Record {
    let mut r = Record::blank(to, lead.department_id, lead.owner_id);
    for f in to.fields {
        let from = map.iter().find(|(t, _)| *t == f.col).map_or(f.col, |(_, s)| *s);
        if person::LEAD.field(from).is_some_and(|lf| lf.input.ty() == f.input.ty() && lf.input != Input::Stamp) {
            r.set(to, f.col, lead.get(&person::LEAD, from).clone());
        }
    }
    r
}

fn page_cx_nav() -> Nav {
    Nav::Crm(ItemKind::Lead)
}

async fn names(db: &Db, spec: &Spec, r: &Record) -> AppResult<repo::Names> {
    Ok(super::choices::names(db, spec, &[r]).await?)
}

/// Re-points what belongs to the lead (chat, files, reminders) to the contact person.
async fn move_shared(tx: &mut Tx, lead: i64, contact: i64) -> Result<(), sqlx::Error> {
    for table in ["chat_messages", "attachments", "reminders"] {
        tx.execute(
            Query::update()
                .table(sea_query::Alias::new(table))
                .values([("object_type", "contact".into()), ("object_id", contact.into())])
                .and_where(Expr::col("object_type").eq("lead"))
                .and_where(Expr::col("object_id").eq(lead)),
        )
        .await?;
    }
    Ok(())
}

fn default_deal(lead: &Record) -> DealForm {
    let company = text(lead, "company_name").trim();
    let who = person::LEAD.title_of(lead);
    DealForm {
        name: if company.is_empty() { who } else { format!("{company}: {who}") },
        next_step: "Contact the client".into(),
        next_step_date: (crate::time::today() + chrono::Days::new(1)).to_string(),
    }
}

/// `GET /leads/:id/convert`: what will happen, and the new deal's fields.
#[handler]
pub async fn page(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, Path(id): Path<i64>) -> AppResult<Response> {
    let it = items::load(&state.db, &viewer, ItemKind::Lead, id, Action::Edit).await?;
    let lead = repo::get(&state.db, &person::LEAD, id).await?.ok_or(AppError::NotFound)?;
    let plan = plan(&state.db, &lead).await?;
    let cx = web::page_cx(&state, &viewer, page_cx_nav(), hx).await?;
    let f = default_deal(&lead);
    Ok(views::crm::convert_page(&cx, &it, &plan, &f, &FormErrors::default()).into_response())
}

/// `POST /leads/:id/convert`.
#[handler]
pub async fn convert(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
    Form(f): Form<DealForm>,
) -> AppResult<Response> {
    let it = items::load(&state.db, &viewer, ItemKind::Lead, id, Action::Edit).await?;
    let lead = repo::get(&state.db, &person::LEAD, id).await?.ok_or(AppError::NotFound)?;
    let plan = match plan(&state.db, &lead).await? {
        Ok(p) => p,
        Err(errs) => {
            let cx = web::page_cx(&state, &viewer, page_cx_nav(), hx).await?;
            return Ok(web::invalid(views::crm::convert_page(&cx, &it, &Err(errs.clone()), &f, &errs)));
        }
    };
    let actor = Actor::from(&viewer);
    // The new deal, checked before anything is written.
    let mut new_deal = None;
    if plan.deals.is_empty() {
        let mut d = Record::blank(&deal::SPEC, lead.department_id, lead.owner_id.or(Some(viewer.id)));
        let mut errs = FormErrors::default();
        for (col, raw) in [("name", &f.name), ("next_step", &f.next_step), ("next_step_date", &f.next_step_date)] {
            match deal::SPEC.field(col).map(|fd| fd.parse(raw)) {
                Some(Ok(v)) => d.set(&deal::SPEC, col, v),
                Some(Err(m)) => errs.add(col, m),
                None => {}
            }
        }
        let dicts = Dicts::load(&state.db, lead.department_id).await?;
        let who = deal::Save {
            user_id: viewer.id,
            username: &viewer.username,
            today: crate::time::today(),
            now: crate::db::now(),
        };
        if errs.is_empty() {
            deal::apply(&dicts, &who, None, &mut d, &mut errs);
        }
        if !errs.is_empty() {
            let cx = web::page_cx(&state, &viewer, page_cx_nav(), hx).await?;
            return Ok(web::invalid(views::crm::convert_page(&cx, &it, &Ok(plan), &f, &errs)));
        }
        new_deal = Some(d);
    }
    let token = || -> sea_query::SimpleExpr {
        crate::auth::session::random_token().chars().take(32).collect::<String>().into()
    };

    let carried = super::convert_links::Carried::of(&lead);
    let mut tx = state.db.begin().await?;
    let company_id = match &plan.company {
        Target::Existing(id, _) => {
            super::convert_links::unite(&mut tx, &state.db, &company::SPEC, *id, &carried, &actor, viewer.id).await?;
            *id
        }
        Target::New(_) => {
            let map = [
                ("full_name", "company_name"),
                ("phone", "company_phone"),
                ("address", "company_address"),
                ("email", "company_email"),
            ];
            let c = copy(&lead, &company::SPEC, &map);
            let n = names(&state.db, &company::SPEC, &c).await?;
            match repo::insert(&mut tx, &company::SPEC, &c, &[("token", token())], &actor, &n).await {
                Ok(id) => id,
                Err(e) if crate::db::is_unique_violation(&e) => {
                    return Err(AppError::Conflict(
                        "Error! A new company was not created because a company with the same name already exists in the database."
                            .into(),
                    ));
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    let contact_id = match &plan.contact {
        Target::Existing(id, _) => {
            super::convert_links::unite(&mut tx, &state.db, &person::CONTACT, *id, &carried, &actor, viewer.id).await?;
            *id
        }
        Target::New(_) => {
            let mut c = copy(&lead, &person::CONTACT, &[]);
            c.set(&person::CONTACT, "company_id", Val::Int(company_id));
            // `plan` refused what this would refuse, so only the writing back is left.
            person::tidy_names(&person::CONTACT, &mut c).ok();
            let n = names(&state.db, &person::CONTACT, &c).await?;
            repo::insert(&mut tx, &person::CONTACT, &c, &[("token", token())], &actor, &n).await?
        }
    };
    // The lead's own deals keep their tags and gain the lead's (read before they are re-pointed:
    // `unite` writes the row it read).
    for (deal_id, _) in &plan.deals {
        super::convert_links::unite(&mut tx, &state.db, &deal::SPEC, *deal_id, &carried, &actor, viewer.id).await?;
    }
    for table in ["deals", "requests"] {
        tx.execute(
            Query::update()
                .table(sea_query::Alias::new(table))
                .values([
                    ("contact_id", contact_id.into()),
                    ("company_id", company_id.into()),
                    ("lead_id", Option::<i64>::None.into()),
                ])
                .and_where(Expr::col("lead_id").eq(id)),
        )
        .await?;
    }
    let deal_id = match (&new_deal, plan.deals.first()) {
        (Some(d), _) => {
            let mut d = d.clone();
            d.set(&deal::SPEC, "company_id", Val::Int(company_id));
            d.set(&deal::SPEC, "contact_id", Val::Int(contact_id));
            d.set(&deal::SPEC, "tags", super::fields::ids_val(carried.tags.clone()));
            let n = names(&state.db, &deal::SPEC, &d).await?;
            repo::insert(&mut tx, &deal::SPEC, &d, &[], &actor, &n).await?
        }
        (None, Some((id, _))) => *id,
        (None, None) => return Err(AppError::Conflict("Nothing to convert into.".into())),
    };
    move_shared(&mut tx, id, contact_id).await?;
    let summary = format!("Converted the lead {} into contact person #{contact_id}", it.title);
    crate::history::record(&mut tx, &actor, "lead", id, crate::history::Change::Update, &summary, &Default::default())
        .await?;
    let files = items::remove::delete(&mut tx, &state.db, ItemKind::Lead, id, &actor).await?;
    tx.commit().await?;
    state.files.collect(&state.db, &files).await?;
    items::publish_changed(&state.bus, &it);
    for (kind, oid) in [(ItemKind::Company, company_id), (ItemKind::Contact, contact_id), (ItemKind::Deal, deal_id)] {
        items::publish_changed(&state.bus, &items::load_any(&state.db, kind, oid).await?);
    }
    Ok(htmx::redirect(hx, &items::url(ItemKind::Deal, deal_id)))
}
