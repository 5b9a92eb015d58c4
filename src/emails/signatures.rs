//! Email signatures (§2.5 Signature, §7.1): each user keeps their own (administrators too, for
//! themselves); one of them may be the default, which a new letter starts with. A signature is
//! plain text, shown escaped with its line breaks: it goes into plain and HTML letters alike, and
//! plain text cannot carry a tracking image or markup that breaks the letter around it.
//!
//! "One default per user" holds twice: the save clears the user's other defaults in its
//! transaction, and a unique partial index (`ux_signatures_default`, migration 21) refuses a second.

use poem::web::{Data, Path};
use poem::{IntoResponse, Response, handler};
use sea_query::{Expr, ExprTrait, Order, Query};

use crate::access::{self, Action, Object, Viewer};
use crate::app::AppState;
use crate::db::{Db, Tx};
use crate::error::{AppError, AppResult, FormErrors};
use crate::htmx::HxRequest;
use crate::views;
use crate::web::{self, Form};

pub const NAME_MAX: usize = 70;
pub const CONTENT_MAX: usize = 5000;

#[derive(Clone, Debug, Default, sqlx::FromRow)]
pub struct Signature {
    pub id: i64,
    pub name: String,
    pub content: String,
    pub is_default: bool,
}

/// The form (new and edit).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct SigForm {
    pub name: String,
    pub content: String,
    /// "on" when ticked.
    pub is_default: String,
}

impl SigForm {
    fn of(s: &Signature) -> SigForm {
        SigForm {
            name: s.name.clone(),
            content: s.content.clone(),
            is_default: if s.is_default { "on".into() } else { String::new() },
        }
    }
    fn check(&self) -> FormErrors {
        let mut errs = FormErrors::default();
        let name = self.name.trim();
        if name.is_empty() {
            errs.add("name", "This field is required.");
        } else if name.chars().count() > NAME_MAX {
            errs.add("name", format!("At most {NAME_MAX} characters."));
        }
        if self.content.chars().count() > CONTENT_MAX {
            errs.add("content", format!("At most {CONTENT_MAX} characters."));
        }
        errs
    }
    fn ticked(&self) -> bool {
        !self.is_default.is_empty()
    }
}

/// The viewer's signatures, the default first, then by name.
pub async fn of_user(db: &Db, user: i64) -> Result<Vec<Signature>, sqlx::Error> {
    db.fetch_all(
        Query::select()
            .columns(["id", "name", "content", "is_default"])
            .from("signatures")
            .and_where(Expr::col("user_id").eq(user))
            .order_by("is_default", Order::Desc)
            .order_by("name", Order::Asc)
            .order_by("id", Order::Asc),
    )
    .await
}

/// The viewer's signature `id` (404 for anyone else's: it is not theirs to see).
async fn own(db: &Db, v: &Viewer, id: i64, action: Action) -> AppResult<Signature> {
    let row: Option<(i64, Signature)> = db
        .fetch_optional(
            Query::select()
                .columns(["user_id", "id", "name", "content", "is_default"])
                .from("signatures")
                .and_where(Expr::col("id").eq(id)),
        )
        .await?
        .map(|(user, id, name, content, is_default): (i64, i64, String, String, bool)| {
            (user, Signature { id, name, content, is_default })
        });
    let Some((owner, s)) = row else { return Err(AppError::NotFound) };
    if !access::can(v, Action::View, &Object::Signature { owner }) {
        return Err(AppError::NotFound);
    }
    access::require(v, action, &Object::Signature { owner })?;
    Ok(s)
}

/// Writes a signature (new when `id` is None) in one transaction: first clears the user's other
/// default when this one is the default.
async fn write(tx: &mut Tx, user: i64, id: Option<i64>, f: &SigForm) -> Result<i64, sqlx::Error> {
    if f.ticked() {
        let mut q = Query::update();
        q.table("signatures")
            .value("is_default", false)
            .and_where(Expr::col("user_id").eq(user))
            .and_where(Expr::col("is_default").eq(true));
        if let Some(id) = id {
            q.and_where(Expr::col("id").ne(id));
        }
        tx.execute(&q).await?;
    }
    let now = crate::db::now();
    let (name, content) = (f.name.trim().to_string(), f.content.trim_end().to_string());
    match id {
        Some(id) => {
            tx.execute(
                Query::update()
                    .table("signatures")
                    .value("name", name)
                    .value("content", content)
                    .value("is_default", f.ticked())
                    .value("updated_at", now)
                    .and_where(Expr::col("id").eq(id))
                    .and_where(Expr::col("user_id").eq(user)),
            )
            .await?;
            Ok(id)
        }
        None => {
            tx.insert_id(
                Query::insert()
                    .into_table("signatures")
                    .columns(["user_id", "name", "content", "is_default", "created_at", "updated_at"])
                    .values_panic([user.into(), name.into(), content.into(), f.ticked().into(), now.into(), now.into()])
                    .returning_col("id"),
            )
            .await
        }
    }
}

async fn render(
    state: &AppState,
    v: &Viewer,
    hx: HxRequest,
    editing: Option<i64>,
    form: &SigForm,
    errs: &FormErrors,
) -> AppResult<maud::Markup> {
    let list = of_user(&state.db, v.id).await?;
    let cx = web::page_cx(state, v, views::layout::Nav::Crm(crate::access::ItemKind::Email), hx).await?;
    Ok(views::emails::signatures(&cx, &list, editing, form, errs))
}

fn require_own_list(v: &Viewer) -> AppResult<()> {
    access::require(v, Action::List, &Object::Signature { owner: v.id })
}

/// `GET /signatures`: the viewer's signatures and the form for a new one.
#[handler]
pub async fn index(state: Data<&AppState>, viewer: Viewer, hx: HxRequest) -> AppResult<Response> {
    require_own_list(&viewer)?;
    let first = of_user(&state.db, viewer.id).await?.is_empty();
    // The first signature is the default unless the user says otherwise.
    let form = SigForm { is_default: if first { "on".into() } else { String::new() }, ..SigForm::default() };
    Ok(render(&state, &viewer, hx, None, &form, &FormErrors::default()).await?.into_response())
}

/// `POST /signatures`: adds one (422 with the messages when the form is wrong).
#[handler]
pub async fn create(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Form(f): Form<SigForm>,
) -> AppResult<Response> {
    access::require(&viewer, Action::Create, &Object::Signature { owner: viewer.id })?;
    let errs = f.check();
    if !errs.is_empty() {
        return Ok(web::invalid(render(&state, &viewer, hx, None, &f, &errs).await?));
    }
    let mut tx = state.db.begin().await?;
    write(&mut tx, viewer.id, None, &f).await?;
    tx.commit().await?;
    Ok(crate::htmx::redirect(hx, PATH))
}

/// `GET /signatures/:id/edit`.
#[handler]
pub async fn edit(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, Path(id): Path<i64>) -> AppResult<Response> {
    let s = own(&state.db, &viewer, id, Action::Edit).await?;
    Ok(render(&state, &viewer, hx, Some(id), &SigForm::of(&s), &FormErrors::default()).await?.into_response())
}

/// `POST /signatures/:id`: saves an edit.
#[handler]
pub async fn update(
    state: Data<&AppState>,
    viewer: Viewer,
    hx: HxRequest,
    Path(id): Path<i64>,
    Form(f): Form<SigForm>,
) -> AppResult<Response> {
    own(&state.db, &viewer, id, Action::Edit).await?;
    let errs = f.check();
    if !errs.is_empty() {
        return Ok(web::invalid(render(&state, &viewer, hx, Some(id), &f, &errs).await?));
    }
    let mut tx = state.db.begin().await?;
    write(&mut tx, viewer.id, Some(id), &f).await?;
    tx.commit().await?;
    Ok(crate::htmx::redirect(hx, PATH))
}

/// `POST /signatures/:id/delete`.
#[handler]
pub async fn delete(state: Data<&AppState>, viewer: Viewer, hx: HxRequest, Path(id): Path<i64>) -> AppResult<Response> {
    own(&state.db, &viewer, id, Action::Delete).await?;
    state
        .db
        .execute(
            &Query::delete()
                .from_table("signatures")
                .and_where(Expr::col("id").eq(id))
                .and_where(Expr::col("user_id").eq(viewer.id))
                .to_owned(),
        )
        .await?;
    Ok(crate::htmx::redirect(hx, PATH))
}

/// The signatures page.
pub const PATH: &str = "/signatures";
