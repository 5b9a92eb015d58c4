//! Products (§2.2 Product: per department, no owner of their own) and payments (§2.2 Payment: a
//! deal's, seen and changed by the deal's rules, §3.3).

use super::fields::{Field, Input, RefTo};
use super::repo::Spec;
use crate::access::ItemKind;

pub const PRODUCT_KINDS: &[(&str, &str)] = &[("goods", "Goods"), ("service", "Service")];

pub static PRODUCT_FIELDS: [Field; 7] = [
    Field::new("name", "Product name", Input::Text { max: 250 }).required(),
    Field::new("kind", "Type", Input::Choice(PRODUCT_KINDS)).default("goods"),
    Field::new("category_id", "Category", Input::Ref(RefTo::Dictionary("product_categories"))),
    Field::new("price_cents", "Price", Input::Money),
    Field::new("currency_id", "Currency", Input::Ref(RefTo::Global("currencies"))),
    Field::new("on_sale", "On sale", Input::Flag).default("on"),
    Field::new("description", "Description", Input::LongText),
];

pub static PRODUCT: Spec = Spec {
    kind: ItemKind::Product,
    fields: &PRODUCT_FIELDS,
    title: &["name"],
    derived: &[],
    list: &["kind", "category_id", "price_cents", "currency_id", "on_sale"],
    search: &["name", "description"],
    export: &[],
    inherit: None,
    token: false,
    owned: false,
    rules: None,
    chief_fields: None,
    after_save: None,
    owner_note: "",
};

/// §2.2 Payment status.
pub const PAYMENT_STATUS: &[(&str, &str)] =
    &[("received", "Received"), ("guaranteed", "Guaranteed"), ("high", "High probability"), ("low", "Low probability")];

pub static PAYMENT_FIELDS: [Field; 9] = [
    Field::new("deal_id", "Deal", Input::Ref(RefTo::Object(ItemKind::Deal))).required(),
    Field::new("amount_cents", "Amount (without VAT)", Input::Money).required(),
    Field::new("currency_id", "Currency", Input::Ref(RefTo::Global("currencies"))).required(),
    Field::new("payment_date", "Payment date", Input::Date).required(),
    Field::new("status", "Status", Input::Choice(PAYMENT_STATUS)).default("received"),
    Field::new("contract_number", "Contract number", Input::Text { max: 40 }),
    Field::new("invoice_number", "Invoice number", Input::Text { max: 40 }),
    Field::new("order_number", "Order number", Input::Text { max: 40 }),
    Field::new("through_representation", "Payment through a representative office", Input::Flag),
];

pub static PAYMENT: Spec = Spec {
    kind: ItemKind::Payment,
    fields: &PAYMENT_FIELDS,
    title: &[],
    derived: &[],
    list: &["deal_id", "amount_cents", "currency_id", "payment_date", "status"],
    search: &["contract_number", "invoice_number", "order_number"],
    export: &[],
    inherit: Some("deal_id"),
    token: false,
    owned: true,
    rules: None,
    chief_fields: None,
    after_save: None,
    owner_note: "",
};
