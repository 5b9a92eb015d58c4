//! Deals with their line items (outputs; those with a contract shipping date are shipments) and
//! payments. A deal is open (58 %), won (22 %) or lost (20 %), following the save rules of §12.6:
//! closed deals are inactive with a closing date and a reason of their department; won deals are at
//! the success stage with the success reason, a win date and an amount; open deals past the
//! conditional-success stage have a win date too; lost deals keep received payments only.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::Rng;
use rand::rngs::StdRng;
use sea_query::SimpleExpr;

use super::people::{Company, Contact, Lead, Ledger, tags_for};
use super::{Bulk, Cx, Dept, Size, names, pick};
use crate::db::Db;

/// What the deals are made for.
pub(super) struct Counterparties<'a> {
    pub companies: &'a [Company],
    pub contacts: &'a [Contact],
    pub leads: &'a [Lead],
}

/// How many rows were made.
pub(super) struct Made {
    pub deals: usize,
    pub outputs: usize,
    pub payments: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    Won,
    Lost,
}

/// A deal's facts that its outputs and payments follow.
struct Plan {
    id: i64,
    dept: usize,
    state: State,
    /// Position of its stage among the department's stages (by index number).
    stage: usize,
    amount: Option<i64>,
    created: DateTime<Utc>,
    closed: Option<NaiveDate>,
    /// (product index in the department, quantity).
    items: Vec<(usize, i32)>,
}

/// Positions of a department's stages that mark progress: conditional success, goods shipped,
/// success, and the positions open deals may be at (all but success).
struct Ladder {
    conditional: usize,
    shipped: usize,
    success: Option<usize>,
    open: Vec<usize>,
}

impl Ladder {
    fn of(d: &Dept) -> Ladder {
        let pos = |f: fn(&super::Stage) -> bool| d.stages.iter().position(f);
        let n = d.stages.len();
        Ladder {
            conditional: pos(|s| s.conditional).unwrap_or(n),
            shipped: pos(|s| s.shipped).unwrap_or(n),
            success: pos(|s| s.success),
            open: (0..n).filter(|i| !d.stages[*i].success).collect(),
        }
    }

    /// An open position, early ones more often (the funnel narrows).
    fn pick_open(&self, rng: &mut StdRng) -> Option<usize> {
        let k = self.open.len();
        (k > 0).then(|| self.open[rng.random_range(0..k).min(rng.random_range(0..k))])
    }
}

const DEAL_COLUMNS: [&str; 32] = [
    "name",
    "next_step",
    "next_step_date",
    "description",
    "workflow",
    "stage_id",
    "stages_dates",
    "closing_date",
    "win_closing_date",
    "amount_cents",
    "currency_id",
    "closing_reason_id",
    "probability",
    "ticket",
    "city_id",
    "country_id",
    "lead_id",
    "contact_id",
    "company_id",
    "partner_contact_id",
    "lead_source_id",
    "relevant",
    "active",
    "important",
    "is_new",
    "remind_me",
    "co_owner_id",
    "department_id",
    "owner_id",
    "modified_by_id",
    "created_at",
    "updated_at",
];

/// Deals for random companies (with one of their contacts, sometimes a lead linked to the company),
/// then their outputs and `size.payments` payments.
pub(super) async fn deals(
    db: &Db,
    cx: &Cx,
    cp: &Counterparties<'_>,
    size: &Size,
    rng: &mut StdRng,
    ledger: &mut Ledger,
) -> anyhow::Result<Made> {
    let companies = cp.companies;
    if companies.is_empty() {
        return Ok(Made { deals: 0, outputs: 0, payments: 0 });
    }
    let mut contacts_of: Vec<Vec<i64>> = vec![Vec::new(); companies.len()];
    let mut dept_contacts: Vec<Vec<i64>> = vec![Vec::new(); cx.depts.len()];
    for c in cp.contacts {
        contacts_of[c.company].push(c.id);
        dept_contacts[companies[c.company].dept].push(c.id);
    }
    let mut leads_of: Vec<Vec<i64>> = vec![Vec::new(); companies.len()];
    for l in cp.leads {
        if let Some(c) = l.company {
            leads_of[c].push(l.id);
        }
    }
    let ladders: Vec<Ladder> = cx.depts.iter().map(Ladder::of).collect();
    let n = size.deals;
    let mut b = Bulk::new(db, "deals", &DEAL_COLUMNS, true);
    let mut plans = Vec::with_capacity(n);
    for i in 0..n {
        let ci = rng.random_range(0..companies.len());
        let c = &companies[ci];
        let (d, ladder) = (&cx.depts[c.dept], &ladders[c.dept]);
        let success_reason = d.reasons.iter().find(|r| r.1).map(|r| r.0);
        let lost_reasons: Vec<i64> = d.reasons.iter().filter(|r| !r.1).map(|r| r.0).collect();
        let roll = rng.random_range(0..100);
        let (state, stage, reason) = match (ladder.success, success_reason, ladder.pick_open(rng)) {
            (Some(s), Some(r), _) if (58..80).contains(&roll) => (State::Won, s, Some(r)),
            (_, _, Some(p)) if roll >= 80 && !lost_reasons.is_empty() => (State::Lost, p, pick(rng, &lost_reasons)),
            (_, _, Some(p)) => (State::Open, p, None),
            _ => continue, // a department without stages gets no deals
        };
        let created = cx.created(rng, i, n, 700).max(c.created);
        // Closed within 240 days of creation, and not after today.
        let age = (cx.today - created.date_naive()).num_days().clamp(0, 240);
        let closed = (state != State::Open).then(|| created.date_naive() + Duration::days(rng.random_range(0..=age)));
        let items = if state == State::Won || stage >= 4 { line_items(rng, d) } else { Vec::new() };
        let from_items: i64 = items.iter().map(|(p, q)| d.products[*p].price_cents * i64::from(*q)).sum();
        let amount = if from_items > 0 {
            Some(from_items)
        } else if state == State::Won || stage >= 4 || rng.random_bool(0.5) {
            Some(rng.random_range(500..50_000i64) * 100)
        } else {
            None
        };
        let win = match (state, closed) {
            (State::Won, Some(day)) => Some(at(cx, rng, day)),
            (State::Open, _) if stage >= ladder.conditional => Some(later(cx, rng, created, 120)),
            _ => None,
        };
        let owner = if c.owner.is_some() && rng.random_bool(0.8) { c.owner } else { d.owners.pick(rng) };
        let co_owner = if rng.random_bool(0.12) { d.owners.other(rng, owner) } else { None };
        let product = items
            .first()
            .map(|(p, _)| *p)
            .or_else(|| (!d.products.is_empty()).then(|| rng.random_range(0..d.products.len())));
        let open = state == State::Open;
        let next_step_date = match closed {
            Some(day) => day,
            None => cx.today + Duration::days(rng.random_range(-15..45)),
        };
        let row: Vec<SimpleExpr> = vec![
            deal_name(rng, product.map_or("equipment", |p| d.products[p].name.as_str()), &c.short).into(),
            names::NEXT_STEPS[rng.random_range(0..names::NEXT_STEPS.len())].into(),
            next_step_date.into(),
            (if rng.random_bool(0.3) { "The customer needs delivery before the end of the quarter." } else { "" })
                .into(),
            workflow(created, closed, state).into(),
            d.stages[stage].id.into(),
            stages_dates(d, ladder, stage, created, closed.map_or(cx.today, |x| x)).into(),
            closed.into(),
            win.into(),
            amount.into(),
            d.currency_id.into(),
            reason.into(),
            probability(state, stage, ladder).into(),
            ledger.tokens.next(rng).into(),
            c.city.map(|x| x.0).into(),
            c.place.map(|p| cx.places[p].country_id).into(),
            (if rng.random_bool(0.5) { pick(rng, &leads_of[ci]) } else { None }).into(),
            (if rng.random_bool(0.95) { pick(rng, &contacts_of[ci]) } else { None }).into(),
            c.id.into(),
            (if rng.random_bool(0.03) { pick(rng, &dept_contacts[c.dept]) } else { None }).into(),
            c.lead_source.or_else(|| pick(rng, &d.lead_sources)).into(),
            (state != State::Lost || rng.random_bool(0.75)).into(),
            open.into(),
            rng.random_bool(0.08).into(),
            (open && rng.random_bool(0.12)).into(),
            (open && rng.random_bool(0.05)).into(),
            co_owner.into(),
            d.id.into(),
            owner.into(),
            owner.into(),
            created.into(),
            win.unwrap_or_else(|| later(cx, rng, created, 60)).max(created).into(),
        ];
        b.push(row).await?;
        plans.push(Plan { id: 0, dept: c.dept, state, stage, amount, created, closed, items });
    }
    for (p, id) in plans.iter_mut().zip(b.finish().await?) {
        p.id = id;
        for tag in tags_for(rng, &cx.depts[p.dept].tags, 0.25) {
            ledger.taggings.push(("deal", id, tag));
        }
    }
    let outputs = outputs(db, cx, &plans, &ladders, rng).await?;
    let payments = payments(db, cx, &plans, &ladders, size.payments, rng).await?;
    Ok(Made { deals: plans.len(), outputs, payments })
}

/// One to three products of the department with quantities.
fn line_items(rng: &mut StdRng, d: &Dept) -> Vec<(usize, i32)> {
    if d.products.is_empty() {
        return Vec::new();
    }
    let k = rng.random_range(1..=3);
    let mut items: Vec<(usize, i32)> = Vec::with_capacity(k);
    for _ in 0..k {
        let p = rng.random_range(0..d.products.len());
        if !items.iter().any(|(q, _)| *q == p) {
            items.push((p, rng.random_range(1..=12)));
        }
    }
    items
}

fn deal_name(rng: &mut StdRng, product: &str, company: &str) -> String {
    let pattern = names::DEAL_NAMES[rng.random_range(0..names::DEAL_NAMES.len())];
    pattern.replace("{p}", product).replace("{c}", company)
}

/// A time on `day`, not after now.
fn at(cx: &Cx, rng: &mut StdRng, day: NaiveDate) -> DateTime<Utc> {
    let t = day.and_hms_opt(rng.random_range(8..18), rng.random_range(0..60), 0).map(|t| t.and_utc());
    t.unwrap_or(cx.now).min(cx.now)
}

/// A time up to `days` after `t`, not after now.
fn later(cx: &Cx, rng: &mut StdRng, t: DateTime<Utc>, days: i64) -> DateTime<Utc> {
    (t + Duration::minutes(rng.random_range(0..days * 24 * 60))).min(cx.now)
}

fn probability(state: State, stage: usize, ladder: &Ladder) -> i16 {
    match state {
        State::Won => 100,
        State::Lost => 0,
        State::Open => {
            let steps = ladder.open.len().max(2) - 1;
            i16::try_from(10 + 80 * stage.min(steps) / steps).unwrap_or(50)
        }
    }
}

/// The deal's log, newest first ("<date> - <event>").
fn workflow(created: DateTime<Utc>, closed: Option<NaiveDate>, state: State) -> String {
    let start = format!("{} - Deal created", created.date_naive());
    match (state, closed) {
        (State::Won, Some(d)) => format!("{d} - Closed: the deal was closed successfully\n{start}"),
        (State::Lost, Some(d)) => format!("{d} - Closed\n{start}"),
        _ => start,
    }
}

/// "<date> - <stage>" for each stage the deal went through, oldest first, spread from creation
/// to `until`; a lost deal ends at its stage, a won one at the success stage.
fn stages_dates(d: &Dept, ladder: &Ladder, stage: usize, created: DateTime<Utc>, until: NaiveDate) -> String {
    let path: Vec<usize> = match ladder.success {
        Some(s) if s == stage => ladder.open.iter().copied().filter(|p| *p <= ladder.shipped).chain([s]).collect(),
        _ => ladder.open.iter().copied().filter(|p| *p <= stage).collect(),
    };
    let start = created.date_naive();
    let span = (until - start).num_days().max(0);
    let steps = i64::try_from(path.len()).unwrap_or(1).max(1);
    // Newest first, as the deal's save rules write it (`crm::deal`).
    path.iter()
        .enumerate()
        .map(|(k, p)| {
            let day = start + Duration::days(span * i64::try_from(k).unwrap_or(0) / steps);
            format!("{day} - {}", d.stages[*p].name)
        })
        .rev()
        .collect::<Vec<_>>()
        .join("\n")
}

/// The line items; deals from the invoice on have contract shipping dates (shipments), shipped
/// when the deal is won or at the goods-shipped stage and the date has come.
async fn outputs(db: &Db, cx: &Cx, plans: &[Plan], ladders: &[Ladder], rng: &mut StdRng) -> anyhow::Result<usize> {
    let cols = [
        "deal_id",
        "product_id",
        "quantity",
        "amount_cents",
        "currency_id",
        "shipping_date",
        "planned_shipping_date",
        "actual_shipping_date",
        "product_is_shipped",
        "serial_number",
        "created_at",
        "updated_at",
    ];
    let mut b = Bulk::new(db, "outputs", &cols, false);
    let mut made = 0;
    for p in plans {
        let (d, ladder) = (&cx.depts[p.dept], &ladders[p.dept]);
        let invoiced = p.state == State::Won || p.stage >= 7;
        let shipped_stage = p.state == State::Won || (p.state == State::Open && p.stage >= ladder.shipped);
        for (product, quantity) in &p.items {
            let prod = &d.products[*product];
            let contract = (invoiced && rng.random_bool(0.75)).then(|| {
                let from = p.closed.unwrap_or_else(|| p.created.date_naive() + Duration::days(30));
                from + Duration::days(rng.random_range(14..120))
            });
            let actual = contract
                .filter(|c| shipped_stage && *c <= cx.today + Duration::days(10))
                .map(|c| (c + Duration::days(rng.random_range(-10..10))).min(cx.today));
            let serial = match actual {
                Some(_) if !prod.service => format!("SN-{:07}", rng.random_range(0..10_000_000)),
                _ => String::new(),
            };
            b.push(vec![
                p.id.into(),
                prod.id.into(),
                (*quantity).into(),
                (prod.price_cents * i64::from(*quantity)).into(),
                d.currency_id.into(),
                contract.into(),
                contract.map(|c| c - Duration::days(rng.random_range(0..7))).into(),
                actual.into(),
                actual.is_some().into(),
                serial.into(),
                p.created.into(),
                p.created.into(),
            ])
            .await?;
            made += 1;
        }
    }
    b.finish().await?;
    Ok(made)
}

/// `n` payments over the deals that get paid: won ones, open ones from the agreement on, a few
/// lost ones (received only). Amounts add up to the deal's; received payments are dated between
/// the deal's creation and its closing (or today), the others in the coming months (some overdue).
async fn payments(
    db: &Db,
    cx: &Cx,
    plans: &[Plan],
    ladders: &[Ladder],
    n: usize,
    rng: &mut StdRng,
) -> anyhow::Result<usize> {
    let mut payable: Vec<usize> = Vec::new();
    for (i, p) in plans.iter().enumerate() {
        let paid = match p.state {
            State::Won => true,
            State::Open => p.stage >= 6,
            State::Lost => rng.random_bool(0.25),
        };
        if paid && p.amount.is_some() && cx.depts[p.dept].currency_id.is_some() {
            payable.push(i);
        }
    }
    if payable.is_empty() {
        payable = (0..plans.len()).filter(|i| plans[*i].amount.is_some()).collect();
    }
    if payable.is_empty() {
        return Ok(0);
    }
    let mut count = vec![0usize; payable.len()];
    for k in 0..n {
        let j = if k < payable.len() { k } else { rng.random_range(0..payable.len()) };
        count[j] += 1;
    }
    let cols = [
        "deal_id",
        "amount_cents",
        "currency_id",
        "payment_date",
        "status",
        "contract_number",
        "invoice_number",
        "order_number",
        "through_representation",
        "created_at",
        "updated_at",
        // The deal's (migration 16's triggers would correct a wrong one with a second write).
        "department_id",
    ];
    let mut b = Bulk::new(db, "payments", &cols, false);
    let mut made = 0;
    for (i, k) in payable.iter().zip(count) {
        let p = &plans[*i];
        let (Some(amount), Some(currency)) = (p.amount, cx.depts[p.dept].currency_id) else { continue };
        let received = match p.state {
            State::Won | State::Lost => k,
            State::Open if p.stage >= ladders[p.dept].conditional => k.div_ceil(2),
            State::Open => usize::from(rng.random_bool(0.2)).min(k),
        };
        let start = p.created.date_naive();
        let end = p.closed.unwrap_or(cx.today).max(start);
        let contract =
            rng.random_bool(0.7).then(|| format!("C-{}/{:04}", start.format("%Y"), rng.random_range(1..10_000)));
        let order = rng.random_bool(0.4).then(|| format!("PO-{:05}", rng.random_range(1..100_000)));
        let parts = split(rng, amount, k);
        let mut paid_days: Vec<NaiveDate> =
            (0..received).map(|_| start + Duration::days(rng.random_range(0..=(end - start).num_days()))).collect();
        paid_days.sort_unstable();
        for (j, part) in parts.into_iter().enumerate() {
            let (day, status) = match paid_days.get(j) {
                Some(day) => (*day, "received"),
                None => {
                    let status = ["guaranteed", "guaranteed", "high", "high", "low"][rng.random_range(0..5)];
                    (cx.today + Duration::days(rng.random_range(-20..180)), status)
                }
            };
            let at = day.and_hms_opt(12, 0, 0).map_or(cx.now, |t| t.and_utc()).min(cx.now);
            b.push(vec![
                p.id.into(),
                part.into(),
                currency.into(),
                day.into(),
                status.into(),
                contract.clone().unwrap_or_default().into(),
                (if rng.random_bool(0.6) {
                    format!("INV-{:06}", rng.random_range(1..1_000_000))
                } else {
                    String::new()
                })
                .into(),
                order.clone().unwrap_or_default().into(),
                rng.random_bool(0.04).into(),
                at.into(),
                at.into(),
                cx.depts[p.dept].id.into(),
            ])
            .await?;
            made += 1;
        }
    }
    b.finish().await?;
    Ok(made)
}

/// `amount` in `k` random parts that add up to it (each at least one cent when it allows).
fn split(rng: &mut StdRng, amount: i64, k: usize) -> Vec<i64> {
    if k == 0 {
        return Vec::new();
    }
    let weights: Vec<i64> = (0..k).map(|_| rng.random_range(1..=10)).collect();
    let total: i64 = weights.iter().sum();
    let mut parts: Vec<i64> = weights.iter().map(|w| (amount * w / total).max(1)).collect();
    let rest = amount - parts.iter().sum::<i64>();
    if let Some(last) = parts.last_mut() {
        *last = (*last + rest).max(1);
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn payments_split_the_amount_exactly() {
        let mut rng = StdRng::seed_from_u64(7);
        for (amount, k) in [(100_000, 3), (4_500, 1), (99_999_999, 7)] {
            let parts = split(&mut rng, amount, k);
            assert_eq!(parts.len(), k);
            assert_eq!(parts.iter().sum::<i64>(), amount);
            assert!(parts.iter().all(|p| *p > 0));
        }
    }
}
