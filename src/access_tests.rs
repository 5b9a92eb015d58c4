//! The access rules' golden tables and audience checks (`access::tests`).

use super::*;

/// Golden table: role × relationship × object × action → allowed. Relationship "self" means the
/// object belongs to the viewer (id 1); "other" means someone else's (id 2).
/// Later issues append their rows; a change in any answer must show up here as a diff.
const GOLDEN: &[(&str, &str, &str, &str, bool)] = &[
    // role, relationship, object, action, allowed
    ("admin", "other", "user", "view", true),
    ("admin", "other", "user", "edit", true),
    ("admin", "other", "user", "delete", false),
    ("admin", "-", "users", "list", true),
    ("admin", "-", "users", "create", true),
    ("admin", "-", "departments", "list", true),
    ("admin", "other", "department", "edit", true),
    ("admin", "other", "history", "view", true),
    ("admin", "other", "notification", "view", false),
    ("admin", "self", "notification", "view", true),
    ("chief", "other", "user", "view", false),
    ("chief", "self", "user", "view", true),
    ("chief", "self", "user", "edit", true),
    ("chief", "-", "users", "list", false),
    ("chief", "-", "departments", "list", false),
    ("chief", "other", "history", "view", false),
    ("chief", "self", "notification", "edit", true),
    ("chief", "other", "notification", "view", false),
];

fn role_set(name: &str) -> Vec<Role> {
    Role::from_slug(name).into_iter().collect()
}

fn object(kind: &str, rel: &str) -> Object<'static> {
    let id = if rel == "self" { 1 } else { 2 };
    match kind {
        "user" => Object::User { id },
        "users" => Object::Users,
        "department" => Object::Department { id },
        "departments" => Object::Departments,
        "history" => Object::History { kind: "user", id },
        "notification" => Object::Notification { user_id: id },
        other => unreachable!("unknown object kind {other}"),
    }
}

fn action(a: &str) -> Action {
    match a {
        "list" => Action::List,
        "view" => Action::View,
        "create" => Action::Create,
        "edit" => Action::Edit,
        "delete" => Action::Delete,
        other => unreachable!("unknown action {other}"),
    }
}

#[test]
fn golden_table_holds() {
    let mut wrong = Vec::new();
    for &(role, rel, kind, act, allowed) in GOLDEN {
        let v = viewer_with(1, &role_set(role));
        if can(&v, action(act), &object(kind, rel)) != allowed {
            wrong.push(format!("{role} {rel} {kind} {act}: expected {allowed}"));
        }
    }
    assert!(wrong.is_empty(), "golden table mismatches:\n{}", wrong.join("\n"));
}

#[test]
fn mail_accounts_are_their_owners_and_administrators_only() {
    let actions = [Action::List, Action::View, Action::Create, Action::Edit, Action::Delete];
    for r in Role::ALL {
        let v = viewer_with(1, &[r]);
        let admin = r == Role::Admin;
        for a in actions {
            assert!(can(&v, a, &Object::MailAccount { owner: 1 }), "{r:?} {a:?} own");
            assert_eq!(can(&v, a, &Object::MailAccount { owner: 2 }), admin, "{r:?} {a:?} other");
        }
        assert!(!can(&v, Action::Chat, &Object::MailAccount { owner: 1 }));
        // The co-owner runs the import, and sees nothing else.
        assert!(runs_mail_import(&v, 2, Some(1)));
        assert_eq!(runs_mail_import(&v, 2, Some(3)), admin);
        let aud = audience(&Object::MailAccount { owner: 1 });
        assert!(aud.users.contains(&1));
        let mut q = sea_query::Query::select();
        q.column("id").from("mail_accounts");
        scope(&v, ListKind::MailAccounts, &mut q).unwrap();
        let sql = q.to_string(sea_query::SqliteQueryBuilder);
        assert_eq!(sql.contains("\"owner_id\" = 1"), !admin, "{r:?}: {sql}");
    }
}

#[test]
fn every_non_admin_role_is_denied_user_management() {
    for r in Role::ALL.into_iter().filter(|r| *r != Role::Admin) {
        let v = viewer_with(1, &[r]);
        assert!(!can(&v, Action::List, &Object::Users), "{r:?}");
        assert!(!can(&v, Action::Edit, &Object::User { id: 2 }), "{r:?}");
        assert!(!sections(&v).contains(&Section::Admin), "{r:?}");
    }
}

#[test]
fn audience_matches_view_permission() {
    let objs = [Object::User { id: 2 }, Object::Users, Object::Departments, Object::Notification { user_id: 2 }];
    for r in Role::ALL {
        for id in [1, 2] {
            let v = viewer_with(id, &[r]);
            for o in &objs {
                let a = if matches!(o, Object::Users | Object::Departments) { Action::List } else { Action::View };
                assert_eq!(audience(o).includes(&v), can(&v, a, o), "{r:?} {id} {o:?}");
            }
        }
    }
}

/// Renders `can` for every role × relationship × item variant × action, one line each.
fn item_matrix() -> String {
    let variants: [(&str, Item); 9] = {
        let base = Item {
            kind: ItemKind::Memo,
            rel: Rel::default(),
            department: None,
            draft: false,
            locked: false,
            team: false,
            subtask: false,
            related: false,
        };
        [
            ("memo", base),
            ("memo-draft", Item { draft: true, ..base }),
            ("memo-considered", Item { locked: true, ..base }),
            ("task", Item { kind: ItemKind::Task, ..base }),
            ("team-task", Item { kind: ItemKind::Task, team: true, ..base }),
            ("subtask", Item { kind: ItemKind::Task, subtask: true, ..base }),
            ("subtask-of-mine", Item { kind: ItemKind::Task, subtask: true, related: true, ..base }),
            ("main-task-of-mine", Item { kind: ItemKind::Task, related: true, ..base }),
            ("project", Item { kind: ItemKind::Project, ..base }),
        ]
    };
    let rels: [(&str, Option<PRole>); 6] = [
        ("owner", Some(PRole::Owner)),
        ("co-owner", Some(PRole::CoOwner)),
        ("recipient", Some(PRole::Recipient)),
        ("responsible", Some(PRole::Responsible)),
        ("subscriber", Some(PRole::Subscriber)),
        ("none", None),
    ];
    let actions = [
        ("view", Action::View),
        ("edit", Action::Edit),
        ("delete", Action::Delete),
        ("stage", Action::ChangeStage),
        ("chat", Action::Chat),
        ("subtask", Action::CreateSubtask),
        ("from-memo", Action::CreateFromMemo),
        ("assign", Action::AssignPeople),
        ("complete", Action::Complete),
    ];
    let mut roles: Vec<(&str, Vec<Role>)> = vec![("(no role)", vec![])];
    roles.extend(Role::ALL.iter().map(|r| (r.slug(), vec![*r])));
    let mut out = String::from(
        "# role | relationship | object | allowed actions (generated by access::tests; review every diff)\n",
    );
    for (rname, rs) in &roles {
        for (relname, rel) in &rels {
            for (vname, item) in &variants {
                let item = Item { rel: rel.map(|r| Rel::of(&[r])).unwrap_or_default(), ..*item };
                let v = viewer_with(1, rs);
                let allowed: Vec<&str> =
                    actions.iter().filter(|(_, a)| can(&v, *a, &Object::Item(item))).map(|(n, _)| *n).collect();
                out.push_str(&format!(
                    "{rname} | {relname} | {vname} | {}\n",
                    if allowed.is_empty() { "-".to_string() } else { allowed.join(" ") }
                ));
            }
        }
    }
    out
}

/// The Tasks-section golden table: `src/access_golden.txt` must equal what `can` answers.
/// After an intended rule change, run with FERROCRM_UPDATE_GOLDEN=1 and review the diff.
#[test]
fn item_golden_table_holds() {
    golden_file_holds("access_golden.txt", &item_matrix());
}

/// Renders `can` for the sales CRM's kinds: every role (and a superoperator) × owner / co-owner /
/// neither × the viewer's department or another × kind × action.
fn crm_matrix() -> String {
    use ItemKind::*;
    let kinds = [Company, Contact, Lead, Deal, Payment, Product, Request, Email];
    // (name, participant role, the viewer owns the row's deal (emails), received (emails)).
    let rels: [(&str, Option<PRole>, bool, bool); 6] = [
        ("owner", Some(PRole::Owner), false, false),
        ("co-owner", Some(PRole::CoOwner), false, false),
        ("none", None, false, false),
        ("deal owner", None, true, false),
        ("owner, received", Some(PRole::Owner), false, true),
        ("deal owner, received", None, true, true),
    ];
    let actions = [
        ("view", Action::View),
        ("create", Action::Create),
        ("edit", Action::Edit),
        ("stage", Action::ChangeStage),
        ("delete", Action::Delete),
        ("chat", Action::Chat),
    ];
    let mut viewers: Vec<(String, Viewer)> = vec![("(no role)".into(), crm_viewer(&[], &[10]))];
    viewers.extend(Role::ALL.iter().map(|r| (r.slug().to_string(), crm_viewer(&[*r], &[10]))));
    viewers.push(("operator of 10 and 11 (superoperator)".into(), crm_viewer(&[Role::Operator], &[10, 11])));
    viewers.push(("sales-manager without department".into(), crm_viewer(&[Role::SalesManager], &[])));
    let mut out =
        String::from("# role | relationship | department | object | allowed actions (generated; review every diff)\n");
    for (vname, v) in &viewers {
        for (relname, rel, deal_owner, received) in &rels {
            for (dname, dept) in [("department 10", 10), ("department 12", 12)] {
                for kind in kinds {
                    // The deal's owner and a received email exist for emails only.
                    if (*deal_owner || *received) && kind != Email {
                        continue;
                    }
                    let item = Item {
                        kind,
                        rel: rel.map(|r| Rel::of(&[r])).unwrap_or_default(),
                        department: Some(dept),
                        draft: false,
                        locked: *received,
                        team: false,
                        subtask: false,
                        related: *deal_owner,
                    };
                    let allowed: Vec<&str> =
                        actions.iter().filter(|(_, a)| can(v, *a, &Object::Item(item))).map(|(n, _)| *n).collect();
                    out.push_str(&format!(
                        "{vname} | {relname} | {dname} | {} | {}\n",
                        kind.slug(),
                        if allowed.is_empty() { "-".to_string() } else { allowed.join(" ") }
                    ));
                }
            }
        }
    }
    out
}

fn crm_viewer(roles: &[Role], departments: &[i64]) -> Viewer {
    Viewer { department_id: departments.first().copied(), departments: departments.to_vec(), ..viewer_with(1, roles) }
}

fn golden_file_holds(file: &str, now: &str) {
    let path = format!("{}/src/{file}", env!("CARGO_MANIFEST_DIR"));
    if std::env::var("FERROCRM_UPDATE_GOLDEN").is_ok() {
        std::fs::write(&path, now).unwrap();
    }
    let golden = std::fs::read_to_string(&path).unwrap_or_default();
    let diff: Vec<String> = golden
        .lines()
        .zip(now.lines())
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("golden: {a}\n   now: {b}"))
        .collect();
    assert!(
        diff.is_empty() && golden.lines().count() == now.lines().count(),
        "access rules changed ({file}):\n{}",
        diff.join("\n")
    );
}

/// The sales CRM's golden table: `src/access_golden_crm.txt` must equal what `can` answers.
#[test]
fn crm_golden_table_holds() {
    golden_file_holds("access_golden_crm.txt", &crm_matrix());
}

/// The analytics golden table (§3.1–3.2): `src/access_golden_analytics.txt`; `tests/it/analytics_access.rs`
/// drives the same routes over HTTP for the seeded users.
#[test]
fn analytics_golden_table_holds() {
    golden_file_holds("access_golden_analytics.txt", &analytics_matrix());
}

/// Live events about a CRM row reach exactly the viewers `can(View)` admits, in every
/// department arrangement.
#[test]
fn crm_audience_matches_view_permission() {
    use ItemKind::*;
    let mut viewers: Vec<Viewer> = Role::ALL.iter().map(|r| crm_viewer(&[*r], &[10])).collect();
    viewers.push(crm_viewer(&[Role::Operator], &[11, 10]));
    viewers.push(crm_viewer(&[Role::SalesManager, Role::Accountant], &[10]));
    viewers.push(crm_viewer(&[Role::SalesManager], &[]));
    viewers.push(crm_viewer(&[], &[10]));
    for kind in [Company, Contact, Lead, Deal, Payment, Product, Request, Email] {
        for dept in [10, 12] {
            let item = Item {
                kind,
                rel: Rel::default(),
                department: Some(dept),
                draft: false,
                locked: false,
                team: false,
                subtask: false,
                related: false,
            };
            let audience = crm_audience(kind, dept);
            for v in &viewers {
                assert_eq!(
                    audience.includes(v),
                    can(v, Action::View, &Object::Item(item)),
                    "{kind:?} in {dept}, {:?} of {:?}",
                    v.roles,
                    v.departments
                );
            }
        }
    }
}

#[test]
fn role_slugs_round_trip() {
    for r in Role::ALL {
        assert_eq!(Role::from_slug(r.slug()), Some(r));
    }
}

/// Inventory §3: PublicEmailDomain and StopPhrase are the operators' (and the administrators');
/// banned company names stay in the administrators' area.
#[test]
fn the_intake_lists_are_the_operators_and_administrators() {
    for r in Role::ALL {
        let v = viewer_with(1, &[r]);
        let keeps = matches!(r, Role::Admin | Role::Operator);
        assert_eq!(manages_intake_lists(&v), keeps, "{r:?}");
        assert_eq!(require_admin_area(&v).is_ok(), r == Role::Admin, "{r:?}");
    }
    let both = viewer_with(1, &[Role::SalesManager, Role::Operator]);
    assert!(manages_intake_lists(&both), "an operator who is also a manager");
}
