//! Global search. "ID 123" (or "#123", or a bare number) looks the id up in every object kind the
//! viewer may see, and opens it when exactly one matches; words search the titles (and memo and task
//! descriptions) of the memos, tasks and projects the viewer may see, through the same scoped list
//! queries as the list pages. Words also search the sales CRM's companies, contacts, leads, deals and
//! products through their lists' search (§10, `crm::search`): the first 20 of each kind, with a link
//! to the kind's list (paginated) when there are more. Each domain adds its kind here.

use poem::web::Data;
use poem::{IntoResponse, Response, handler};
use serde::Deserialize;

use crate::access::{self, Action, ItemKind, Object, Viewer};
use crate::app::AppState;
use crate::error::AppResult;
use crate::htmx::{self, HxRequest};
use crate::paths;
use crate::users::model::UserFilter;
use crate::views;
use crate::views::layout::Nav;
use crate::views::search::Hit;
use crate::web::{self, Query};

#[derive(Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// `"ID 123"`, `"id:123"`, `"#123"` or `"123"` → 123.
pub fn parse_id(q: &str) -> Option<i64> {
    let t = q.trim();
    let lower = t.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("id")
        .map(|r| r.trim_start_matches([':', ' ', '#']))
        .or_else(|| lower.strip_prefix('#'))
        .unwrap_or(&lower);
    rest.trim().parse::<i64>().ok().filter(|n| *n > 0)
}

/// Hits, and links to the lists that hold more of them (label, URL).
async fn hits(state: &AppState, v: &Viewer, q: &str) -> AppResult<(Vec<Hit>, Vec<(String, String)>)> {
    let mut out = Vec::new();
    if let Some(id) = parse_id(q) {
        for kind in CRM_KINDS.into_iter().chain([ItemKind::Task, ItemKind::Memo, ItemKind::Project]) {
            // Only what the viewer may see: anything else is as if it did not exist.
            if let Ok(it) = crate::items::load(&state.db, v, kind, id, Action::View).await {
                out.push(Hit { kind: kind.label(), title: it.title.clone(), url: it.url() });
            }
        }
        if access::can(v, Action::List, &Object::Users)
            && let Ok(u) = crate::users::repo::get(&state.db, id).await
        {
            out.push(Hit {
                kind: "User",
                title: format!("{} ({})", u.full_name(), u.username),
                url: format!("/admin/users/{id}"),
            });
        }
        return Ok((out, Vec::new()));
    }
    // The sales CRM's kinds: each list's own search (§10), in the viewer's scope, every owner. The
    // kinds' searches run at once (each on its own connection): one after the other they took
    // 40–60 ms for a common word in a chief's scope at scale 10.
    let crm = CRM_KINDS.into_iter().filter_map(|kind| {
        let spec = crate::crm::handlers::spec(kind)?;
        access::reads_crm(v, kind).then_some((kind, spec))
    });
    let crm = futures_util::future::try_join_all(crm.map(|(kind, spec)| async move {
        let f = crate::crm::list::Filter { q: q.to_string(), owner: "all".into(), ..Default::default() };
        // One more than shown tells whether the list holds more.
        let rows = crate::crm::list::first(&state.db, v, spec, &f, PER_KIND as u64 + 1).await?;
        AppResult::Ok((kind, spec, f, rows))
    }));
    let tasks = async {
        let f = crate::tasks::model::TaskFilter { q: q.to_string(), show: "all".into(), ..Default::default() };
        AppResult::Ok(crate::tasks::repo::list(&state.db, v, &f).await?.items)
    };
    let memos = async {
        let f = crate::memos::model::MemoFilter { q: q.to_string(), ..Default::default() };
        AppResult::Ok(crate::memos::repo::list(&state.db, v, &f).await?.items)
    };
    let projects = async {
        let f = crate::projects::repo::ProjectFilter { q: q.to_string(), show: "all".into(), ..Default::default() };
        AppResult::Ok(crate::projects::repo::list(&state.db, v, &f).await?.items)
    };
    let users = async {
        if !access::can(v, Action::List, &Object::Users) {
            return AppResult::Ok(Vec::new());
        }
        let f = UserFilter { q: q.to_string(), status: "all".into(), ..Default::default() };
        AppResult::Ok(crate::users::repo::list(&state.db, v, &f).await?.items)
    };
    let (crm, tasks, memos, projects, users) = tokio::try_join!(crm, tasks, memos, projects, users)?;
    let mut more = Vec::new();
    for (kind, spec, f, rows) in crm {
        if rows.len() > PER_KIND {
            let info = kind.info();
            more.push((format!("All {} matching", info.plural.to_lowercase()), format!("{}{}", info.path, f.query(1))));
        }
        out.extend(rows.iter().take(PER_KIND).map(|r| Hit {
            kind: kind.label(),
            title: spec.title_of(r),
            url: paths::item(kind, r.id),
        }));
    }
    out.extend(tasks.into_iter().take(PER_KIND).map(|t| Hit {
        kind: "Task",
        url: paths::item(ItemKind::Task, t.id),
        title: t.name,
    }));
    out.extend(memos.into_iter().take(PER_KIND).map(|m| Hit {
        kind: "Memo",
        url: paths::item(ItemKind::Memo, m.id),
        title: m.name,
    }));
    out.extend(projects.into_iter().take(PER_KIND).map(|p| Hit {
        kind: "Project",
        url: paths::item(ItemKind::Project, p.id),
        title: p.name,
    }));
    out.extend(users.into_iter().take(PER_KIND).map(|u| Hit {
        kind: "User",
        title: format!("{} ({})", u.full_name(), u.username),
        url: format!("/admin/users/{}", u.id),
    }));
    Ok((out, more))
}

/// The sales CRM's kinds global search looks in.
const CRM_KINDS: [ItemKind; 6] =
    [ItemKind::Request, ItemKind::Company, ItemKind::Contact, ItemKind::Lead, ItemKind::Deal, ItemKind::Product];

/// Hits shown per kind of object.
const PER_KIND: usize = 20;

#[handler]
pub async fn search(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Query(sq): Query<SearchQuery>,
) -> AppResult<Response> {
    let q = sq.q.trim().chars().take(200).collect::<String>();
    let (found, more) = if q.is_empty() { (Vec::new(), Vec::new()) } else { hits(&state, &viewer, &q).await? };
    // An exact id that matches one object opens it directly.
    if parse_id(&q).is_some() && found.len() == 1 {
        return Ok(htmx::redirect(HxRequest(false), &found[0].url));
    }
    let cx = web::page_cx(&state, &viewer, Nav::Search, hx).await?;
    Ok(views::search::results(&cx, &q, &found, &more).into_response())
}

#[cfg(test)]
mod tests {
    use super::parse_id;

    #[test]
    fn understands_id_forms() {
        for q in ["ID 123", "id:123", "#123", "123", " Id 123 "] {
            assert_eq!(parse_id(q), Some(123), "{q}");
        }
        assert_eq!(parse_id("invoice 123"), None);
        assert_eq!(parse_id("ID -4"), None);
    }
}
