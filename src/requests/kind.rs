//! Requests in the shared object layer (§2.2 Request): the field list the generic repo, forms,
//! history, search and pages walk, the validation of §6.7, what choosing a contact person or lead
//! copies, and what a saved edit carries to the linked lead, deal, contact person and company
//! (owner and department, §6.7 "propagates").

use std::future::Future;
use std::pin::Pin;

use crate::access::ItemKind;
use crate::crm::fields::{Field, Input, ManyTo, RefTo};
use crate::crm::record::Val;
use crate::crm::repo::{self, Record, Spec};
use crate::crm::transfer::{self, Moved, Remap};
use crate::db::{Db, Tx};
use crate::error::FormErrors;
use crate::history::Actor;

use super::model::Inquiry;

/// The products of a request (`request_products`).
pub const PRODUCTS: Field =
    Field::new("products", "Products", Input::Many(ManyTo::Products { link: "request_products", key: "request_id" }));

/// §6.7's form layout: the request, its people and place, then its relations, then what the system
/// keeps.
pub static FIELDS: [Field; 28] = [
    Field::new("request_for", "Subject", Input::Text { max: 250 }).required(),
    Field::new("duplicate", "Duplicate", Input::Flag).help("Duplicate request. The deal will not be created."),
    Field::new("is_case", "Case/Incident", Input::Flag).help("A request that does not involve payment."),
    Field::new("lead_source_id", "Lead source", Input::Ref(RefTo::Dictionary("lead_sources"))),
    Field::new("receipt_date", "Receipt date", Input::Date).required(),
    Field::new("co_owner_id", "Co-owner", Input::Ref(RefTo::User)),
    Field::new("first_name", "First name", Input::Text { max: 100 })
        .help("Not needed when a contact person or lead is chosen below."),
    Field::new("middle_name", "Middle name", Input::Text { max: 100 }),
    Field::new("last_name", "Last name", Input::Text { max: 100 }),
    Field::new("email", "Email", Input::Emails { max: 250 }),
    Field::new("phone", "Phone", Input::Text { max: 200 }).help("With the country code."),
    Field::new("website", "Website", Input::Url { max: 200 }),
    Field::new("company_name", "Company name", Input::Text { max: 200 }),
    Field::new("country_id", "Country", Input::Ref(RefTo::Global("countries"))),
    Field::new("city_name", "City name", Input::Text { max: 50 }),
    Field::new("description", "Description", Input::LongText),
    Field::new("translation", "Translation", Input::LongText),
    Field::new("remark", "Remark", Input::LongText),
    PRODUCTS,
    Field::new("verification_required", "Verification required", Input::Flag)
        .help("Links are set automatically and require verification."),
    Field::new("contact_id", "Contact person", Input::Ref(RefTo::Object(ItemKind::Contact))),
    Field::new("company_id", "Company", Input::Ref(RefTo::Object(ItemKind::Company))),
    Field::new("lead_id", "Lead", Input::Ref(RefTo::Object(ItemKind::Lead))),
    Field::new("deal_id", "Deal", Input::Ref(RefTo::Object(ItemKind::Deal))),
    Field::new("city_id", "City", Input::Ref(RefTo::Global("cities"))).system(),
    Field::new("subsequent", "Subsequent", Input::Flag)
        .system()
        .help("Received from the client with whom you are already cooperating."),
    Field::new("pending", "Pending", Input::Flag).system().default("on"),
    Field::new("ticket", "Ticket", Input::Text { max: 16 }).system(),
];

pub static SPEC: Spec = Spec {
    kind: ItemKind::Request,
    fields: &FIELDS,
    title: &["request_for"],
    derived: &[],
    list: &["first_name", "receipt_date"],
    // §10: subject, first/last name, email, company name, description, translation, phone, ticket.
    search: &[
        "request_for",
        "first_name",
        "last_name",
        "email",
        "company_name",
        "description",
        "translation",
        "phone",
        "ticket",
    ],
    export: &[],
    inherit: None,
    token: false,
    owned: true,
    rules: None,
    chief_fields: None,
    after_save: Some(after_save),
    owner_note: "A manager chosen as owner also gets the linked lead, deal, contact person and company.",
};

pub fn int(r: &Record, col: &str) -> Option<i64> {
    r.get(&SPEC, col).int()
}
pub fn text<'a>(r: &'a Record, col: &str) -> &'a str {
    r.get(&SPEC, col).text()
}
pub fn flag(r: &Record, col: &str) -> bool {
    r.get(&SPEC, col).flag()
}
pub fn set_text(r: &mut Record, col: &str, v: &str) {
    r.set(&SPEC, col, Val::Text(v.to_string()));
}
pub fn set_int(r: &mut Record, col: &str, v: Option<i64>) {
    r.set(&SPEC, col, v.map(Val::Int).unwrap_or(Val::Null));
}
pub fn set_flag(r: &mut Record, col: &str, v: bool) {
    r.set(&SPEC, col, Val::Bool(v));
}

/// What matching reads of a request.
pub fn to_inquiry(r: &Record) -> Inquiry {
    Inquiry {
        first_name: text(r, "first_name").into(),
        middle_name: text(r, "middle_name").into(),
        last_name: text(r, "last_name").into(),
        email: text(r, "email").into(),
        phone: text(r, "phone").into(),
        website: text(r, "website").into(),
        company_name: text(r, "company_name").into(),
        country_id: int(r, "country_id"),
        city_id: int(r, "city_id"),
        city_name: text(r, "city_name").into(),
        contact_id: int(r, "contact_id"),
        lead_id: int(r, "lead_id"),
        company_id: int(r, "company_id"),
        owner_id: r.owner_id,
        co_owner_id: int(r, "co_owner_id"),
        department_id: r.department_id,
        verification_required: flag(r, "verification_required"),
    }
}

/// Takes back what matching filled in.
pub fn from_inquiry(r: &mut Record, i: &Inquiry) {
    for (col, v) in [
        ("first_name", &i.first_name),
        ("middle_name", &i.middle_name),
        ("last_name", &i.last_name),
        ("email", &i.email),
        ("phone", &i.phone),
        ("website", &i.website),
        ("company_name", &i.company_name),
        ("city_name", &i.city_name),
    ] {
        set_text(r, col, v);
    }
    for (col, v) in [
        ("country_id", i.country_id),
        ("city_id", i.city_id),
        ("contact_id", i.contact_id),
        ("lead_id", i.lead_id),
        ("company_id", i.company_id),
        ("co_owner_id", i.co_owner_id),
    ] {
        set_int(r, col, v);
    }
    r.owner_id = i.owner_id;
    set_flag(r, "verification_required", i.verification_required);
}

/// The digits of a phone number.
pub fn digits(s: &str) -> usize {
    s.chars().filter(char::is_ascii_digit).count()
}

/// §6.7's validation of a request as it will be saved (after name parsing, in `crm::checked`): the messages a user
/// reads beside the fields. `contact_company`: the company of the chosen contact person.
pub fn validate(r: &Record, contact_company: Option<i64>, errs: &mut FormErrors) {
    let phone = text(r, "phone");
    if !phone.trim().is_empty() && digits(phone) < 7 {
        errs.add("phone", "Unacceptable phone number value");
    }
    let (contact, company, lead) = (int(r, "contact_id"), int(r, "company_id"), int(r, "lead_id"));
    if contact.is_some() && lead.is_some() {
        errs.add("lead_id", "Choose a contact person or a lead, not both.");
    }
    if company.is_some() && lead.is_some() && errs.get("lead_id").is_none() {
        errs.add("lead_id", "Choose a company or a lead, not both.");
    }
    if let (Some(_), Some(c)) = (contact, company)
        && contact_company != Some(c)
    {
        errs.add("contact_id", "The contact person does not belong to the chosen company.");
    }
    let first = text(r, "first_name");
    // (A bare honorific was refused with the other kinds' names: `crm::person::tidy_names`.)
    if first.trim().is_empty() && contact.is_none() && lead.is_none() {
        errs.add("first_name", "This field is required (or choose a contact person or lead).");
    }
}

/// §6.7: changing the department, or the owner to a sales manager, carries them to the linked lead,
/// deal and contact person (and the contact person's company), in the same transaction, with a
/// history entry on each. (The inquiry email follows too once emails exist: issue 10.)
pub fn after_save<'a>(
    db: &'a Db,
    tx: &'a mut Tx,
    before: &'a Record,
    after: &'a Record,
    actor: &'a Actor,
) -> Pin<Box<dyn Future<Output = Result<Vec<Moved>, sqlx::Error>> + Send + 'a>> {
    Box::pin(async move {
        let department_changed = before.department_id != after.department_id;
        let to_manager = match after.owner_id {
            Some(o) if before.owner_id != after.owner_id => is_manager(tx, o).await?,
            _ => false,
        };
        if !department_changed && !to_manager {
            return Ok(Vec::new());
        }
        propagate(db, tx, after, department_changed, to_manager, actor).await
    })
}

async fn is_manager(tx: &mut Tx, user: i64) -> Result<bool, sqlx::Error> {
    use sea_query::{Expr, ExprTrait, Query};
    let n: Option<i64> = tx
        .scalar(
            Query::select()
                .column("user_id")
                .from("user_roles")
                .and_where(Expr::col("user_id").eq(user))
                .and_where(Expr::col("role").eq(crate::access::Role::SalesManager.slug())),
        )
        .await?;
    Ok(n.is_some())
}

/// Moves the request's lead, deal, contact person and that person's company to the request's
/// department (when `department`) and owner (when `owner`), each with its history entry.
pub async fn propagate(
    db: &Db,
    tx: &mut Tx,
    r: &Record,
    department: bool,
    owner: bool,
    actor: &Actor,
) -> Result<Vec<Moved>, sqlx::Error> {
    use crate::crm::{company, deal, person};
    let new_owner = owner.then_some(r.owner_id);
    let pick = |col: &str| int(r, col).into_iter().collect::<Vec<i64>>();
    let mut out = Vec::new();
    let mut companies: Vec<i64> = Vec::new();
    let targets: [(&'static Spec, Vec<i64>); 3] =
        [(&person::LEAD, pick("lead_id")), (&deal::SPEC, pick("deal_id")), (&person::CONTACT, pick("contact_id"))];
    for (spec, ids) in targets {
        for x in transfer::rows_where(tx, spec, "id", &ids).await? {
            if spec.kind == ItemKind::Contact {
                companies.extend(x.get(spec, "company_id").int());
            }
            // Only the owner moving: "remapped" to the row's own department, which changes nothing.
            let to = Remap::to(db, if department { r.department_id } else { x.department_id }).await?;
            out.extend(transfer::move_rows(db, tx, spec, vec![x], new_owner, &to, actor).await?);
        }
    }
    for x in transfer::rows_where(tx, &company::SPEC, "id", &companies).await? {
        let to = Remap::to(db, if department { r.department_id } else { x.department_id }).await?;
        out.extend(transfer::move_rows(db, tx, &company::SPEC, vec![x], new_owner, &to, actor).await?);
    }
    Ok(out)
}

/// The ids of the request's products.
pub fn products(r: &Record) -> Vec<i64> {
    crate::crm::fields::ids(r.get(&SPEC, "products"))
}

/// Reads a request (with its products).
pub async fn get(db: &Db, id: i64) -> Result<Option<Record>, sqlx::Error> {
    repo::get(db, &SPEC, id).await
}
