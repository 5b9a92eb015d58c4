//! Contact persons and leads (§2.2 BaseContact + BaseCounterparty): the person's fields both share,
//! then each kind's own.

use super::fields::{Field, Input, ManyTo, RefTo};
use super::record::Val;
use super::repo::{Record, Spec};
use crate::access::ItemKind;
use crate::error::FormErrors;
use crate::requests::names::{self, FullName};

pub const SEX: &[(&str, &str)] = &[("M", "Male"), ("F", "Female"), ("O", "Other")];

const FIRST: Field = Field::new("first_name", "First name", Input::Text { max: 100 }).required();
const MIDDLE: Field = Field::new("middle_name", "Middle name", Input::Text { max: 100 });
const LAST: Field = Field::new("last_name", "Last name", Input::Text { max: 100 });
const TITLE: Field = Field::new("title", "Title / Position", Input::Text { max: 100 });
const SEX_FIELD: Field = Field::new("sex", "Sex", Input::Choice(SEX)).default("M");
const BIRTH: Field = Field::new("birth_date", "Date of birth", Input::Date);
const EMAIL: Field = Field::new("email", "Email", Input::Emails { max: 200 })
    .required()
    .help("Several addresses may be given, separated by commas.");
const EMAIL2: Field = Field::new("secondary_email", "Secondary email", Input::Emails { max: 200 });
const PHONE: Field = Field::new("phone", "Phone", Input::Text { max: 100 });
const OTHER_PHONE: Field = Field::new("other_phone", "Other phone", Input::Text { max: 100 });
const MOBILE: Field = Field::new("mobile", "Mobile phone", Input::Text { max: 100 });
const COUNTRY: Field = Field::new("country_id", "Country", Input::Ref(RefTo::Global("countries")));
const CITY: Field = Field::new("city_id", "City", Input::Ref(RefTo::Global("cities")));
const CITY_NAME: Field =
    Field::new("city_name", "City name", Input::Text { max: 50 }).help("When the city is not in the list.");
const REGION: Field = Field::new("region", "Region / State", Input::Text { max: 100 });
const DISTRICT: Field = Field::new("district", "District / County", Input::Text { max: 100 });
const ADDRESS: Field = Field::new("address", "Address", Input::Text { max: 200 });
const SOURCE: Field = Field::new("lead_source_id", "Lead source", Input::Ref(RefTo::Dictionary("lead_sources")));
const IN_TOUCH: Field = Field::new("was_in_touch", "Last contact date", Input::Date);
const MASSMAIL: Field = Field::new("massmail", "Mailing list recipient", Input::Flag).default("on");
const DISQUALIFIED: Field = Field::new("disqualified", "Disqualified", Input::Flag);
const DESCRIPTION: Field = Field::new("description", "Description", Input::LongText);

pub static CONTACT_FIELDS: [Field; 24] = [
    FIRST,
    MIDDLE,
    LAST,
    Field::new("company_id", "Company", Input::Ref(RefTo::Object(ItemKind::Company)))
        .required()
        .help("A contact person belongs to a company, and to its owner and department."),
    TITLE,
    SEX_FIELD,
    BIRTH,
    EMAIL,
    EMAIL2,
    PHONE,
    OTHER_PHONE,
    MOBILE,
    COUNTRY,
    CITY,
    CITY_NAME,
    REGION,
    DISTRICT,
    ADDRESS,
    SOURCE,
    IN_TOUCH,
    MASSMAIL,
    DISQUALIFIED,
    DESCRIPTION,
    super::many::TAGS,
];

pub static LEAD_FIELDS: [Field; 32] = [
    FIRST,
    MIDDLE,
    LAST,
    TITLE,
    SEX_FIELD,
    BIRTH,
    EMAIL,
    EMAIL2,
    PHONE,
    OTHER_PHONE,
    MOBILE,
    Field::new("company_name", "Company name", Input::Text { max: 200 }),
    Field::new("website", "Website", Input::Url { max: 200 }),
    Field::new("company_phone", "Company phone", Input::Text { max: 100 }),
    Field::new("company_email", "Company email", Input::Emails { max: 200 }),
    Field::new("company_address", "Company address", Input::Text { max: 200 }),
    Field::new("type_id", "Type of company", Input::Ref(RefTo::Dictionary("client_types"))),
    Field::new("industries", "Industries", Input::Many(ManyTo::Industries { link: "lead_industries", key: "lead_id" })),
    Field::new("company_id", "Company (existing)", Input::Ref(RefTo::Object(ItemKind::Company))),
    Field::new("contact_id", "Contact person (existing)", Input::Ref(RefTo::Object(ItemKind::Contact))),
    COUNTRY,
    CITY,
    CITY_NAME,
    REGION,
    DISTRICT,
    ADDRESS,
    SOURCE,
    IN_TOUCH,
    MASSMAIL,
    DISQUALIFIED,
    DESCRIPTION,
    super::many::TAGS,
];

fn first_key(spec: &Spec, r: &Record) -> Val {
    Val::Text(crate::text::fold(r.get(spec, "first_name").text()))
}
fn last_key(spec: &Spec, r: &Record) -> Val {
    Val::Text(crate::text::fold(r.get(spec, "last_name").text()))
}

/// §10: name, emails, phones, description, city, address.
const PERSON_SEARCH: [&str; 10] = [
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

pub static CONTACT: Spec = Spec {
    kind: ItemKind::Contact,
    fields: &CONTACT_FIELDS,
    title: &["first_name", "middle_name", "last_name"],
    derived: &[("first_name_key", first_key), ("last_name_key", last_key)],
    list: &["company_id", "email", "phone"],
    search: &PERSON_SEARCH,
    // §9.1 CONTACT_COLUMNS (each once).
    export: &[
        "first_name",
        "last_name",
        "title",
        "sex",
        "birth_date",
        "was_in_touch",
        "phone",
        "other_phone",
        "mobile",
        "email",
        "secondary_email",
        "city_name",
        "address",
        "country",
        "description",
        "owner",
        "company",
        "department",
        "disqualified",
        "massmail",
    ],
    inherit: Some("company_id"),
    token: true,
    owned: true,
    rules: None,
    chief_fields: None,
    after_save: None,
    owner_note: "",
};

pub static LEAD: Spec = Spec {
    kind: ItemKind::Lead,
    fields: &LEAD_FIELDS,
    title: &["first_name", "middle_name", "last_name"],
    derived: &[("first_name_key", first_key), ("last_name_key", last_key)],
    list: &["email", "company_name"],
    search: &[
        "first_name",
        "last_name",
        "email",
        "secondary_email",
        "company_name",
        "description",
        "phone",
        "other_phone",
        "mobile",
        "city_name",
        "address",
    ],
    // §9.1 LEAD_COLUMNS (each once).
    export: &[
        "first_name",
        "last_name",
        "title",
        "sex",
        "birth_date",
        "was_in_touch",
        "email",
        "secondary_email",
        "phone",
        "other_phone",
        "mobile",
        "city_name",
        "country",
        "address",
        "description",
        "lead_source",
        "website",
        "company_phone",
        "company_address",
        "company_email",
        "owner",
        "company_name",
        "department",
        "disqualified",
        "massmail",
    ],
    inherit: None,
    token: true,
    owned: true,
    rules: None,
    chief_fields: None,
    after_save: None,
    owner_note: "",
};

/// §6.5 on every save of a kind with a person's name (contact persons, leads, requests):
/// `requests::names::tidy` over the record's first, middle and last name. Err: the message for
/// the first name ("Invalid value" for a bare honorific). Kinds without a first name: nothing.
pub fn tidy_names(spec: &Spec, r: &mut Record) -> Result<(), FormErrors> {
    if spec.field("first_name").is_none() {
        return Ok(());
    }
    let text = |col: &str| r.get(spec, col).text().to_string();
    let typed = FullName { first: text("first_name"), middle: text("middle_name"), last: text("last_name") };
    match names::tidy(&typed) {
        Ok(n) => {
            for (col, v) in [("first_name", n.first), ("middle_name", n.middle), ("last_name", n.last)] {
                if spec.field(col).is_some() {
                    r.set(spec, col, Val::Text(v));
                }
            }
            Ok(())
        }
        Err(m) => {
            let mut errs = FormErrors::default();
            errs.add("first_name", m);
            Err(errs)
        }
    }
}
