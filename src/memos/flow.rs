//! What memos add to the generic flows (`items::flow`): a draft notifies nobody and a shared memo
//! never becomes one again; the recipient and subscribers hear when it is shared; everyone in it hears
//! of each stage, its author in particular that it was considered (which locks it); a task or
//! project made from it makes it considered.

use std::collections::HashMap;

use maud::Markup;

use super::handlers::render_form;
use super::model::{Memo, MemoForm, MemoInput, MemoStage};
use super::repo;
use crate::access::ItemKind;
use crate::app::AppState;
use crate::db::{Db, Tx};
use crate::error::{AppError, AppResult, FormErrors};
use crate::history::{self, Change, Diff};
use crate::items::flow::{self, CreateFlow, Cx, EditFlow, ItemFlow, Outcome, StageFlow};
use crate::items::{self, ItemRef, StageForm};
use crate::participants::PRole;
use crate::tasks::model::WorkForm;

/// Memos in the generic flows.
pub struct Memos;

/// A memo form, validated, with the names of the people it names (for history).
pub struct Checked {
    input: MemoInput,
    names: HashMap<i64, String>,
    /// The deal a new memo is made from.
    deal: Option<i64>,
}

/// What the recipient and subscribers of a memo just shared (or those newly added to one) hear.
fn shared_notices(memo: &ItemRef) -> [(PRole, String); 2] {
    [
        (PRole::Recipient, format!("You have received a memo: {}", memo.title)),
        (PRole::Subscriber, format!("You are subscribed to the memo: {}", memo.title)),
    ]
}

async fn validate(state: &AppState, everyone: &[i64], f: &MemoForm) -> AppResult<Result<Checked, FormErrors>> {
    let (users, names) = crate::users::repo::pickable(&state.db, everyone).await?;
    Ok(f.validate(&users).map(|input| Checked { input, names, deal: None }))
}

impl ItemFlow for Memos {
    const KIND: ItemKind = ItemKind::Memo;
    type Row = Memo;
    type Form = MemoForm;

    async fn get(db: &Db, id: i64) -> AppResult<Option<Memo>> {
        Ok(repo::get(db, id).await?)
    }

    async fn form(cx: &Cx<'_>, row: Option<&Memo>, f: &MemoForm, errs: &FormErrors) -> AppResult<Markup> {
        // Once shared, the form no longer offers "Draft".
        render_form(cx.state, cx.viewer, cx.hx, row.map(|m| m.id), f, errs, row.is_some_and(|m| !m.draft)).await
    }
}

impl StageFlow for Memos {
    type Stage = MemoStage;

    async fn stage_change(_db: &Db, m: &Memo, f: &StageForm) -> AppResult<Option<MemoStage>> {
        Ok(Some(f.parse(MemoStage::from_slug)?).filter(|s| *s != m.stage()))
    }

    async fn write_stage(tx: &mut Tx, cx: &Cx<'_>, m: &Memo, stage: &MemoStage) -> AppResult<()> {
        Ok(repo::set_stage(tx, m, *stage, &cx.actor).await?)
    }

    /// Everyone in the memo hears its new stage; the owner explicitly when it was considered.
    fn stage_notices(cx: &Cx<'_>, memo: &ItemRef, stage: &MemoStage) -> Vec<(PRole, String)> {
        let title = format!("The memo “{}” is now {}", memo.title, stage.label().to_lowercase());
        let owner_title = match stage {
            MemoStage::Considered => format!("Your memo “{}” was considered by {}", memo.title, cx.viewer.display_name),
            _ => title.clone(),
        };
        vec![(PRole::Owner, owner_title), (PRole::Recipient, title.clone()), (PRole::Subscriber, title)]
    }
}

impl EditFlow for Memos {
    type Edit = Checked;

    fn form_of(item: &ItemRef, m: &Memo) -> MemoForm {
        MemoForm::from_memo(m, &item.parts.users(PRole::Subscriber))
    }

    async fn validate_edit(
        cx: &Cx<'_>,
        item: &ItemRef,
        before: &Memo,
        f: &MemoForm,
    ) -> AppResult<Result<Checked, FormErrors>> {
        let everyone: Vec<i64> = item.parts.everyone().into_iter().collect();
        let mut checked = validate(cx.state, &everyone, f).await?;
        if let Ok(c) = &mut checked {
            // Once shared, a memo cannot go back to being a draft.
            c.input.draft = c.input.draft && before.draft;
        }
        Ok(checked)
    }

    async fn write_edit(tx: &mut Tx, cx: &Cx<'_>, item: &ItemRef, before: &Memo, c: &Checked) -> AppResult<()> {
        Ok(repo::update(tx, before, &item.parts, &c.input, &cx.actor, &c.names).await?)
    }

    /// Its title and draft flag change with it (a draft's audience is its owner).
    async fn edited(tx: &mut Tx, item: &ItemRef, c: &Checked) -> AppResult<ItemRef> {
        let parts = crate::participants::of_tx(tx, ItemKind::Memo, item.id).await?;
        Ok(ItemRef {
            title: c.input.name.clone(),
            draft: c.input.draft,
            parts,
            family: Default::default(),
            ..item.clone()
        })
    }

    /// Sharing a draft tells its recipient and subscribers; editing a shared memo tells those added.
    async fn notify_edit(
        tx: &mut Tx,
        cx: &Cx<'_>,
        before: &ItemRef,
        after: &ItemRef,
        c: &Checked,
    ) -> AppResult<Vec<i64>> {
        let body = &c.input.description;
        if c.input.draft {
            Ok(Vec::new())
        } else if before.draft {
            items::notify_each(tx, cx.state, after, &shared_notices(after), Some(cx.viewer.id), body).await
        } else {
            flow::welcome_newcomers(tx, cx, before, after, &shared_notices(after), body).await
        }
    }

    /// A draft's audience is its owner: publish as the memo is now, and as it was.
    fn publish_edit(state: &AppState, before: &ItemRef, after: &ItemRef, notified: &[i64]) {
        items::publish_changed(&state.bus, after);
        items::publish_edit(state, before, &after.parts, notified);
    }
}

impl CreateFlow for Memos {
    type New = Checked;

    async fn validate_new(cx: &Cx<'_>, f: &MemoForm) -> AppResult<Result<Checked, FormErrors>> {
        let deal = crate::crm::deal_work::check(&cx.state.db, cx.viewer, &f.deal_id).await?;
        Ok(match (validate(cx.state, &[], f).await?, deal) {
            (Ok(c), Ok(deal)) => Ok(Checked { deal: deal.map(|(id, _)| id), ..c }),
            (Err(mut errs), Err(more)) => {
                errs.0.extend(more.0);
                Err(errs)
            }
            (Err(errs), _) | (_, Err(errs)) => Err(errs),
        })
    }

    async fn insert(tx: &mut Tx, cx: &Cx<'_>, c: &Checked) -> AppResult<ItemRef> {
        let id = repo::insert(tx, &c.input, cx.viewer.id, &cx.actor, &c.names).await?;
        if let Some(deal) = c.deal {
            crate::crm::deal_work::link(tx, ItemKind::Memo, id, &c.input.name, deal, &cx.actor).await?;
        }
        let parts = repo::parts_of(cx.viewer.id, &c.input);
        Ok(ItemRef { draft: c.input.draft, ..flow::created(ItemKind::Memo, id, &c.input.name, parts) })
    }

    async fn notify_new(tx: &mut Tx, cx: &Cx<'_>, c: &Checked, item: &ItemRef) -> AppResult<Vec<i64>> {
        if c.input.draft {
            return Ok(Vec::new());
        }
        let body = &c.input.description;
        items::notify_each(tx, cx.state, item, &shared_notices(item), Some(cx.viewer.id), body).await
    }
}

/// The form of a new task or project made from `memo`: its title, text and attachments, and as
/// subscribers its author and subscribers (not `viewer`, who makes it).
pub async fn fill_from(db: &Db, memo: &ItemRef, viewer: i64, f: &mut WorkForm) -> AppResult<()> {
    let m = repo::get(db, memo.id).await?.ok_or(AppError::NotFound)?;
    f.memo_id = m.id.to_string();
    f.name = m.name.clone();
    f.description = m.description.clone();
    let mut subs = vec![m.owner_id];
    subs.extend(memo.parts.users(PRole::Subscriber));
    f.subscribers = subs.into_iter().filter(|u| *u != viewer).map(|u| u.to_string()).collect();
    let files = crate::files::of(db, ItemKind::Memo.slug(), m.id).await?;
    f.memo_files = files.iter().map(|a| a.id.to_string()).collect();
    Ok(())
}

/// A task or project (`made`) was made from the memo, in the creating transaction: the chosen files
/// of the memo are linked to it, both histories say so, and the memo counts as considered (as in
/// Django-CRM), which everyone in it hears.
pub async fn made_from(
    tx: &mut Tx,
    cx: &Cx<'_>,
    memo: &ItemRef,
    made: &ItemRef,
    files: &[i64],
    out: &mut Outcome,
) -> AppResult<()> {
    let (kind, memo_kind) = (made.kind.slug(), ItemKind::Memo.slug());
    crate::files::link(tx, files, (memo_kind, memo.id), (kind, made.id), cx.viewer.id).await?;
    let m = repo::get(&cx.state.db, memo.id).await?.ok_or(AppError::NotFound)?;
    let none = Diff::default();
    let said = format!("Created the {kind} “{}” from this memo", made.title);
    history::record(tx, &cx.actor, memo_kind, m.id, Change::Update, &said, &none).await?;
    let from = format!("Created from the memo “{}”", m.name);
    history::record(tx, &cx.actor, kind, made.id, Change::Update, &from, &none).await?;
    if m.stage() != MemoStage::Considered {
        flow::apply_stage::<Memos>(tx, cx, memo, &m, &MemoStage::Considered, out).await?;
    }
    out.changed(memo.clone());
    Ok(())
}
