//! The dictionaries' descriptors: one `Dict` per dictionary (its table, fields, who manages it
//! and what uses its rows), read by the one list / form / delete path in `super`.

use crate::access::{Action, DictionaryRule, Viewer, can_dictionary};
use crate::crm::record::Ty;
use crate::error::{AppError, AppResult};

/// How a dictionary field is typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DInput {
    Text(usize),
    LongText,
    Email,
    Flag,
    /// The lead source's web-form token: made by the server, shown, never typed.
    Token,
    /// A country (cities).
    Country,
    /// A signed whole percentage, −100…100 (a quality signal's weight).
    Weight,
    /// Web origins (`https://shop.example`), one a line: who may embed a lead source's web form.
    Origins,
}

impl DInput {
    pub(super) fn ty(self) -> Ty {
        match self {
            DInput::Flag => Ty::Bool,
            DInput::Country | DInput::Weight => Ty::Int,
            _ => Ty::Text,
        }
    }
}

/// One field besides the name and the order.
#[derive(Clone, Copy, Debug)]
pub struct DField {
    pub col: &'static str,
    pub label: &'static str,
    pub input: DInput,
    pub help: &'static str,
    /// At most one row of the department has it: setting it clears the others.
    pub exclusive: bool,
    /// The department must keep one row with it (unsetting it is refused).
    pub kept: bool,
}

const fn field(col: &'static str, label: &'static str, input: DInput, help: &'static str) -> DField {
    DField { col, label, input, help, exclusive: false, kept: false }
}

const fn one(col: &'static str, label: &'static str, help: &'static str) -> DField {
    DField { col, label, input: DInput::Flag, help, exclusive: true, kept: false }
}

/// What uses a dictionary's rows: (table, column, what people call those rows).
pub type Use = (&'static str, &'static str, &'static str);

/// A dictionary.
#[derive(Debug)]
pub struct Dict {
    pub slug: &'static str,
    pub table: &'static str,
    pub title: &'static str,
    pub noun: &'static str,
    /// The lower-case plural ("3 deal stages").
    pub plural: &'static str,
    pub about: &'static str,
    pub rule: DictionaryRule,
    /// Cities: no department, a country instead.
    pub global: bool,
    /// Has `index_number` (the order of choices).
    pub ordered: bool,
    /// Has `name_key` (`text::fold(name)`): tags and cities.
    pub keyed: bool,
    /// Has the scoping columns `owner_id`, `modified_by_id`, `created_at`, `updated_at` (tags).
    pub stamped: bool,
    pub name_max: usize,
    pub fields: &'static [DField],
    pub uses: &'static [Use],
}

pub static DICTS: &[Dict] = &[
    Dict {
        slug: "deal-stages",
        table: "deal_stages",
        title: "Deal stages",
        noun: "deal stage",
        plural: "deal stages",
        about: "The stages a deal goes through, in order. A new deal starts at the default stage.",
        rule: DictionaryRule::AdminOnly,
        global: false,
        ordered: true,
        keyed: false,
        stamped: false,
        name_max: 100,
        fields: &[
            DField { kept: true, ..one("is_default", "Default", "A new deal starts here.") },
            one("second_default", "Second default", "Will be selected next after the default stage."),
            one("success_stage", "Success", "The deal closed successfully."),
            field(
                "conditional_success_stage",
                "Conditional success",
                DInput::Flag,
                "For example, receiving the first payment.",
            ),
            one("goods_shipped", "Goods shipped", "A deal moves here when its product is shipped."),
        ],
        uses: &[("deals", "stage_id", "deals")],
    },
    Dict {
        slug: "closing-reasons",
        table: "closing_reasons",
        title: "Closing reasons",
        noun: "closing reason",
        plural: "closing reasons",
        about: "Why a deal was closed. The success reason marks the successful deals.",
        rule: DictionaryRule::SalesStaff,
        global: false,
        ordered: true,
        keyed: false,
        stamped: false,
        name_max: 100,
        fields: &[one("success_reason", "Success reason", "The deal was closed successfully.")],
        uses: &[("deals", "closing_reason_id", "deals")],
    },
    Dict {
        slug: "client-types",
        table: "client_types",
        title: "Client types",
        noun: "client type",
        plural: "client types",
        about: "Types of clients: distributor, dealer, end customer…",
        rule: DictionaryRule::AdminOnly,
        global: false,
        ordered: true,
        keyed: false,
        stamped: false,
        name_max: 100,
        fields: &[],
        uses: &[("companies", "type_id", "companies"), ("leads", "type_id", "leads")],
    },
    Dict {
        slug: "industries",
        table: "industries",
        title: "Industries",
        noun: "industry",
        plural: "industries",
        about: "Industries of clients.",
        rule: DictionaryRule::AdminOnly,
        global: false,
        ordered: true,
        keyed: false,
        stamped: false,
        name_max: 100,
        fields: &[],
        uses: &[("company_industries", "industry_id", "companies"), ("lead_industries", "industry_id", "leads")],
    },
    Dict {
        slug: "lead-sources",
        table: "lead_sources",
        title: "Lead sources",
        noun: "lead source",
        plural: "lead sources",
        about: "Where clients come from. A web form names its lead source by the form token.",
        rule: DictionaryRule::AdminOnly,
        global: false,
        ordered: true,
        keyed: false,
        stamped: false,
        name_max: 100,
        fields: &[
            field("token", "Form token", DInput::Token, "The token a web form sends; made when the source is."),
            field(
                "email",
                "Email",
                DInput::Email,
                "The address published on the website: emails to it get this lead source.",
            ),
            field(
                "allowed_origins",
                "Allowed origins",
                DInput::Origins,
                "Websites that may embed the web form, one a line: https://www.example.com (scheme, host, port; no path).",
            ),
            field("form_template", "Form template", DInput::Text(100), "Empty: the built-in form."),
            field("success_template", "Success template", DInput::Text(100), "Empty: the built-in thank-you page."),
        ],
        uses: &[
            ("companies", "lead_source_id", "companies"),
            ("contacts", "lead_source_id", "contact persons"),
            ("leads", "lead_source_id", "leads"),
            ("requests", "lead_source_id", "requests"),
            ("deals", "lead_source_id", "deals"),
        ],
    },
    Dict {
        slug: "product-categories",
        table: "product_categories",
        title: "Product categories",
        noun: "product category",
        plural: "product categories",
        about: "Categories of the department's products.",
        rule: DictionaryRule::AdminOnly,
        global: false,
        ordered: true,
        keyed: false,
        stamped: false,
        name_max: 100,
        fields: &[field("description", "Description", DInput::LongText, "")],
        uses: &[("products", "category_id", "products")],
    },
    Dict {
        slug: "quality-signals",
        table: "quality_signals",
        title: "Transaction-quality signals",
        noun: "quality signal",
        plural: "quality signals",
        about: "What can happen in a deal and how much it moves the deal's CTQS (100 + the weights of its events).",
        rule: DictionaryRule::Managers,
        global: false,
        ordered: true,
        keyed: false,
        stamped: false,
        name_max: 100,
        fields: &[
            field("weight", "Weight (%)", DInput::Weight, "From -100 to 100; a new event takes it, and may change it."),
            field("notes", "Notes", DInput::LongText, ""),
        ],
        uses: &[("quality_events", "signal_id", "quality events")],
    },
    Dict {
        slug: "tags",
        table: "crm_tags",
        title: "Tags",
        noun: "tag",
        plural: "tags",
        about: "Tags of companies, contact persons, leads and deals.",
        rule: DictionaryRule::Tags,
        global: false,
        ordered: false,
        keyed: true,
        stamped: true,
        name_max: 100,
        fields: &[],
        uses: &[("crm_taggings", "tag_id", "tagged objects")],
    },
    Dict {
        slug: "cities",
        table: "cities",
        title: "Cities",
        noun: "city",
        plural: "cities",
        about: "Cities by country. Alternative names (comma-separated) match names typed in web forms.",
        rule: DictionaryRule::SalesStaff,
        global: true,
        ordered: false,
        keyed: true,
        stamped: false,
        name_max: 100,
        fields: &[
            field("country_id", "Country", DInput::Country, ""),
            field("alternative_names", "Alternative names", DInput::LongText, "Comma-separated."),
        ],
        uses: &[
            ("companies", "city_id", "companies"),
            ("contacts", "city_id", "contact persons"),
            ("leads", "city_id", "leads"),
            ("requests", "city_id", "requests"),
            ("deals", "city_id", "deals"),
        ],
    },
];

pub fn dict(slug: &str) -> AppResult<&'static Dict> {
    DICTS.iter().find(|d| d.slug == slug).ok_or(AppError::NotFound)
}

impl Dict {
    pub fn url(&self) -> String {
        format!("/dictionaries/{}", self.slug)
    }
    pub fn can(&self, v: &Viewer, action: Action, department: Option<i64>) -> bool {
        can_dictionary(v, self.rule, action, if self.global { None } else { department })
    }
    /// The message for a name that is taken.
    pub(super) fn taken(&self) -> String {
        let mut n = self.noun.to_string();
        if let Some(c) = n.get_mut(0..1) {
            c.make_ascii_uppercase();
        }
        if self.global {
            format!("{n} with this name already exists in this country.")
        } else {
            format!("Such a {} already exists.", self.noun)
        }
    }
}
