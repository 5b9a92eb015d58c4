//! THE route table. Every method and path of the app is listed here, once; `ROUTES` mirrors it so
//! tests can walk every route (CSRF, permissions, headers).
//!
//! Layers, outermost first: security headers → error pages → session → administrators' area (404 for
//! others) → route check + CSRF + body limits → handler.

use std::sync::Arc;

use poem::http::{HeaderValue, StatusCode, header};
use poem::web::Data;
use poem::{Endpoint, EndpointExt, IntoResponse, Request, Response, Route, get, handler, post};

use crate::access::Viewer;
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::htmx::HxRequest;
use crate::views::layout::Nav;
use crate::{assets, auth, events, notifications, search, security, users, views, web};

/// Every route: (method, path). Kept in step with `endpoint()` by a test that calls each one.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/healthz"),
    ("GET", "/assets/:hash/:name"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/events"),
    ("GET", "/search"),
    ("GET", "/people"),
    ("GET", "/nav/counts"),
    ("GET", "/profile"),
    ("POST", "/profile"),
    ("GET", "/profile/password"),
    ("POST", "/profile/password"),
    // Mail accounts (`mail_accounts`): the viewer's own; administrators everyone's.
    ("GET", "/mail-accounts"),
    ("POST", "/mail-accounts"),
    ("GET", "/mail-accounts/new"),
    ("GET", "/mail-accounts/:id"),
    ("POST", "/mail-accounts/:id"),
    ("GET", "/mail-accounts/:id/edit"),
    ("POST", "/mail-accounts/:id/delete"),
    ("POST", "/mail-accounts/:id/test"),
    ("POST", "/mail-accounts/:id/import"),
    // The mailbox browser (`mail_import::browser`, §7.3): choose an account, INBOX, one original.
    ("GET", "/mail-import"),
    ("GET", "/mail-import/:account"),
    ("POST", "/mail-import/:account"),
    ("GET", "/mail-import/:account/:uid"),
    ("GET", "/notifications"),
    ("GET", "/notifications/bell"),
    ("POST", "/notifications/read-all"),
    ("GET", "/notifications/:id/open"),
    ("POST", "/notifications/:id/read"),
    ("GET", "/admin/users"),
    ("POST", "/admin/users"),
    ("GET", "/admin/users/new"),
    ("GET", "/admin/users/:id"),
    ("POST", "/admin/users/:id"),
    ("GET", "/admin/users/:id/edit"),
    ("GET", "/admin/users/:id/history"),
    ("POST", "/admin/users/:id/deactivate"),
    ("POST", "/admin/users/:id/activate"),
    ("POST", "/admin/users/:id/password"),
    ("GET", "/admin/users/:id/transfer"),
    ("POST", "/admin/users/:id/transfer"),
    ("GET", "/admin/transfers/:id"),
    ("GET", "/admin/transfers/:id/progress"),
    ("GET", "/admin/departments"),
    ("POST", "/admin/departments"),
    ("GET", "/admin/departments/:id"),
    ("POST", "/admin/departments/:id"),
    ("POST", "/admin/departments/:id/delete"),
    ("GET", "/admin/departments/:id/history"),
    ("POST", "/admin/departments/:id/copy"),
    ("GET", "/memos"),
    ("POST", "/memos"),
    ("GET", "/memos/total"),
    ("GET", "/memos/new"),
    ("GET", "/memos/:id"),
    ("POST", "/memos/:id"),
    ("GET", "/memos/:id/edit"),
    ("POST", "/memos/:id/stage"),
    ("GET", "/memos/:id/task-button"),
    ("GET", "/tasks"),
    ("POST", "/tasks"),
    ("GET", "/tasks/total"),
    ("GET", "/tasks/tags"),
    ("POST", "/tasks/tags/:id"),
    ("POST", "/tasks/tags/:id/delete"),
    ("GET", "/tasks/new"),
    ("GET", "/tasks/:id"),
    ("POST", "/tasks/:id"),
    ("GET", "/tasks/:id/edit"),
    ("POST", "/tasks/:id/stage"),
    ("POST", "/tasks/:id/completed"),
    ("POST", "/tasks/:id/hide-main"),
    // The one-click completion link of a task's email (no login; `tasks::links`).
    ("GET", "/task-done/:token"),
    ("POST", "/task-done/:token"),
    ("GET", "/projects"),
    ("POST", "/projects"),
    ("GET", "/projects/total"),
    ("GET", "/projects/new"),
    ("GET", "/projects/:id"),
    ("POST", "/projects/:id"),
    ("GET", "/projects/:id/edit"),
    ("POST", "/projects/:id/stage"),
    // The same sub-resources on every memo, task and project (`items::ItemPath` reads the kind).
    ("GET", "/memos/:id/chat"),
    ("POST", "/memos/:id/chat"),
    ("GET", "/tasks/:id/chat"),
    ("POST", "/tasks/:id/chat"),
    ("GET", "/projects/:id/chat"),
    ("POST", "/projects/:id/chat"),
    ("POST", "/memos/:id/reminders"),
    ("POST", "/tasks/:id/reminders"),
    ("POST", "/projects/:id/reminders"),
    ("GET", "/memos/:id/history"),
    ("GET", "/tasks/:id/history"),
    ("GET", "/projects/:id/history"),
    ("GET", "/memos/:id/delete"),
    ("POST", "/memos/:id/delete"),
    ("GET", "/tasks/:id/delete"),
    ("POST", "/tasks/:id/delete"),
    ("GET", "/projects/:id/delete"),
    ("POST", "/projects/:id/delete"),
    ("GET", "/files/:id"),
    ("POST", "/files/:id/delete"),
    ("GET", "/reminders"),
    ("GET", "/reminders/total"),
    ("POST", "/reminders/:id/deactivate"),
    // The sales CRM: one set of handlers per route shape (`crm::handlers::CrmKind` reads the kind).
    ("GET", "/companies"),
    ("POST", "/companies"),
    ("GET", "/companies/total"),
    ("GET", "/companies/pick"),
    ("GET", "/companies/export"),
    ("GET", "/companies/transfer"),
    ("POST", "/companies/transfer"),
    ("GET", "/companies/import"),
    ("POST", "/companies/import"),
    ("GET", "/companies/new"),
    ("GET", "/companies/:id"),
    ("POST", "/companies/:id"),
    ("GET", "/companies/:id/edit"),
    ("GET", "/companies/:id/chat"),
    ("POST", "/companies/:id/chat"),
    ("POST", "/companies/:id/reminders"),
    ("GET", "/companies/:id/history"),
    ("GET", "/companies/:id/delete"),
    ("POST", "/companies/:id/delete"),
    ("GET", "/contacts"),
    ("POST", "/contacts"),
    ("GET", "/contacts/total"),
    ("GET", "/contacts/pick"),
    ("GET", "/contacts/export"),
    ("GET", "/contacts/import"),
    ("POST", "/contacts/import"),
    ("GET", "/contacts/new"),
    ("GET", "/contacts/:id"),
    ("POST", "/contacts/:id"),
    ("GET", "/contacts/:id/edit"),
    ("GET", "/contacts/:id/chat"),
    ("POST", "/contacts/:id/chat"),
    ("POST", "/contacts/:id/reminders"),
    ("GET", "/contacts/:id/history"),
    ("GET", "/contacts/:id/delete"),
    ("POST", "/contacts/:id/delete"),
    ("GET", "/leads"),
    ("POST", "/leads"),
    ("GET", "/leads/total"),
    ("GET", "/leads/pick"),
    ("GET", "/leads/export"),
    ("GET", "/leads/import"),
    ("POST", "/leads/import"),
    ("GET", "/leads/new"),
    ("GET", "/leads/:id"),
    ("POST", "/leads/:id"),
    ("GET", "/leads/:id/edit"),
    ("GET", "/leads/:id/chat"),
    ("POST", "/leads/:id/chat"),
    ("POST", "/leads/:id/reminders"),
    ("GET", "/leads/:id/history"),
    ("GET", "/leads/:id/delete"),
    ("POST", "/leads/:id/delete"),
    ("GET", "/companies/:id/duplicate"),
    ("POST", "/companies/:id/duplicate"),
    ("GET", "/contacts/:id/duplicate"),
    ("POST", "/contacts/:id/duplicate"),
    ("GET", "/leads/:id/duplicate"),
    ("POST", "/leads/:id/duplicate"),
    ("GET", "/leads/:id/convert"),
    ("POST", "/leads/:id/convert"),
    ("GET", "/deals/board"),
    ("POST", "/deals/:id/stage"),
    ("GET", "/deals/:id/work"),
    ("GET", "/deals"),
    ("POST", "/deals"),
    ("GET", "/deals/total"),
    ("GET", "/deals/pick"),
    ("GET", "/deals/export"),
    ("GET", "/imports"),
    ("GET", "/imports/:id"),
    ("GET", "/imports/:id/progress"),
    ("POST", "/imports/:id/confirm"),
    ("POST", "/imports/:id/cancel"),
    ("GET", "/deals/new"),
    ("GET", "/deals/:id"),
    ("POST", "/deals/:id"),
    ("GET", "/deals/:id/edit"),
    ("GET", "/deals/:id/chat"),
    ("POST", "/deals/:id/chat"),
    ("POST", "/deals/:id/reminders"),
    ("GET", "/deals/:id/history"),
    ("GET", "/deals/:id/delete"),
    ("POST", "/deals/:id/delete"),
    ("GET", "/deals/:id/outputs/new"),
    ("POST", "/deals/:id/outputs"),
    ("GET", "/deals/:id/outputs/:line/edit"),
    ("POST", "/deals/:id/outputs/:line"),
    ("POST", "/deals/:id/outputs/:line/delete"),
    ("GET", "/deals/:id/quality/new"),
    ("POST", "/deals/:id/quality"),
    ("GET", "/deals/:id/quality/:event/edit"),
    ("POST", "/deals/:id/quality/:event"),
    ("POST", "/deals/:id/quality/:event/delete"),
    // Analytics (§5): the reports the viewer may open (`access::can_report`).
    ("GET", "/analytics"),
    ("GET", "/analytics/income"),
    ("GET", "/analytics/funnel"),
    ("GET", "/analytics/deals"),
    ("GET", "/analytics/requests"),
    ("GET", "/analytics/lead-sources"),
    ("GET", "/analytics/conversion"),
    ("GET", "/analytics/sales"),
    ("GET", "/analytics/closing-reasons"),
    ("GET", "/analytics/:report/export"),
    ("POST", "/analytics/income/snapshots"),
    ("GET", "/analytics/income/snapshots/:id"),
    ("GET", "/shipments"),
    ("GET", "/shipments/total"),
    ("GET", "/shipments/:id/edit"),
    ("POST", "/shipments/:id"),
    ("GET", "/payments"),
    ("POST", "/payments"),
    ("GET", "/payments/total"),
    ("GET", "/payments/sum"),
    ("GET", "/payments/pick"),
    ("GET", "/payments/new"),
    ("GET", "/payments/:id"),
    ("POST", "/payments/:id"),
    ("GET", "/payments/:id/edit"),
    ("GET", "/payments/:id/history"),
    ("GET", "/payments/:id/delete"),
    ("POST", "/payments/:id/delete"),
    ("GET", "/currencies"),
    ("GET", "/dictionaries"),
    ("GET", "/dictionaries/:dict"),
    ("POST", "/dictionaries/:dict"),
    ("GET", "/dictionaries/:dict/:id"),
    ("POST", "/dictionaries/:dict/:id"),
    ("POST", "/dictionaries/:dict/:id/delete"),
    ("POST", "/currencies"),
    ("GET", "/currencies/:id"),
    ("POST", "/currencies/:id/rates"),
    ("POST", "/currencies/:id/role"),
    ("GET", "/products"),
    ("POST", "/products"),
    ("GET", "/products/total"),
    ("GET", "/products/pick"),
    ("GET", "/products/new"),
    ("GET", "/products/:id"),
    ("POST", "/products/:id"),
    ("GET", "/products/:id/edit"),
    ("GET", "/products/:id/history"),
    ("GET", "/products/:id/delete"),
    ("POST", "/products/:id/delete"),
    // Requests (§6.7, §13.1): their list, form and saves are `requests::*`; page and edit form generic.
    ("GET", "/requests"),
    ("POST", "/requests"),
    ("GET", "/requests/total"),
    ("GET", "/requests/pick"),
    ("GET", "/requests/new"),
    ("GET", "/requests/:id"),
    ("POST", "/requests/:id"),
    ("GET", "/requests/:id/edit"),
    ("POST", "/requests/:id/deal"),
    ("POST", "/requests/:id/close"),
    ("POST", "/requests/:id/activate"),
    ("GET", "/requests/:id/chat"),
    ("POST", "/requests/:id/chat"),
    ("POST", "/requests/:id/reminders"),
    ("GET", "/requests/:id/history"),
    ("GET", "/requests/:id/delete"),
    ("POST", "/requests/:id/delete"),
    // Emails (§7): list, page (generic, with the email's panel), the stored original; signatures.
    ("GET", "/emails"),
    ("GET", "/emails/total"),
    ("GET", "/emails/new"),
    ("POST", "/emails/new"),
    ("GET", "/emails/:id"),
    ("POST", "/emails/:id"),
    ("GET", "/emails/:id/edit"),
    ("GET", "/emails/:id/original"),
    ("GET", "/emails/:id/download"),
    ("GET", "/emails/:id/inline/:cid"),
    ("GET", "/emails/:id/reply"),
    ("POST", "/emails/:id/send"),
    ("GET", "/emails/:id/history"),
    ("GET", "/emails/:id/delete"),
    ("POST", "/emails/:id/delete"),
    ("GET", "/signatures"),
    ("POST", "/signatures"),
    ("GET", "/signatures/:id/edit"),
    ("POST", "/signatures/:id"),
    ("POST", "/signatures/:id/delete"),
    // Public request intake (`requests::intake`): the API, the hosted form, its embed script; the
    // administrators' spam lists, and the two operators keep too (`access::manages_intake_lists`).
    ("POST", "/add-request/"),
    ("GET", "/contact-form/:token/"),
    ("POST", "/contact-form/:token/"),
    ("GET", "/contact-form/:token/embed.js"),
    ("GET", "/admin/stop-phrases"),
    ("POST", "/admin/stop-phrases"),
    ("POST", "/admin/stop-phrases/:id/delete"),
    ("GET", "/admin/banned-company-names"),
    ("POST", "/admin/banned-company-names"),
    ("POST", "/admin/banned-company-names/:id/delete"),
    ("GET", "/admin/public-email-domains"),
    ("POST", "/admin/public-email-domains"),
    ("POST", "/admin/public-email-domains/:id/delete"),
    ("GET", "/requests/stop-phrases"),
    ("POST", "/requests/stop-phrases"),
    ("POST", "/requests/stop-phrases/:id/delete"),
    ("GET", "/requests/public-email-domains"),
    ("POST", "/requests/public-email-domains"),
    ("POST", "/requests/public-email-domains/:id/delete"),
];

/// Unsafe routes that accept cross-site posts: the public request intake (its own origin rule, limits
/// and body cap: `requests::intake`).
pub const CSRF_EXEMPT: &[&str] = &["/add-request/", "/contact-form/:token/"];

/// Routes that answer without a login.
pub const PUBLIC: &[&str] = &[
    "/healthz",
    "/assets/:hash/:name",
    "/login",
    "/add-request/",
    "/contact-form/:token/",
    "/contact-form/:token/embed.js",
    "/task-done/:token",
    // A sandboxed email frame sends no session cookie: the image link carries a sealed session
    // (`emails::inline`), and the handler checks the email like its page (404 otherwise).
    "/emails/:id/inline/:cid",
];

pub fn is_csrf_exempt(path: &str) -> bool {
    CSRF_EXEMPT.contains(&path)
}

/// Whether `path` fits the route pattern `pattern` (`:name` stands for any one non-empty segment).
fn fits(pattern: &str, path: &str) -> bool {
    let mut want = pattern.split('/');
    let mut got = path.split('/');
    loop {
        match (want.next(), got.next()) {
            (None, None) => return true,
            (Some(w), Some(g)) if w == g || (w.starts_with(':') && !g.is_empty()) => {}
            _ => return false,
        }
    }
}

/// The route-table pattern that serves `method path`, or what the router would answer instead
/// (404 for no such path, 405 for a path without that method). The CSRF layer asks this before it
/// reads a body, so a request that cannot succeed never makes the server wait for (or hold) its body.
pub fn find(method: &str, path: &str) -> Result<&'static str, StatusCode> {
    let mut path_known = false;
    for (m, p) in ROUTES {
        if fits(p, path) {
            if *m == method {
                return Ok(p);
            }
            path_known = true;
        }
    }
    Err(if path_known { StatusCode::METHOD_NOT_ALLOWED } else { StatusCode::NOT_FOUND })
}

/// Whether the route pattern answers without a login.
pub fn is_public(pattern: &str) -> bool {
    PUBLIC.contains(&pattern)
}

pub fn endpoint(state: AppState) -> impl Endpoint<Output = Response> {
    use crate::crm::handlers as crm;
    use crate::files::handlers as files;
    use crate::items::flow;
    use crate::mail_accounts::handlers as mail;
    use crate::memos::{flow::Memos, handlers as memos};
    use crate::projects::{flow::Projects, handlers as projects};
    use crate::reminders::handlers as reminders;
    use crate::requests::intake::{admin as intake_admin, handlers as intake};
    use crate::tasks::{flow::Tasks, handlers as tasks};
    use users::{departments, handlers as uh, profile};
    shared_item_routes(Route::new())
        .at("/", get(home))
        .at("/healthz", get(healthz))
        .at("/assets/:hash/:name", get(assets::serve))
        .at("/login", get(auth::handlers::login_page).post(auth::handlers::login))
        .at("/logout", post(auth::handlers::logout))
        .at("/events", get(events::stream))
        .at("/search", get(search::search))
        .at("/people", get(users::people::search))
        .at("/nav/counts", get(nav_counts))
        .at("/profile", get(profile::show).post(profile::update))
        .at("/profile/password", get(auth::handlers::password_page).post(auth::handlers::change_password))
        .at("/mail-accounts", get(mail::index).post(mail::create))
        .at("/mail-accounts/new", get(mail::new))
        .at("/mail-accounts/:id", get(mail::show).post(mail::update))
        .at("/mail-accounts/:id/edit", get(mail::edit))
        .at("/mail-accounts/:id/delete", post(mail::delete))
        .at("/mail-accounts/:id/test", post(mail::test))
        .at("/mail-accounts/:id/import", post(mail::import_now))
        .at("/mail-import", get(crate::mail_import::browser::choose))
        .at("/mail-import/:account", get(crate::mail_import::browser::show).post(crate::mail_import::browser::act))
        .at("/mail-import/:account/:uid", get(crate::mail_import::browser::original))
        .at("/notifications", get(notifications::handlers::index))
        .at("/notifications/bell", get(notifications::handlers::bell))
        .at("/notifications/read-all", post(notifications::handlers::read_all))
        .at("/notifications/:id/open", get(notifications::handlers::open))
        .at("/notifications/:id/read", post(notifications::handlers::read))
        .at("/admin/users", get(uh::index).post(uh::create))
        .at("/admin/users/new", get(uh::new))
        .at("/admin/users/:id", get(uh::show).post(uh::update))
        .at("/admin/users/:id/edit", get(uh::edit))
        .at("/admin/users/:id/history", get(uh::history))
        .at("/admin/users/:id/deactivate", post(uh::deactivate))
        .at("/admin/users/:id/activate", post(uh::activate))
        .at("/admin/users/:id/password", post(uh::reset_password))
        .at("/admin/departments", get(departments::index).post(departments::create))
        .at("/admin/departments/:id", get(departments::show).post(departments::update))
        .at("/admin/departments/:id/delete", post(departments::delete))
        .at("/admin/departments/:id/history", get(departments::history))
        .at("/admin/departments/:id/copy", post(users::transfer::copy))
        .at("/admin/users/:id/transfer", get(users::transfer::choose).post(users::transfer::transfer))
        .at("/admin/transfers/:id", get(users::transfer_job::show))
        .at("/admin/transfers/:id/progress", get(users::transfer_job::progress))
        .at("/memos", get(memos::index).post(flow::create::<Memos>::default()))
        .at("/memos/total", get(memos::total))
        .at("/memos/new", get(memos::new))
        .at("/memos/:id", get(memos::show).post(flow::update::<Memos>::default()))
        .at("/memos/:id/edit", get(flow::edit::<Memos>::default()))
        .at("/memos/:id/stage", post(flow::set_stage::<Memos>::default()))
        .at("/memos/:id/task-button", get(memos::task_button))
        .at("/tasks", get(tasks::index).post(flow::create::<Tasks>::default()))
        .at("/tasks/total", get(tasks::total))
        .at("/tasks/tags", get(crate::tasks::tags_admin::index))
        .at("/tasks/tags/:id", post(crate::tasks::tags_admin::rename))
        .at("/tasks/tags/:id/delete", post(crate::tasks::tags_admin::delete))
        .at("/tasks/new", get(tasks::new))
        .at("/tasks/:id", get(tasks::show).post(flow::update::<Tasks>::default()))
        .at("/tasks/:id/edit", get(flow::edit::<Tasks>::default()))
        .at("/tasks/:id/stage", post(flow::set_stage::<Tasks>::default()))
        .at("/tasks/:id/completed", post(crate::tasks::complete::completed))
        .at("/tasks/:id/hide-main", post(crate::tasks::hide::hide_main))
        .at("/task-done/:token", get(crate::tasks::links::confirm).post(crate::tasks::links::apply))
        .at("/projects", get(projects::index).post(flow::create::<Projects>::default()))
        .at("/projects/total", get(projects::total))
        .at("/projects/new", get(projects::new))
        .at("/projects/:id", get(projects::show).post(flow::update::<Projects>::default()))
        .at("/projects/:id/edit", get(flow::edit::<Projects>::default()))
        .at("/projects/:id/stage", post(flow::set_stage::<Projects>::default()))
        .at("/files/:id", get(files::download))
        .at("/files/:id/delete", post(files::delete))
        .at("/reminders", get(reminders::index))
        .at("/reminders/total", get(reminders::total))
        .at("/reminders/:id/deactivate", post(reminders::deactivate))
        .at("/companies", get(crm::index).post(crm::create))
        .at("/companies/total", get(crm::total))
        .at("/companies/pick", get(crm::pick))
        .at("/companies/export", get(crate::crm::export::export))
        .at(
            "/companies/transfer",
            get(crate::crm::transfer_pages::choose).post(crate::crm::transfer_pages::change_owner),
        )
        .at("/companies/import", get(crate::crm::import::handlers::form).post(crate::crm::import::handlers::upload))
        .at("/companies/new", get(crm::new))
        .at("/companies/:id", get(crm::show).post(crm::update))
        .at("/companies/:id/edit", get(crm::edit))
        .at("/contacts", get(crm::index).post(crm::create))
        .at("/contacts/total", get(crm::total))
        .at("/contacts/pick", get(crm::pick))
        .at("/contacts/export", get(crate::crm::export::export))
        .at("/contacts/import", get(crate::crm::import::handlers::form).post(crate::crm::import::handlers::upload))
        .at("/contacts/new", get(crm::new))
        .at("/contacts/:id", get(crm::show).post(crm::update))
        .at("/contacts/:id/edit", get(crm::edit))
        .at("/leads", get(crm::index).post(crm::create))
        .at("/leads/total", get(crm::total))
        .at("/leads/pick", get(crm::pick))
        .at("/leads/export", get(crate::crm::export::export))
        .at("/leads/import", get(crate::crm::import::handlers::form).post(crate::crm::import::handlers::upload))
        .at("/leads/new", get(crm::new))
        .at("/leads/:id", get(crm::show).post(crm::update))
        .at("/leads/:id/edit", get(crm::edit))
        .at("/companies/:id/duplicate", get(crate::crm::merge::page).post(crate::crm::merge::merge))
        .at("/contacts/:id/duplicate", get(crate::crm::merge::page).post(crate::crm::merge::merge))
        .at("/leads/:id/duplicate", get(crate::crm::merge::page).post(crate::crm::merge::merge))
        .at("/leads/:id/convert", get(crate::crm::convert::page).post(crate::crm::convert::convert))
        .at("/deals/board", get(crate::crm::board::show))
        .at("/imports", get(crate::crm::import::handlers::list))
        .at("/imports/:id", get(crate::crm::import::handlers::show))
        .at("/imports/:id/progress", get(crate::crm::import::handlers::progress))
        .at("/imports/:id/confirm", post(crate::crm::import::handlers::confirm))
        .at("/imports/:id/cancel", post(crate::crm::import::handlers::cancel))
        .at("/deals/:id/stage", post(crate::crm::board::set_stage))
        .at("/currencies", get(crate::crm::currencies::index).post(crate::crm::currencies::create))
        .at("/dictionaries", get(crate::crm::dictionaries::home))
        .at("/dictionaries/:dict", get(crate::crm::dictionaries::list).post(crate::crm::dictionaries::create))
        .at("/dictionaries/:dict/:id", get(crate::crm::dictionaries::edit).post(crate::crm::dictionaries::update))
        .at("/dictionaries/:dict/:id/delete", post(crate::crm::dictionaries::delete))
        .at("/currencies/:id", get(crate::crm::currencies::show))
        .at("/currencies/:id/rates", post(crate::crm::currencies::add_rate))
        .at("/currencies/:id/role", post(crate::crm::currencies::set_role))
        .at("/deals/:id/outputs/new", get(crate::crm::lines::new))
        .at("/deals/:id/outputs", post(crate::crm::lines::create))
        .at("/deals/:id/outputs/:line/edit", get(crate::crm::lines::edit))
        .at("/deals/:id/outputs/:line", post(crate::crm::lines::update))
        .at("/deals/:id/outputs/:line/delete", post(crate::crm::lines::delete))
        .at("/deals/:id/quality/new", get(crate::crm::quality::new))
        .at("/deals/:id/quality", post(crate::crm::quality::create))
        .at("/deals/:id/quality/:event/edit", get(crate::crm::quality::edit))
        .at("/deals/:id/quality/:event", post(crate::crm::quality::update))
        .at("/deals/:id/quality/:event/delete", post(crate::crm::quality::delete))
        .at("/deals/:id/work", get(crate::crm::deal_work::panel))
        .at("/analytics", get(crate::analytics::handlers::index))
        .at("/analytics/income", get(crate::analytics::handlers::income))
        .at("/analytics/funnel", get(crate::analytics::handlers::funnel))
        .at("/analytics/deals", get(crate::analytics::handlers::deals))
        .at("/analytics/requests", get(crate::analytics::handlers::requests))
        .at("/analytics/lead-sources", get(crate::analytics::handlers::lead_sources))
        .at("/analytics/conversion", get(crate::analytics::handlers::conversion))
        .at("/analytics/sales", get(crate::analytics::handlers::sales))
        .at("/analytics/closing-reasons", get(crate::analytics::handlers::closing_reasons))
        .at("/analytics/:report/export", get(crate::analytics::export::export))
        .at("/analytics/income/snapshots", post(crate::analytics::snapshots::create))
        .at("/analytics/income/snapshots/:id", get(crate::analytics::snapshots::show))
        .at("/shipments", get(crate::crm::shipments::index))
        .at("/shipments/total", get(crate::crm::shipments::total))
        .at("/shipments/:id/edit", get(crate::crm::shipments::edit))
        .at("/shipments/:id", post(crate::crm::shipments::update))
        .at("/payments", get(crm::index).post(crm::create))
        .at("/payments/total", get(crm::total))
        .at("/payments/sum", get(crate::crm::payments::sum_line))
        .at("/payments/pick", get(crm::pick))
        .at("/payments/new", get(crm::new))
        .at("/payments/:id", get(crm::show).post(crm::update))
        .at("/payments/:id/edit", get(crm::edit))
        .at("/products", get(crm::index).post(crm::create))
        .at("/products/total", get(crm::total))
        .at("/products/pick", get(crm::pick))
        .at("/products/new", get(crm::new))
        .at("/products/:id", get(crm::show).post(crm::update))
        .at("/products/:id/edit", get(crm::edit))
        .at("/deals", get(crm::index).post(crm::create))
        .at("/deals/total", get(crm::total))
        .at("/deals/pick", get(crm::pick))
        .at("/deals/export", get(crate::crm::export::export))
        .at("/deals/new", get(crm::new))
        .at("/deals/:id", get(crm::show).post(crm::update))
        .at("/deals/:id/edit", get(crm::edit))
        .at("/requests", get(crate::requests::list::index).post(crate::requests::page::create))
        .at("/requests/total", get(crate::requests::list::count))
        .at("/requests/pick", get(crm::pick))
        .at("/requests/new", get(crate::requests::page::new))
        .at("/requests/:id", get(crm::show).post(crate::requests::page::update))
        .at("/requests/:id/edit", get(crm::edit))
        .at("/requests/:id/deal", post(crate::requests::page::create_deal))
        .at("/requests/:id/close", post(crate::requests::page::close))
        .at("/requests/:id/activate", post(crate::requests::page::activate))
        .at("/emails", get(crate::emails::list::index))
        .at("/emails/total", get(crate::emails::list::count))
        .at("/emails/new", get(crate::emails::compose::new).post(crate::emails::compose::create))
        .at("/emails/:id/reply", get(crate::emails::compose::reply_form))
        .at("/emails/:id/send", post(crate::emails::compose::send_again))
        .at("/emails/:id", get(crm::show).post(crm::update))
        .at("/emails/:id/edit", get(crm::edit))
        .at("/emails/:id/original", get(crate::emails::page::view_original))
        .at("/emails/:id/download", get(crate::emails::page::download))
        .at("/emails/:id/inline/:cid", get(crate::emails::inline::image))
        .at("/signatures", get(crate::emails::signatures::index).post(crate::emails::signatures::create))
        .at("/signatures/:id/edit", get(crate::emails::signatures::edit))
        .at("/signatures/:id", post(crate::emails::signatures::update))
        .at("/signatures/:id/delete", post(crate::emails::signatures::delete))
        .at("/add-request/", post(intake::add_request))
        .at("/contact-form/:token/", get(intake::form).post(intake::submit))
        .at("/contact-form/:token/embed.js", get(intake::embed))
        .at("/admin/stop-phrases", get(intake_admin::index).post(intake_admin::add))
        .at("/admin/stop-phrases/:id/delete", post(intake_admin::remove))
        .at("/admin/banned-company-names", get(intake_admin::index).post(intake_admin::add))
        .at("/admin/banned-company-names/:id/delete", post(intake_admin::remove))
        .at("/admin/public-email-domains", get(intake_admin::index).post(intake_admin::add))
        .at("/admin/public-email-domains/:id/delete", post(intake_admin::remove))
        .at("/requests/stop-phrases", get(intake_admin::index).post(intake_admin::add))
        .at("/requests/stop-phrases/:id/delete", post(intake_admin::remove))
        .at("/requests/public-email-domains", get(intake_admin::index).post(intake_admin::add))
        .at("/requests/public-email-domains/:id/delete", post(intake_admin::remove))
        .around(security::csrf)
        .around(security::admin_area)
        .around(auth::session::layer)
        .around(error_pages)
        .around(security::headers)
        .data(state)
}

/// The pages and actions every kind's objects share (`items::ItemPath` reads the kind from the URL):
/// chat, reminders and history as its descriptor names them, and delete.
fn shared_item_routes(mut route: Route) -> Route {
    use crate::chat::handlers as chat;
    use crate::items::handlers as items;
    use crate::paths::{Sub, pattern, shared_subs};
    use crate::reminders::handlers as reminders;
    for k in &crate::kinds::KINDS {
        for sub in shared_subs(k.kind) {
            let at = pattern(k.kind, Some(sub));
            route = match sub {
                Sub::Chat => route.at(at, get(chat::panel).post(chat::post)),
                Sub::Reminders => route.at(at, post(reminders::create)),
                Sub::History => route.at(at, get(items::history)),
                Sub::Delete => route.at(at, get(items::confirm).post(items::delete)),
                Sub::Edit | Sub::Stage | Sub::TaskButton => route,
            };
        }
    }
    route
}

#[handler]
async fn home(state: Data<&AppState>, viewer: Viewer, hx: HxRequest) -> AppResult<Response> {
    // Only the rows the panels show, and whether their lists run past a page: see `tasks::repo::assigned`
    // and `memos::repo::first`.
    let tasks = crate::tasks::repo::assigned(&state.db, viewer.id, views::home::SHOWN as u64).await?;
    let to_me = crate::memos::model::MemoFilter { role: "to-me".into(), stage: "pending".into(), ..Default::default() };
    let memos = crate::memos::repo::first(&state.db, &viewer, &to_me, views::home::SHOWN as u64).await?;
    let mut cx = web::page_cx(&state, &viewer, Nav::Home, hx).await?;
    if hx.0 {
        // The notifications card shows the count: its live region asks for it as a fragment.
        cx.unread = crate::notifications::unread_count(&state.db, viewer.id).await?;
    }
    let work = views::home::Work { tasks: &tasks, memos: &memos, today: crate::time::today() };
    Ok(views::home::index(&cx, &work).into_response())
}

/// `GET /nav/counts`: the menu's counters (§3.4), as out-of-band swaps into their entries.
#[handler]
async fn nav_counts(
    state: Data<&AppState>,
    viewer: Viewer,
    web::Query(q): web::Query<std::collections::HashMap<String, String>>,
) -> AppResult<Response> {
    let only = q.get("only").and_then(|s| crate::kinds::by_slug(s));
    let deals = crate::access::reads_crm(&viewer, crate::access::ItemKind::Deal);
    let mut counts = crate::counters::of(&state.db, viewer.id, crate::time::today(), only, deals).await?;
    let requests = crate::access::reads_crm(&viewer, crate::access::ItemKind::Request);
    if requests && only.is_none_or(|k| k == crate::access::ItemKind::Request) {
        counts.requests = crate::requests::list::pending_count(&state.db, &viewer, crate::time::today()).await?;
    }
    let emails = crate::access::reads_crm(&viewer, crate::access::ItemKind::Email);
    if emails && only.is_none_or(|k| k == crate::access::ItemKind::Email) {
        let n = crate::emails::list::outbox_count(&state.db, &viewer).await?;
        counts.emails = crate::counters::Count { all: n, overdue: n };
    }
    Ok(views::layout::nav_counts(&counts, only, deals, requests, emails).into_response())
}

/// 200 when the database answers, 503 otherwise.
#[handler]
async fn healthz(state: Data<&AppState>) -> Response {
    match state.db.execute_raw("SELECT 1").await {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

fn title_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "Bad request",
        401 => "Please log in",
        403 => "Not allowed",
        404 => "Not found",
        405 => "Method not allowed",
        409 => "Conflict",
        408 => "Too slow",
        413 => "Too large",
        422 => "Invalid input",
        429 => "Too many requests",
        _ => "Something went wrong",
    }
}

/// Maps every error to a status and a readable page (or an htmx toast): the one place errors become HTML.
async fn error_pages<E: Endpoint>(ep: Arc<E>, req: Request) -> poem::Result<Response> {
    let hx = req.header("HX-Request") == Some("true");
    let boosted = req.header("HX-Boosted") == Some("true");
    let wants_html = req.header(header::ACCEPT).is_none_or(|a| a.contains("text/html") || a.contains("*/*"));
    let path_and_query = req.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
    let is_get = req.method() == poem::http::Method::GET;
    let err = match ep.call(req).await {
        Ok(r) => return Ok(r.into_response()),
        Err(e) => e,
    };
    let retry_after = err.downcast_ref::<AppError>().and_then(AppError::retry_after);
    let (status, message) = match err.downcast_ref::<AppError>() {
        Some(app) => {
            if app.status().is_server_error() {
                tracing::error!(error = ?app, "request failed");
            }
            (app.status(), app.public_message())
        }
        None => {
            let s = err.status();
            let m = match s.as_u16() {
                404 => AppError::NotFound.public_message(),
                405 => "This address does not accept that kind of request.".into(),
                408 => "The request did not arrive in time. Check your connection and try again.".into(),
                413 => "The request is too large.".into(),
                s if s >= 500 => {
                    tracing::error!(error = %err, "request failed");
                    AppError::Other(anyhow::anyhow!("internal")).public_message()
                }
                _ => format!("The request could not be processed: {err}"),
            };
            (s, m)
        }
    };
    // Not logged in: a person navigating is sent to the login page and comes back afterwards.
    if status == StatusCode::UNAUTHORIZED && (wants_html || hx) {
        let next = if is_get { path_and_query } else { "/".into() };
        let to =
            format!("/login?next={}", percent_encoding::utf8_percent_encode(&next, percent_encoding::NON_ALPHANUMERIC));
        let mut r = if hx {
            Response::builder().status(StatusCode::UNAUTHORIZED).finish()
        } else {
            Response::builder().status(StatusCode::SEE_OTHER).header(header::LOCATION, to.clone()).finish()
        };
        if hx && let Ok(v) = HeaderValue::from_str(&to) {
            r.headers_mut().insert("HX-Redirect", v);
        }
        return Ok(r);
    }
    let mut r = if hx && !boosted {
        let mut r = views::ui::toast("error", &message).into_response();
        r.headers_mut().insert("HX-Retarget", HeaderValue::from_static("#toasts"));
        r.headers_mut().insert("HX-Reswap", HeaderValue::from_static("beforeend"));
        r
    } else if !wants_html {
        message.into_response()
    } else {
        views::errors::page(status.as_u16(), title_for(status), &message, None).into_response()
    };
    r.set_status(status);
    Ok(match retry_after {
        Some(wait) => web::too_many_requests(r, wait),
        None => r,
    })
}

#[cfg(test)]
#[path = "routes_tests.rs"]
mod tests;
