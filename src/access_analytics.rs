//! Who opens which analytics report, and whose data it counts (§3.1 "Analytics: 8 reports", §3.2).
//! The reports read the rules here; nothing else in `analytics` checks a role.

use super::{Role, Viewer};

/// The eight reports of §5, in menu order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Report {
    Income,
    Funnel,
    Sales,
    Requests,
    LeadSources,
    Conversion,
    ClosingReasons,
    Deals,
}

impl Report {
    pub const ALL: [Report; 8] = [
        Report::Income,
        Report::Funnel,
        Report::Sales,
        Report::Requests,
        Report::LeadSources,
        Report::Conversion,
        Report::ClosingReasons,
        Report::Deals,
    ];

    /// The last segment of the report's URL (`/analytics/<slug>`).
    pub fn slug(self) -> &'static str {
        match self {
            Report::Income => "income",
            Report::Funnel => "funnel",
            Report::Sales => "sales",
            Report::Requests => "requests",
            Report::LeadSources => "lead-sources",
            Report::Conversion => "conversion",
            Report::ClosingReasons => "closing-reasons",
            Report::Deals => "deals",
        }
    }

    /// The menu's name (§2.6).
    pub fn label(self) -> &'static str {
        match self {
            Report::Income => "Income Summary",
            Report::Funnel => "Sales funnel",
            Report::Sales => "Sales Report",
            Report::Requests => "Requests Summary",
            Report::LeadSources => "Lead source Summary",
            Report::Conversion => "Conversion Summary",
            Report::ClosingReasons => "Closing reason Summary",
            Report::Deals => "Deal Summary",
        }
    }

    pub fn from_slug(s: &str) -> Option<Report> {
        Report::ALL.into_iter().find(|r| r.slug() == s)
    }
}

/// §3.1: sales managers and chiefs see the eight reports, accountants the Income Summary only,
/// administrators everything. Operators, task operators and co-workers none.
pub fn can_report(v: &Viewer, r: Report) -> bool {
    v.is(Role::Admin)
        || v.is(Role::Chief)
        || v.is(Role::SalesManager)
        || (v.is(Role::Accountant) && r == Report::Income)
}

/// Sees any report (the Analytics menu).
pub fn reads_analytics(v: &Viewer) -> bool {
    Report::ALL.into_iter().any(|r| can_report(v, r))
}

/// The departments whose data `v`'s reports may count (§3.2): `None` for every department
/// (administrators, chiefs, accountants), else the departments they work in.
pub fn report_departments(v: &Viewer) -> Option<&[i64]> {
    if v.is(Role::Admin) || v.is(Role::Chief) || v.is(Role::Accountant) { None } else { Some(&v.departments) }
}

/// A saved Income Summary (§5.1 snapshots) that counted `departments` (`None`: every department):
/// the viewer sees it when they may open the report and every department it counted is one whose
/// data their reports count. Anything else is answered as missing (404), like a deal out of scope.
pub fn can_see_income_snapshot(v: &Viewer, departments: Option<&[i64]>) -> bool {
    can_report(v, Report::Income)
        && match (report_departments(v), departments) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(allowed), Some(counted)) => counted.iter().all(|d| allowed.contains(d)),
        }
}

/// Gets the Department filter (§5 common mechanics: superuser, chief, superoperator, accountant;
/// a manager who works in several departments chooses among them too).
pub fn chooses_report_department(v: &Viewer) -> bool {
    report_departments(v).is_none_or(|d| d.len() > 1)
}

/// §3.2 owner filter: a report opens on the viewer's own deals and requests unless they are an
/// administrator, a superoperator, a task operator, an accountant, or a chief who is not a manager.
pub fn reports_default_to_own(v: &Viewer) -> bool {
    !(v.is(Role::Admin)
        || v.is_superoperator()
        || v.is(Role::TaskOperator)
        || v.is(Role::Accountant)
        || (v.is(Role::Chief) && !v.is(Role::SalesManager)))
}

/// The analytics golden table: every role × report → may open it, whose departments, default
/// owner. Pinned in `src/access_golden_analytics.txt` (`access::tests`).
#[cfg(test)]
pub(crate) fn analytics_matrix() -> String {
    let mut out = String::from("# role | report | route | opens | departments | owner filter default (generated)\n");
    let mut viewers: Vec<(String, Viewer)> = Role::ALL
        .into_iter()
        .map(|r| {
            let mut v = super::viewer_with(1, &[r]);
            v.departments = vec![10];
            (r.slug().to_string(), v)
        })
        .collect();
    let mut two = super::viewer_with(1, &[Role::SalesManager]);
    two.departments = vec![10, 11];
    viewers.push(("sales-manager of 10 and 11".into(), two));
    let mut chief_manager = super::viewer_with(1, &[Role::Chief, Role::SalesManager]);
    chief_manager.departments = vec![10];
    viewers.push(("chief + sales-manager".into(), chief_manager));
    for (name, v) in &viewers {
        for r in Report::ALL {
            let opens = can_report(v, r);
            let depts = match report_departments(v) {
                None => "all".to_string(),
                Some(d) => format!("{d:?}"),
            };
            let choose = if chooses_report_department(v) { " (chooses)" } else { "" };
            let own = if reports_default_to_own(v) { "own" } else { "all" };
            let line = if opens {
                format!("{name} | {} | /analytics/{} | yes | {depts}{choose} | {own}\n", r.label(), r.slug())
            } else {
                format!("{name} | {} | /analytics/{} | no | - | -\n", r.label(), r.slug())
            };
            out.push_str(&line);
        }
    }
    out
}
