//! Companies (§2.2 Company + BaseCounterparty): the fields a user edits, in form order.

use super::fields::{Field, Input, ManyTo, RefTo};
use super::record::Val;
use super::repo::{Record, Spec};
use crate::access::ItemKind;

pub static FIELDS: [Field; 20] = [
    Field::new("full_name", "Company name", Input::Text { max: 200 }).required(),
    Field::new("email", "Email", Input::Emails { max: 200 })
        .required()
        .help("Several addresses may be given, separated by commas."),
    Field::new("alternative_names", "Alternative names", Input::LongText)
        .help("Other names the company is known by, separated by commas (matched when requests come in)."),
    Field::new("website", "Website", Input::Url { max: 200 }),
    Field::new("phone", "Phone", Input::Text { max: 100 }),
    Field::new("registration_number", "Registration number", Input::Text { max: 30 }),
    Field::new("type_id", "Type of company", Input::Ref(RefTo::Dictionary("client_types"))),
    Field::new(
        "industries",
        "Industries",
        Input::Many(ManyTo::Industries { link: "company_industries", key: "company_id" }),
    ),
    Field::new("country_id", "Country", Input::Ref(RefTo::Global("countries"))),
    Field::new("city_id", "City", Input::Ref(RefTo::Global("cities"))),
    Field::new("city_name", "City name", Input::Text { max: 50 }).help("When the city is not in the list."),
    Field::new("region", "Region / State", Input::Text { max: 100 }),
    Field::new("district", "District / County", Input::Text { max: 100 }),
    Field::new("address", "Address", Input::Text { max: 200 }),
    Field::new("lead_source_id", "Lead source", Input::Ref(RefTo::Dictionary("lead_sources"))),
    Field::new("was_in_touch", "Last contact date", Input::Date),
    Field::new("massmail", "Mailing list recipient", Input::Flag).default("on"),
    Field::new("disqualified", "Disqualified", Input::Flag),
    Field::new("description", "Description", Input::LongText),
    super::many::TAGS,
];

fn name_key(spec: &Spec, r: &Record) -> Val {
    Val::Text(crate::text::match_key(r.get(spec, "full_name").text()))
}

pub static SPEC: Spec = Spec {
    kind: ItemKind::Company,
    fields: &FIELDS,
    title: &["full_name"],
    derived: &[("name_key", name_key)],
    list: &["type_id", "email", "phone", "country_id"],
    // §10: name, website, phone, city, address, email, description, registration number,
    // alternative names.
    search: &[
        "full_name",
        "website",
        "phone",
        "city_name",
        "address",
        "email",
        "description",
        "registration_number",
        "alternative_names",
    ],
    // §9.1 COMPANY_COLUMNS.
    export: &[
        "full_name",
        "website",
        "phone",
        "city_name",
        "address",
        "email",
        "description",
        "lead_source",
        "was_in_touch",
        "country",
        "owner",
        "type",
        "industry",
        "department",
        "disqualified",
        "massmail",
    ],
    inherit: None,
    token: true,
    owned: true,
    rules: None,
    chief_fields: None,
    after_save: Some(super::transfer::company_after_save),
    owner_note: "Owner will also be changed for contact persons.",
};
