//! The page shell: top bar (search, live bell, user menu), grouped navigation, content, toasts.

use maud::{DOCTYPE, Markup, html};

use crate::access::{self, ItemKind, Section, Viewer};
use crate::assets;
use crate::htmx::HxRequest;
use crate::paths;
use crate::views::ui::icon;

/// Which navigation entry is current.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nav {
    Home,
    Memos,
    Tasks,
    Projects,
    Reminders,
    Users,
    Departments,
    Notifications,
    Profile,
    Search,
    /// The CRM's dictionaries (`crm::dictionaries`).
    Dictionaries,
    /// A sales CRM list or page.
    Crm(crate::access::ItemKind),
    /// The Shipments list (§13.6).
    Shipments,
    /// The analytics reports (§5).
    Analytics,
}

/// Everything the shell needs, built once per request.
pub struct PageCx<'a> {
    pub viewer: &'a Viewer,
    pub unread: i64,
    pub nav: Nav,
    pub hx: HxRequest,
}

/// The htmx configuration: swap 422 responses (re-rendered forms) and errors (the error layer
/// retargets them to a toast, or answers a boosted navigation with a whole error page); no eval,
/// no inline styles. No history cache: Back and Forward ask the server for the page as it is now
/// (a snapshot would bring back filter rows under reset dropdowns, or a filled "new" form that was
/// already saved).
const HTMX_CONFIG: &str = r#"{"includeIndicatorStyles":false,"allowEval":false,"allowScriptTags":false,"historyRestoreAsHxRequest":false,"historyCacheSize":0,"selfRequestsOnly":true,"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"422","swap":true},{"code":"[45]..","swap":true,"error":true}]}"#;

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="htmx-config" content=(HTMX_CONFIG);
            title { (title) " · FerroCRM" }
            link rel="stylesheet" href=(assets::url("app.css"));
            link rel="icon" href=(assets::url("icons.svg"));
            script src=(assets::url("htmx.min.js")) defer {}
            script src=(assets::url("htmx-ext-sse.js")) defer {}
            script src=(assets::url("app.js")) defer {}
            script src=(assets::url("picker.js")) defer {}
            script src=(assets::url("board.js")) defer {}
            script src=(assets::url("charts.js")) defer {}
        }
    }
}

/// The whole page for a logged-in user (also for boosted navigation, which swaps the body), or only
/// `body` when htmx asked for a fragment.
pub fn page(cx: &PageCx<'_>, title: &str, body: Markup) -> Markup {
    if cx.hx.0 {
        return html! { title { (title) " · FerroCRM" } (body) };
    }
    let v = cx.viewer;
    let csrf_headers = format!(r#"{{"X-CSRF-Token":"{}"}}"#, v.csrf);
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body.app hx-boost="true" hx-headers=(csrf_headers) hx-ext="sse" sse-connect="/events" data-tz=(v.tz.name()) {
                a.sr-only href="#main" { "Skip to content" }
                header.topbar {
                    button.nav-toggle type="button" aria-label="Open navigation" { (icon("menu")) }
                    a.brand href="/" { (icon("briefcase")) span { "FerroCRM" } }
                    form.search action="/search" method="get" role="search" hx-boost="true" {
                        (icon("search"))
                        input type="search" name="q" placeholder="Search or ID 123" aria-label="Search";
                    }
                    div.topbar-right {
                        (bell(cx.unread))
                        (user_menu(v))
                    }
                }
                div.shell {
                    div.nav-backdrop {}
                    (sidebar(v, cx.nav))
                    main #main.content tabindex="-1" { (body) }
                }
                div #toasts.toasts aria-live="polite" {}
            }
        }
    }
}

/// The bell: unread count, a live region (`views::live`) refreshed on `notice` and `resync` events.
pub fn bell(unread: i64) -> Markup {
    let label = if unread == 0 { "Notifications".to_string() } else { format!("Notifications ({unread} unread)") };
    html! {
        // Named by its text (the visible count is part of the name, as speech input expects).
        a #bell .bell .has-unread[unread > 0] href="/notifications" title=(label)
            data-live="/notifications/bell" data-live-on=(crate::events::names::NOTICE) {
            (icon("bell"))
            span.sr-only { "Notifications " }
            @if unread > 0 {
                span.badge data-count=(unread) { (if unread > 99 { "99+".to_string() } else { unread.to_string() }) }
                span.sr-only { " unread" }
            }
        }
    }
}

fn initials(name: &str) -> String {
    name.split_whitespace().filter_map(|w| w.chars().next()).take(2).collect::<String>().to_uppercase()
}

fn user_menu(v: &Viewer) -> Markup {
    html! {
        details.user-menu {
            // Named by its text (an aria-label would hide the visible name from speech input).
            summary {
                span.avatar aria-hidden="true" { (initials(&v.display_name)) }
                span.sr-only { "Account menu: " }
                span.user-name { (v.display_name) }
            }
            div.menu {
                a.menu-item href="/profile" { (icon("user")) "Profile" }
                a.menu-item href="/profile/password" { (icon("key")) "Change password" }
                a.menu-item href="/mail-accounts" { (icon("mail")) "Mail accounts" }
                form method="post" action="/logout" hx-boost="false" {
                    input type="hidden" name="csrf_token" value=(v.csrf);
                    button.menu-item type="submit" { (icon("logout")) "Log out" }
                }
            }
        }
    }
}

fn link(href: &str, ico: &str, text: &str, active: bool) -> Markup {
    link_counted(href, ico, text, active, None)
}

/// A menu entry with a counter (`count`: which one), filled by `GET /nav/counts` after the page
/// is shown and refreshed live (its own live region) when its kind changes.
fn link_counted(href: &str, ico: &str, text: &str, active: bool, count: Option<crate::access::ItemKind>) -> Markup {
    html! {
        a.nav-link.active[active] href=(href) aria-current=[active.then_some("page")] {
            (icon(ico)) span { (text) }
            @if let Some(kind) = count {
                span.nav-count id=(format!("nav-count-{}s", kind.slug())) data-live=(format!("/nav/counts?only={}", kind.slug()))
                    data-live-on=(crate::events::names::kind_changed(kind)) data-live-delay="300" {}
            }
        }
    }
}

fn count_badge(kind: crate::access::ItemKind, c: crate::counters::Count, what: &str, oob: bool) -> Markup {
    let show = |n: u64| if n > crate::counters::CAP { format!("{}+", crate::counters::CAP) } else { n.to_string() };
    html! {
        // Out of band for the first fill only: a live region's answer is swapped by id, and an
        // out-of-band element inside it would be moved away, leaving nothing in its place.
        span.nav-count id=(format!("nav-count-{}s", kind.slug())) hx-swap-oob=[oob.then_some("true")] data-live=(format!("/nav/counts?only={}", kind.slug()))
            data-live-on=(crate::events::names::kind_changed(kind)) data-live-delay="300" {
            @if c.overdue > 0 && c.overdue < c.all {
                span.badge.badge-danger title=(format!("{} {what} {}", show(c.overdue), if kind == crate::access::ItemKind::Request { "received before today" } else { "with the next step overdue" })) { (show(c.overdue)) }
                span.badge title=(format!("{} {what} in all", show(c.all))) { (show(c.all)) }
            } @else if c.overdue > 0 {
                span.badge.badge-danger title=(format!("{} {what}", show(c.overdue))) { (show(c.overdue)) }
            } @else if c.all > 0 {
                span.badge title=(format!("{} {what}", show(c.all))) { (show(c.all)) }
            }
        }
    }
}

/// The answer of `GET /nav/counts`: the counters asked for (`None`: all), each swapped into its
/// menu entry out of band (or by its live region, which picks it by id).
/// Only the counters the viewer's menu has (`deals`: the Deals entry): an out-of-band swap with no
/// target is an error in the browser.
pub fn nav_counts(
    c: &crate::counters::Counts,
    only: Option<crate::access::ItemKind>,
    deals: bool,
    requests: bool,
    emails: bool,
) -> Markup {
    use crate::access::ItemKind::{Deal, Email, Memo, Request, Task};
    let want =
        |k| only.is_none_or(|o| o == k) && (k != Deal || deals) && (k != Request || requests) && (k != Email || emails);
    let oob = only.is_none();
    html! {
        @if want(Task) { (count_badge(Task, c.tasks, "active tasks of yours", oob)) }
        @if want(Memo) { (count_badge(Memo, c.memos, "memos waiting for you", oob)) }
        @if want(Deal) { (count_badge(Deal, c.deals, "active deals of yours", oob)) }
        @if want(Request) { (count_badge(Request, c.requests, "pending requests", oob)) }
        @if want(Email) { (count_badge(Email, c.emails, "unsent drafts of yours (outbox)", oob)) }
    }
}

fn sidebar(v: &Viewer, nav: Nav) -> Markup {
    html! {
        nav.sidebar aria-label="Main" {
            // Fills the menu's counters once the page is shown (out-of-band swaps into each entry);
            // each counter then follows its kind live.
            span.nav-counts hidden hx-get="/nav/counts" hx-swap="none" hx-trigger="load" {}
            div.nav-group {
                (link("/", "home", "Home", nav == Nav::Home))
                (link("/notifications", "bell", "Notifications", nav == Nav::Notifications))
            }
            @for s in access::sections(v) {
                @match s {
                    Section::Tasks => div.nav-group {
                        h2.nav-title { "Tasks" }
                        (link_counted(paths::list(ItemKind::Memo), "mail", "Memos", nav == Nav::Memos, Some(ItemKind::Memo)))
                        (link_counted(paths::list(ItemKind::Task), "clipboard", "Tasks", nav == Nav::Tasks, Some(ItemKind::Task)))
                        (link(paths::list(ItemKind::Project), "briefcase", "Projects", nav == Nav::Projects))
                        (link(paths::REMINDERS, "bell", "My reminders", nav == Nav::Reminders))
                    },
                    Section::Crm => div.nav-group {
                        h2.nav-title { "Sales" }
                        @for k in crate::kinds::KINDS.iter().filter(|k| crate::crm::handlers::spec(k.kind).is_some() && access::reads_crm(v, k.kind)) {
                            (link_counted(k.path, if matches!(k.kind, crate::access::ItemKind::Request | crate::access::ItemKind::Email) { "mail" } else { "building" }, k.plural, nav == Nav::Crm(k.kind), matches!(k.kind, crate::access::ItemKind::Deal | crate::access::ItemKind::Request | crate::access::ItemKind::Email).then_some(k.kind)))
                        }
                        @if access::reads_shipments(v) {
                            (link(crate::crm::shipments::PATH, "truck", "Shipments", nav == Nav::Shipments))
                        }
                        @if access::reads_analytics(v) {
                            (link("/analytics", "chart", "Analytics", nav == Nav::Analytics))
                        }
                        @if crate::crm::dictionaries::manages_any(v) {
                            (link("/dictionaries", "copy", "Dictionaries", nav == Nav::Dictionaries))
                        }
                    },
                    Section::Admin => div.nav-group {
                        h2.nav-title { "Admin" }
                        (link("/admin/users", "users", "Users", nav == Nav::Users))
                        (link("/admin/departments", "building", "Departments", nav == Nav::Departments))
                    },
                }
            }
        }
    }
}

/// A page for visitors who are not logged in (login, errors before login).
pub fn public_page(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body.auth { main.auth-card { (body) } }
        }
    }
}

/// A bare page for errors, with or without a logged-in user (no database access needed).
pub fn error_shell(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body.app {
                header.topbar { a.brand href="/" { (icon("briefcase")) span { "FerroCRM" } } }
                main #main.content { (body) }
                div #toasts.toasts aria-live="polite" {}
            }
        }
    }
}
