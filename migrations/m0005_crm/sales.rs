//! The CRM's business objects: companies, contact persons, leads, requests, deals with their line
//! items and payments, and the tag links. Columns and foreign-key choices: see `m0005_crm`.

use sea_query::{ColumnDef, ForeignKeyAction as On, Index, Table};

use super::super::{Stmt, fk, id, index, table, ts, ts_null, unique_index};
use super::{
    add_reference, cents, counterparty, date_opt, flag, index_set, link, opt, person, ref_opt, ref_req, req, scoped,
    text,
};

pub(super) fn counterparties() -> Vec<Stmt> {
    vec![
        {
            let mut t = Table::create()
                .table("companies")
                .col(id())
                .col(req("full_name", 200))
                // `text::match_key(full_name)`: letters and digits, lower-cased — request intake
                // matches company names "ignoring case and punctuation" (§6.4).
                .col(req("name_key", 400))
                .col(text("alternative_names"))
                .col(opt("website", 200))
                .col(opt("phone", 100))
                .col(opt("registration_number", 30))
                .col(ref_opt("type_id"))
                .col(ref_opt("logo_attachment_id"))
                .foreign_key(&mut fk("companies", "type_id", "client_types", On::SetNull))
                .foreign_key(&mut fk("companies", "logo_attachment_id", "attachments", On::SetNull))
                .to_owned();
            counterparty(&mut t, "companies");
            scoped(&mut t, "companies");
            table(&mut t)
        },
        unique_index("ux_companies_token", "companies", &["token"]),
        // §2.2: unique together (full_name, country). Also the exact-name look-up of lead conversion.
        unique_index("ux_companies_name_country", "companies", &["full_name", "country_id"]),
        index("ix_companies_name_key", "companies", &["name_key"]),
        // The list: the department's companies, newest first (§1.6, §3.2)…
        index("ix_companies_department", "companies", &["department_id", "id"]),
        // …filtered by country, the default filter when the department spans several (§1.6); also
        // answers "which countries does the department have" from the index alone.
        index("ix_companies_department_country", "companies", &["department_id", "country_id", "id"]),
        // A manager's default view: their own (§3.2 owner filter).
        index("ix_companies_owner", "companies", &["owner_id", "id"]),
        index_set("ix_companies_logo", "companies", "logo_attachment_id"),
        link("company_industries", ("company_id", "companies"), ("industry_id", "industries"), On::Cascade),
        // The industry filter on companies, contacts and deals (§12.4, §13.2–13.3).
        index("ix_company_industries_industry", "company_industries", &["industry_id", "company_id"]),
        {
            let mut t = Table::create()
                .table("contacts")
                .col(id())
                // §2.2: required; a company's contact persons go with it (the deals of such a
                // contact RESTRICT the delete).
                .col(ref_req("company_id"))
                .foreign_key(&mut fk("contacts", "company_id", "companies", On::Cascade))
                .to_owned();
            person(&mut t, "contacts");
            counterparty(&mut t, "contacts");
            scoped(&mut t, "contacts");
            table(&mut t)
        },
        unique_index("ux_contacts_token", "contacts", &["token"]),
        // The company page's contact persons; "Has contacts" filter (§13.2).
        index("ix_contacts_company", "contacts", &["company_id"]),
        index("ix_contacts_department", "contacts", &["department_id", "id"]),
        index("ix_contacts_owner", "contacts", &["owner_id", "id"]),
        // Duplicates are people with the same first and last name (then email or phone, §11.1);
        // intake matching starts from the first name (§6.4).
        index("ix_contacts_name", "contacts", &["first_name_key", "last_name_key"]),
        index_set("ix_contacts_avatar", "contacts", "avatar_attachment_id"),
        {
            let mut t = Table::create()
                .table("leads")
                .col(id())
                .col(opt("company_name", 200))
                .col(opt("website", 200))
                .col(opt("company_phone", 100))
                .col(opt("company_address", 200))
                .col(opt("company_email", 200))
                .col(ref_opt("type_id"))
                .col(ref_opt("contact_id"))
                .col(ref_opt("company_id"))
                .foreign_key(&mut fk("leads", "type_id", "client_types", On::SetNull))
                .foreign_key(&mut fk("leads", "contact_id", "contacts", On::SetNull))
                .foreign_key(&mut fk("leads", "company_id", "companies", On::SetNull))
                .to_owned();
            person(&mut t, "leads");
            counterparty(&mut t, "leads");
            scoped(&mut t, "leads");
            table(&mut t)
        },
        unique_index("ux_leads_token", "leads", &["token"]),
        index("ix_leads_department", "leads", &["department_id", "id"]),
        index("ix_leads_owner", "leads", &["owner_id", "id"]),
        index("ix_leads_name", "leads", &["first_name_key", "last_name_key"]),
        index_set("ix_leads_avatar", "leads", "avatar_attachment_id"),
        link("lead_industries", ("lead_id", "leads"), ("industry_id", "industries"), On::Cascade),
        // An industry's delete cascades to its links: found by index.
        index("ix_lead_industries_industry", "lead_industries", &["industry_id"]),
    ]
}

pub(super) fn deals() -> Vec<Stmt> {
    vec![
        // Requests (§2.2; intake and processing come with the requests issue). Created here because
        // a deal points at its request, and SQLite cannot add that foreign key later.
        {
            let mut t = Table::create()
                .table("requests")
                .col(id())
                .col(req("request_for", 250))
                .col(req("first_name", 100))
                .col(opt("middle_name", 100))
                .col(opt("last_name", 100))
                .col(opt("email", 250))
                .col(opt("phone", 200))
                .col(opt("website", 200))
                .col(opt("company_name", 200))
                .col(ref_opt("lead_source_id"))
                .col(ColumnDef::new("receipt_date").date().not_null())
                .col(ref_opt("lead_id"))
                .col(ref_opt("contact_id"))
                .col(ref_opt("company_id"))
                .col(ref_opt("country_id"))
                .col(ref_opt("city_id"))
                .col(opt("city_name", 50))
                .col(text("description"))
                .col(text("translation"))
                .col(text("remark"))
                .col(flag("pending", true))
                .col(flag("subsequent", false))
                .col(flag("duplicate", false))
                .col(flag("verification_required", false))
                .col(flag("is_case", false)) // "Case/Incident": no payment involved
                // Shared with the deal made from it and every email of the thread; not unique.
                .col(req("ticket", 16))
                .col(ref_opt("co_owner_id"))
                .foreign_key(&mut fk("requests", "lead_source_id", "lead_sources", On::SetNull))
                // A request is the record of an inquiry: its links go, its typed-in text stays.
                .foreign_key(&mut fk("requests", "lead_id", "leads", On::SetNull))
                .foreign_key(&mut fk("requests", "contact_id", "contacts", On::SetNull))
                .foreign_key(&mut fk("requests", "company_id", "companies", On::SetNull))
                .foreign_key(&mut fk("requests", "country_id", "countries", On::Restrict))
                .foreign_key(&mut fk("requests", "city_id", "cities", On::Restrict))
                .foreign_key(&mut fk("requests", "co_owner_id", "users", On::SetNull))
                .to_owned();
            scoped(&mut t, "requests");
            table(&mut t)
        },
        index("ix_requests_department", "requests", &["department_id", "id"]),
        // Pending filter and the menu counters (§3.4): the department's pending requests.
        index("ix_requests_department_pending", "requests", &["department_id", "pending", "id"]),
        index("ix_requests_owner", "requests", &["owner_id", "pending"]),
        index("ix_requests_co_owner", "requests", &["co_owner_id"]),
        // "ticket:<t>" search (§10), and linking an imported email to its request (§7.2).
        index("ix_requests_ticket", "requests", &["ticket"]),
        // "(N)" requests of a company or lead (§13.1); re-pointing on duplicate delete and conversion.
        index("ix_requests_company", "requests", &["company_id"]),
        index("ix_requests_contact", "requests", &["contact_id"]),
        index("ix_requests_lead", "requests", &["lead_id"]),
        link("request_products", ("request_id", "requests"), ("product_id", "products"), On::Restrict),
        index("ix_request_products_product", "request_products", &["product_id"]),
        {
            let mut t = Table::create()
                .table("deals")
                .col(id())
                .col(req("name", 250))
                .col(req("next_step", 250))
                .col(ColumnDef::new("next_step_date").date().not_null())
                .col(text("description"))
                .col(text("workflow")) // "<date> - <event>" lines, newest first (§1.4)
                .col(ref_req("stage_id")) // §12.6: no stage → the department's default stage
                .col(text("stages_dates")) // "<date> - <stage>" lines (§12.6)
                .col(date_opt("closing_date"))
                .col(ts_null("win_closing_date"))
                .col(cents("amount_cents")) // without VAT
                .col(ref_opt("currency_id"))
                .col(ref_opt("closing_reason_id"))
                .col(ColumnDef::new("probability").small_integer().null()) // 0–100; unused by the original's UI
                // Unique: emails and requests of the same thread carry it (§1.5, §6.8).
                .col(req("ticket", 16))
                .col(ref_opt("city_id"))
                .col(ref_opt("country_id"))
                .col(ref_opt("lead_id"))
                .col(ref_opt("contact_id"))
                .col(ref_opt("company_id"))
                .col(ref_opt("partner_contact_id"))
                .col(ref_opt("request_id"))
                // The request's lead source, copied when the deal is made, so deals can be
                // counted by source without the request (and keep it if the request goes).
                .col(ref_opt("lead_source_id"))
                .col(flag("relevant", true))
                .col(flag("active", true))
                .col(flag("important", false))
                .col(flag("is_new", true))
                .col(flag("remind_me", false))
                .col(ref_opt("co_owner_id"))
                .foreign_key(&mut fk("deals", "stage_id", "deal_stages", On::Restrict))
                .foreign_key(&mut fk("deals", "currency_id", "currencies", On::Restrict))
                .foreign_key(&mut fk("deals", "closing_reason_id", "closing_reasons", On::Restrict))
                .foreign_key(&mut fk("deals", "city_id", "cities", On::Restrict))
                .foreign_key(&mut fk("deals", "country_id", "countries", On::Restrict))
                .foreign_key(&mut fk("deals", "lead_id", "leads", On::Restrict))
                .foreign_key(&mut fk("deals", "contact_id", "contacts", On::Restrict))
                .foreign_key(&mut fk("deals", "company_id", "companies", On::Restrict))
                .foreign_key(&mut fk("deals", "partner_contact_id", "contacts", On::SetNull))
                .foreign_key(&mut fk("deals", "request_id", "requests", On::SetNull))
                .foreign_key(&mut fk("deals", "lead_source_id", "lead_sources", On::SetNull))
                .foreign_key(&mut fk("deals", "co_owner_id", "users", On::SetNull))
                .to_owned();
            scoped(&mut t, "deals");
            table(&mut t)
        },
        unique_index("ux_deals_ticket", "deals", &["ticket"]),
        // The list's default: the department's active deals, newest first (§12.1, §12.4)…
        index("ix_deals_department_active", "deals", &["department_id", "active", "id"]),
        // …or by next step date, nearest first (the sort toggle).
        index("ix_deals_department_step", "deals", &["department_id", "active", "next_step_date"]),
        // A manager's default: deals they own or co-own (two index ranges, one per column).
        index("ix_deals_owner", "deals", &["owner_id", "active", "id"]),
        index("ix_deals_co_owner", "deals", &["co_owner_id"]),
        // Stage and closing-reason filters (they imply the department); "Successful deals".
        index("ix_deals_stage", "deals", &["stage_id", "id"]),
        index("ix_deals_closing_reason", "deals", &["closing_reason_id", "id"]),
        // A counterparty's deals: "Deals (N)", the list's deal counter, re-pointing (§11.1, §13.4).
        index("ix_deals_company", "deals", &["company_id"]),
        index("ix_deals_contact", "deals", &["contact_id"]),
        index("ix_deals_lead", "deals", &["lead_id"]),
        index("ix_deals_request", "deals", &["request_id"]),
        // The other direction: the deal a request led to (or was attached to).
        add_reference("requests", "deal_id", "deals", "SET NULL"),
        index("ix_requests_deal", "requests", &["deal_id"]),
        table(
            Table::create()
                .table("outputs")
                .col(id())
                .col(ref_req("deal_id"))
                .col(ref_req("product_id"))
                .col(ColumnDef::new("quantity").integer().not_null().default(1))
                .col(cents("amount_cents"))
                .col(ref_opt("currency_id")) // required when an amount is given
                .col(date_opt("shipping_date")) // as per contract: such outputs are the shipments
                .col(date_opt("planned_shipping_date"))
                .col(date_opt("actual_shipping_date"))
                .col(flag("product_is_shipped", false))
                .col(opt("serial_number", 100))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                // A deal's line items go with it; a product in a deal stays (reports name it).
                .foreign_key(&mut fk("outputs", "deal_id", "deals", On::Cascade))
                .foreign_key(&mut fk("outputs", "product_id", "products", On::Restrict))
                .foreign_key(&mut fk("outputs", "currency_id", "currencies", On::Restrict)),
        ),
        index("ix_outputs_deal", "outputs", &["deal_id"]),
        // The deals list's product filter; the sales report by product (§5.3).
        index("ix_outputs_product", "outputs", &["product_id"]),
        // The shipments list: outputs with a contract shipping date (§13.6).
        index("ix_outputs_shipping_date", "outputs", &["shipping_date"]),
        table(
            Table::create()
                .table("payments")
                .col(id())
                .col(ref_req("deal_id"))
                .col(ColumnDef::new("amount_cents").big_integer().not_null()) // without VAT
                .col(ref_req("currency_id"))
                .col(ColumnDef::new("payment_date").date().not_null())
                .col(ColumnDef::new("status").string_len(16).not_null().default("received")) // received | guaranteed | high | low
                .col(opt("contract_number", 40))
                .col(opt("invoice_number", 40))
                .col(opt("order_number", 40))
                .col(flag("through_representation", false))
                .col(ts("created_at"))
                .col(ts("updated_at"))
                .foreign_key(&mut fk("payments", "deal_id", "deals", On::Cascade))
                .foreign_key(&mut fk("payments", "currency_id", "currencies", On::Restrict)),
        ),
        // A deal's payments (deal page, "Paid", the list's payment mark).
        index("ix_payments_deal", "payments", &["deal_id", "payment_date"]),
        // The payments list, newest payment date first (§13.5)…
        index("ix_payments_date", "payments", &["payment_date"]),
        // …and the reports' "received (or guaranteed…) payments in a period" (§5.1, §5.3).
        index("ix_payments_status_date", "payments", &["status", "payment_date"]),
        // Tags of companies, contacts, leads and deals: one link table for the four kinds, like
        // `participants` and `attachments`; the object's delete removes its rows (items layer).
        table(
            Table::create()
                .table("crm_taggings")
                .col(ColumnDef::new("object_type").string_len(16).not_null())
                .col(ref_req("object_id"))
                .col(ref_req("tag_id"))
                .primary_key(Index::create().col("object_type").col("object_id").col("tag_id"))
                .foreign_key(&mut fk("crm_taggings", "tag_id", "crm_tags", On::Cascade)),
        ),
        // The tag filter: objects of a kind with a tag; a tag's delete.
        index("ix_crm_taggings_tag", "crm_taggings", &["tag_id", "object_type", "object_id"]),
    ]
}
