//! Deals (§2.2 Deal, §12): their fields and the save rules of §12.6 (stages, closing, the stage
//! log, the ticket).

use chrono::{DateTime, NaiveDate, Utc};
use sea_query::{Expr, ExprTrait, Order, Query};

use super::fields::{Field, Input, RefTo};
use super::record::Val;
use super::repo::{Record, Spec};
use crate::access::ItemKind;
use crate::db::Db;
use crate::error::FormErrors;

pub static FIELDS: [Field; 26] = [
    Field::new("name", "Deal name", Input::Text { max: 250 }).required(),
    Field::new("next_step", "Next step", Input::Text { max: 250 }).required(),
    Field::new("next_step_date", "Next step date", Input::Date).required(),
    Field::new("stage_id", "Stage", Input::Ref(RefTo::Dictionary("deal_stages")))
        .help("Left empty, a new deal starts at the department's first stage."),
    Field::new("amount_cents", "Amount (without VAT)", Input::Money),
    Field::new("currency_id", "Currency", Input::Ref(RefTo::Global("currencies"))),
    Field::new("closing_reason_id", "Closing reason", Input::Ref(RefTo::Dictionary("closing_reasons")))
        .help("Choosing one closes the deal."),
    Field::new("company_id", "Company", Input::Ref(RefTo::Object(ItemKind::Company))),
    Field::new("contact_id", "Contact person", Input::Ref(RefTo::Object(ItemKind::Contact))),
    Field::new("lead_id", "Lead", Input::Ref(RefTo::Object(ItemKind::Lead))),
    Field::new("partner_contact_id", "Partner's contact person", Input::Ref(RefTo::Object(ItemKind::Contact)))
        .help("The contact person of a dealer or distributor, when the deal goes through one."),
    Field::new("co_owner_id", "Co-owner", Input::Ref(RefTo::User)),
    Field::new("country_id", "Country", Input::Ref(RefTo::Global("countries"))),
    Field::new("city_id", "City", Input::Ref(RefTo::Global("cities"))),
    Field::new("important", "Important", Input::Flag),
    Field::new("relevant", "Relevant", Input::Flag).default("on"),
    Field::new("active", "Active", Input::Flag).default("on"),
    Field::new("remind_me", "Remind me of the next step", Input::Flag),
    Field::new("description", "Description", Input::LongText),
    super::many::TAGS,
    Field::new("ticket", "Ticket", Input::Text { max: 16 }).system(),
    Field::new("closing_date", "Closing date", Input::Date).system(),
    Field::new("win_closing_date", "Won", Input::Stamp).system(),
    Field::new("stages_dates", "Stages", Input::LongText).system(),
    Field::new("workflow", "Workflow", Input::LongText).system(),
    Field::new("is_new", "New (not yet saved by its owner)", Input::Flag).system().default("on"),
];

pub static SPEC: Spec = Spec {
    kind: ItemKind::Deal,
    fields: &FIELDS,
    title: &["name"],
    derived: &[],
    list: &["next_step", "next_step_date", "stage_id", "company_id"],
    search: &["name", "next_step", "description", "ticket"],
    // §9.1 DEAL_COLUMNS, with the deal's own name, stage and amount (the original's export named a
    // deal by its request only).
    export: &[
        "name",
        "stage",
        "amount_cents",
        "currency",
        "contact",
        "company",
        "lead",
        "ticket",
        "next_step",
        "next_step_date",
        "owner",
        "department",
    ],
    inherit: None,
    token: false,
    owned: true,
    rules: Some(apply),
    // §3.3: a chief marks a deal important, moves its next step, sets reminders and the co-owner.
    chief_fields: Some(&["important", "next_step", "next_step_date", "remind_me", "co_owner_id"]),
    after_save: Some(super::transfer::deal_after_save),
    owner_note: "The deal's lead gets the new owner too.",
};

/// A deal stage of a department with its flags (§2.2 Stage).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Stage {
    pub id: i64,
    pub name: String,
    pub is_default: bool,
    pub second_default: bool,
    pub success_stage: bool,
    pub conditional_success_stage: bool,
    pub goods_shipped: bool,
}

/// A closing reason of a department.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Reason {
    pub id: i64,
    pub name: String,
    pub success_reason: bool,
}

/// A department's stages (in order) and closing reasons: what the rules look flags up in.
#[derive(Clone, Debug, Default)]
pub struct Dicts {
    pub stages: Vec<Stage>,
    pub reasons: Vec<Reason>,
}

impl Dicts {
    pub async fn load(db: &Db, department: i64) -> Result<Dicts, sqlx::Error> {
        let stages = db
            .fetch_all(
                Query::select()
                    .columns([
                        "id",
                        "name",
                        "is_default",
                        "second_default",
                        "success_stage",
                        "conditional_success_stage",
                        "goods_shipped",
                    ])
                    .from("deal_stages")
                    .and_where(Expr::col("department_id").eq(department))
                    .order_by("index_number", Order::Asc)
                    .order_by("id", Order::Asc),
            )
            .await?;
        let reasons = db
            .fetch_all(
                Query::select()
                    .columns(["id", "name", "success_reason"])
                    .from("closing_reasons")
                    .and_where(Expr::col("department_id").eq(department))
                    .order_by("index_number", Order::Asc),
            )
            .await?;
        Ok(Dicts { stages, reasons })
    }
    fn stage(&self, id: Option<i64>) -> Option<&Stage> {
        id.and_then(|id| self.stages.iter().find(|s| s.id == id))
    }
    fn reason(&self, id: Option<i64>) -> Option<&Reason> {
        id.and_then(|id| self.reasons.iter().find(|r| r.id == id))
    }
    fn first(&self, pick: impl Fn(&Stage) -> bool) -> Option<&Stage> {
        self.stages.iter().find(|s| pick(s))
    }
}

/// Who saves, and when.
pub struct Save<'a> {
    pub user_id: i64,
    pub username: &'a str,
    pub today: NaiveDate,
    pub now: DateTime<Utc>,
}

fn int(spec: &Spec, r: &Record, col: &str) -> Option<i64> {
    r.get(spec, col).int()
}

fn flag(spec: &Spec, r: &Record, col: &str) -> bool {
    r.get(spec, col).flag()
}

/// A line of a deal's log: "2026-12-03 - text", the newest first.
fn log(spec: &Spec, r: &mut Record, col: &str, date: NaiveDate, text: &str) {
    let old = r.get(spec, col).text().to_string();
    let line = format!("{} - {text}", date.format("%Y-%m-%d"));
    let joined = if old.is_empty() { line } else { format!("{line}\n{old}") };
    r.set(spec, col, Val::Text(joined));
}

/// The save rules of §12.6, applied to `after` (the form's values over the stored deal, or a new
/// deal when `before` is None). Messages go to `errs`; nothing is written when there are any.
pub fn apply(d: &Dicts, who: &Save<'_>, before: Option<&Record>, after: &mut Record, errs: &mut FormErrors) {
    let s = &SPEC;
    let was = |col: &str| before.map(|b| b.get(s, col).clone());
    let changed = |r: &Record, col: &str| was(col).as_ref() != Some(r.get(s, col));

    if before.is_none() && after.get(s, "ticket").is_empty() {
        after.set(s, "ticket", Val::Text(new_ticket()));
    }

    // Validation.
    let reason = d.reason(int(s, after, "closing_reason_id"));
    if reason.is_some_and(|r| r.success_reason) && int(s, after, "amount_cents").is_none_or(|c| c <= 0) {
        errs.add("amount_cents", "Specify the deal amount.");
    }
    let step_date = after.get(s, "next_step_date").date();
    let remind_on = flag(s, after, "remind_me") && was("remind_me").is_none_or(|v| !v.flag());
    if step_date.is_some_and(|dt| dt < who.today) && (changed(after, "next_step_date") || remind_on) {
        errs.add("next_step_date", "Date should not be in the past.");
    }
    if !errs.is_empty() {
        return;
    }

    // Stage: none → the default stage; a deal saved again at the default moves to the second.
    let kept = before.and_then(|b| d.stage(int(s, b, "stage_id")));
    let mut stage = d.stage(int(s, after, "stage_id")).or(kept).or_else(|| d.first(|x| x.is_default)).cloned();
    if kept.is_some_and(|x| x.is_default)
        && stage.as_ref().is_some_and(|x| x.is_default)
        && let Some(second) = d.first(|x| x.second_default)
    {
        stage = Some(second.clone());
    }

    // Closing reason: set → closed today (success: the success stage and the win time);
    // cleared → open again.
    let reason_changed = changed(after, "closing_reason_id") || (before.is_none() && reason.is_some());
    if reason_changed {
        match reason {
            Some(r) => {
                after.set(s, "active", Val::Bool(false));
                after.set(s, "closing_date", Val::Date(who.today));
                if r.success_reason
                    && let Some(win) = d.first(|x| x.success_stage)
                {
                    stage = Some(win.clone());
                }
            }
            None => {
                after.set(s, "closing_date", Val::Null);
                after.set(s, "active", Val::Bool(true));
            }
        }
    }
    if let Some(st) = &stage {
        after.set(s, "stage_id", Val::Int(st.id));
        let stage_changed = before.is_none_or(|b| b.get(s, "stage_id").int() != Some(st.id));
        if stage_changed {
            log(s, after, "stages_dates", who.today, &st.name);
            if st.success_stage || st.conditional_success_stage {
                after.set(s, "win_closing_date", Val::Time(who.now));
            }
        }
    }

    // Active and relevant follow each other.
    if let Some(b) = before {
        let (was_active, now_active) = (b.get(s, "active").flag(), flag(s, after, "active"));
        if !was_active && now_active {
            after.set(s, "relevant", Val::Bool(true));
            if !reason_changed {
                after.set(s, "closing_date", Val::Null);
            }
        } else if was_active && !now_active && after.get(s, "closing_date").date().is_none() {
            after.set(s, "closing_date", Val::Date(who.today));
        }
    }
    if !flag(s, after, "relevant") && was("relevant").is_none_or(|v| v.flag()) && flag(s, after, "active") {
        after.set(s, "active", Val::Bool(false));
        after.set(s, "closing_date", Val::Date(who.today));
    }

    // Next step: someone else's change is signed; every change is in the workflow.
    if before.is_none() || changed(after, "next_step") {
        let mut step = after.get(s, "next_step").text().to_string();
        if before.is_some() && after.owner_id != Some(who.user_id) {
            let sign = format!(" ({})", who.username);
            let room = 250usize.saturating_sub(sign.chars().count());
            step = step.chars().take(room).collect::<String>() + &sign;
            after.set(s, "next_step", Val::Text(step.clone()));
        }
        log(s, after, "workflow", who.today, &step);
    }

    // The owner's save takes the "new" mark off.
    if after.owner_id == Some(who.user_id) && before.is_some() {
        after.set(s, "is_new", Val::Bool(false));
    }
}

/// A ticket no deal has yet (§1.5): 10 characters from an alphabet without look-alikes.
pub fn new_ticket() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..10).map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dicts() -> Dicts {
        let st = |id, name: &str, def, second, success| Stage {
            id,
            name: name.into(),
            is_default: def,
            second_default: second,
            success_stage: success,
            conditional_success_stage: false,
            goods_shipped: false,
        };
        Dicts {
            stages: vec![
                st(1, "request", true, false, false),
                st(2, "analysis", false, true, false),
                st(3, "offer", false, false, false),
                st(4, "won", false, false, true),
            ],
            reasons: vec![
                Reason { id: 10, name: "no answer".into(), success_reason: false },
                Reason { id: 11, name: "success".into(), success_reason: true },
            ],
        }
    }

    fn who(user: i64) -> Save<'static> {
        Save {
            user_id: user,
            username: "mark",
            today: NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
            now: DateTime::from_timestamp(1_796_000_000, 0).unwrap(),
        }
    }

    fn new_deal() -> Record {
        let mut r = Record::blank(&SPEC, 1, Some(7));
        r.set(&SPEC, "name", Val::Text("Pumps".into()));
        r.set(&SPEC, "next_step", Val::Text("Call".into()));
        r.set(&SPEC, "next_step_date", Val::Date(NaiveDate::from_ymd_opt(2026, 12, 5).unwrap()));
        r
    }

    fn saved(before: Option<&Record>, mut after: Record, user: i64) -> Result<Record, FormErrors> {
        let mut errs = FormErrors::default();
        apply(&dicts(), &who(user), before, &mut after, &mut errs);
        errs.finish(after)
    }

    #[test]
    fn a_new_deal_starts_at_the_default_stage_and_moves_on_at_the_next_save() {
        let d = saved(None, new_deal(), 7).unwrap();
        assert_eq!(d.get(&SPEC, "stage_id"), &Val::Int(1));
        assert_eq!(d.get(&SPEC, "stages_dates").text(), "2026-12-03 - request");
        assert_eq!(d.get(&SPEC, "workflow").text(), "2026-12-03 - Call");
        assert!(d.get(&SPEC, "is_new").flag(), "new until its owner saves it");
        let again = saved(Some(&d), d.clone(), 7).unwrap();
        assert_eq!(again.get(&SPEC, "stage_id"), &Val::Int(2), "default → second default");
        assert_eq!(again.get(&SPEC, "stages_dates").text(), "2026-12-03 - analysis\n2026-12-03 - request");
        assert!(!again.get(&SPEC, "is_new").flag(), "the owner saved it");
    }

    #[test]
    fn closing_needs_an_amount_for_success_and_sets_dates_and_stage() {
        let d = saved(None, new_deal(), 7).unwrap();
        let mut won = d.clone();
        won.set(&SPEC, "closing_reason_id", Val::Int(11));
        let errs = saved(Some(&d), won.clone(), 7).unwrap_err();
        assert_eq!(errs.get("amount_cents"), Some("Specify the deal amount."));
        won.set(&SPEC, "amount_cents", Val::Int(10_000));
        let won = saved(Some(&d), won, 7).unwrap();
        assert_eq!(won.get(&SPEC, "stage_id"), &Val::Int(4));
        assert!(!won.get(&SPEC, "active").flag());
        assert_eq!(won.get(&SPEC, "closing_date").date(), NaiveDate::from_ymd_opt(2026, 12, 3));
        assert!(matches!(won.get(&SPEC, "win_closing_date"), Val::Time(_)));
        // Cleared: open again, no closing date.
        let mut reopened = won.clone();
        reopened.set(&SPEC, "closing_reason_id", Val::Null);
        let reopened = saved(Some(&won), reopened, 7).unwrap();
        assert!(reopened.get(&SPEC, "active").flag());
        assert_eq!(reopened.get(&SPEC, "closing_date"), &Val::Null);
    }

    #[test]
    fn someone_elses_next_step_is_signed_and_past_dates_are_refused() {
        let d = saved(None, new_deal(), 7).unwrap();
        let mut e = d.clone();
        e.set(&SPEC, "next_step", Val::Text("x".repeat(250)));
        let e = saved(Some(&d), e, 8).unwrap();
        let step = e.get(&SPEC, "next_step").text().to_string();
        assert!(step.ends_with(" (mark)") && step.chars().count() == 250, "{step}");
        assert!(e.get(&SPEC, "is_new").flag(), "another user's save keeps the mark");
        let mut late = d.clone();
        late.set(&SPEC, "next_step_date", Val::Date(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()));
        assert_eq!(
            saved(Some(&d), late, 7).unwrap_err().get("next_step_date"),
            Some("Date should not be in the past.")
        );
        let mut irrelevant = d.clone();
        irrelevant.set(&SPEC, "relevant", Val::Bool(false));
        let irrelevant = saved(Some(&d), irrelevant, 7).unwrap();
        assert!(!irrelevant.get(&SPEC, "active").flag());
    }

    #[test]
    fn tickets_are_ten_unambiguous_characters() {
        let t = new_ticket();
        assert_eq!(t.len(), 10);
        assert!(t.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) && !t.contains(['O', '0', 'I', '1']));
    }
}
