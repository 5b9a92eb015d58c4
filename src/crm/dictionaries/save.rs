//! Saving a dictionary row: the form checked (`parse`), the rules that need the database
//! (`check`), and the write with its exclusive flags, order and history entry (`write`).

use sea_query::{Alias, Cond, Expr, ExprTrait, Query, SimpleExpr};

use super::{DField, DInput, Dict, Row, Typed, history_kind};
use crate::crm::fields;
use crate::crm::record::Val;
use crate::db::{self, Db, Tx};
use crate::error::FormErrors;
use crate::history::{self, Actor, Change, Diff};

/// A checked row: name, order, field values.
pub(super) struct Checked {
    pub(super) name: String,
    pub(super) index: Option<i64>,
    pub(super) values: Vec<Val>,
}

pub(super) fn parse(d: &Dict, raw: &Typed, before: Option<&Row>, errs: &mut FormErrors) -> Checked {
    let name = raw.get("name").split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        errs.add("name", "Enter a name.");
    } else if name.chars().count() > d.name_max {
        errs.add("name", format!("At most {} characters.", d.name_max));
    }
    let order = if d.ordered {
        let t = raw.get("index_number").trim();
        if t.is_empty() {
            None
        } else {
            match t.parse::<i64>() {
                Ok(n) if (0..=100_000).contains(&n) => Some(n),
                _ => {
                    errs.add("index_number", "Enter a whole number from 0 to 100000.");
                    None
                }
            }
        }
    } else {
        None
    };
    let mut values = Vec::with_capacity(d.fields.len());
    for f in d.fields {
        let t = raw.get(f.col).trim();
        let v = match f.input {
            DInput::Flag => Val::Bool(!t.is_empty()),
            DInput::Token => {
                before.map(|b| b.get(d, f.col)).unwrap_or_else(|| Val::Text(crate::migrations::lead_source_token()))
            }
            DInput::Country => match t.parse::<i64>() {
                Ok(c) => Val::Int(c),
                Err(_) => {
                    errs.add(f.col, "Choose a country.");
                    Val::Null
                }
            },
            DInput::Weight => match t.replace('−', "-").trim_end_matches('%').trim().parse::<i64>() {
                Ok(w) if (-100..=100).contains(&w) => Val::Int(w),
                _ => {
                    errs.add(f.col, "Enter a whole number from -100 to 100.");
                    Val::Null
                }
            },
            DInput::Email => {
                if !t.is_empty() && !fields::is_email(t) {
                    errs.add(f.col, format!("\"{t}\" is not an email address."));
                }
                if t.chars().count() > 254 {
                    errs.add(f.col, "At most 254 characters.");
                }
                Val::Text(t.to_string())
            }
            DInput::Text(max) => {
                if t.chars().count() > max {
                    errs.add(f.col, format!("At most {max} characters."));
                }
                Val::Text(t.to_string())
            }
            DInput::Origins => match crate::requests::intake::parse_origins(raw.get(f.col)) {
                Ok(list) if list.len() <= 50 => Val::Text(list.join("\n")),
                Ok(_) => {
                    errs.add(f.col, "At most 50 origins.");
                    Val::Text(String::new())
                }
                Err(bad) => {
                    let bad: String = bad.chars().take(80).collect();
                    errs.add(f.col, format!("\"{bad}\" is not an origin: write the scheme, host and port only, such as https://www.example.com."));
                    Val::Text(String::new())
                }
            },
            DInput::LongText => {
                if raw.get(f.col).chars().count() > 10_000 {
                    errs.add(f.col, "At most 10,000 characters.");
                }
                Val::Text(raw.get(f.col).trim().to_string())
            }
        };
        values.push(v);
    }
    Checked { name, index: order, values }
}

/// Names and alternative names of a city, folded.
pub(super) fn city_names(name: &str, alternatives: &str) -> Vec<(String, String)> {
    std::iter::once(name)
        .chain(alternatives.split(','))
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| (n.to_string(), crate::text::fold(n)))
        .collect()
}

/// The rules that need the database: the name (and a city's alternative names) not taken, a
/// country that exists, the default stage kept.
pub(super) async fn check(
    db: &Db,
    d: &Dict,
    department: Option<i64>,
    c: &Checked,
    own: Option<&Row>,
    errs: &mut FormErrors,
) -> Result<(), sqlx::Error> {
    if c.name.is_empty() {
        return Ok(());
    }
    let key = crate::text::fold(&c.name);
    if d.global {
        let Some(country) =
            c.values.get(d.fields.iter().position(|f| f.col == "country_id").unwrap_or(0)).and_then(Val::int)
        else {
            return Ok(());
        };
        if db
            .scalar::<i64>(Query::select().column("id").from("countries").and_where(Expr::col("id").eq(country)))
            .await?
            .is_none()
        {
            errs.add("country_id", "Choose a country.");
            return Ok(());
        }
        // §2.2 City.clean: no name or alternative name of this city may be another city's name or
        // alternative name in the same country.
        let alt = c.values.get(d.fields.iter().position(|f| f.col == "alternative_names").unwrap_or(1));
        let mine = city_names(&c.name, alt.map(Val::text).unwrap_or(""));
        let keys: Vec<String> = mine.iter().map(|(_, k)| k.clone()).collect();
        let mut q = Query::select();
        q.columns(["id", "name", "alternative_names"])
            .from("cities")
            .and_where(Expr::col("country_id").eq(country))
            .cond_where(Cond::any().add(Expr::col("name_key").is_in(keys)).add(Expr::col("alternative_names").ne("")))
            .limit(10_000);
        if let Some(o) = own {
            q.and_where(Expr::col("id").ne(o.id));
        }
        let others: Vec<(i64, String, String)> = db.fetch_all(&q).await?;
        'outer: for (typed, k) in &mine {
            for (id, name, alts) in &others {
                if city_names(name, alts).iter().any(|(_, ok)| ok == k) {
                    errs.add(
                        if typed == &c.name { "name" } else { "alternative_names" },
                        format!("\"{typed}\" - has already been assigned to the city \"{name}\" ID:{id}"),
                    );
                    break 'outer;
                }
            }
        }
        return Ok(());
    }
    let dep = department.unwrap_or(0);
    let taken = if d.keyed {
        let mut q = Query::select();
        q.column("id")
            .from(Alias::new(d.table))
            .and_where(Expr::col("department_id").eq(dep))
            .and_where(Expr::col("name_key").eq(key));
        if let Some(o) = own {
            q.and_where(Expr::col("id").ne(o.id));
        }
        db.scalar::<i64>(&q).await?.is_some()
    } else {
        // A department's few rows, compared ignoring case in Rust (SQLite's lower() folds ASCII only).
        let mut q = Query::select();
        q.columns(["id", "name"]).from(Alias::new(d.table)).and_where(Expr::col("department_id").eq(dep)).limit(10_000);
        let rows: Vec<(i64, String)> = db.fetch_all(&q).await?;
        rows.iter().any(|(id, n)| Some(*id) != own.map(|o| o.id) && crate::text::fold(n) == key)
    };
    if taken {
        errs.add("name", d.taken());
    }
    for (i, f) in d.fields.iter().enumerate() {
        if f.kept
            && own.is_some_and(|o| o.values.get(i) == Some(&Val::Bool(true)))
            && c.values.get(i) != Some(&Val::Bool(true))
        {
            errs.add(
                f.col,
                format!("The department needs a {} {}: mark another one instead.", f.label.to_lowercase(), d.noun),
            );
        }
    }
    Ok(())
}

/// Writes the row (insert when `before` is None) with its exclusive flags and order, and the
/// history entry. Returns the id.
pub(super) async fn write(
    tx: &mut Tx,
    d: &Dict,
    department: Option<i64>,
    before: Option<&Row>,
    c: &Checked,
    actor: &Actor,
    country_names: &[(i64, String)],
) -> Result<i64, sqlx::Error> {
    let table = Alias::new(d.table);
    // Exclusive flags: set here, cleared on the department's other rows first (partial unique
    // indexes hold one per department).
    if let Some(dep) = department {
        for (i, f) in d.fields.iter().enumerate() {
            if f.exclusive && c.values.get(i) == Some(&Val::Bool(true)) {
                let mut q = Query::update();
                q.table(table.clone())
                    .value(Alias::new(f.col), false)
                    .and_where(Expr::col("department_id").eq(dep))
                    .and_where(Expr::col(Alias::new(f.col)).eq(true));
                if let Some(b) = before {
                    q.and_where(Expr::col("id").ne(b.id));
                }
                tx.execute(&q).await?;
            }
        }
    }
    // The order: a number already taken shifts that row and those after it (§16.1); none given
    // puts a new row last.
    let mut order = c.index;
    if d.ordered
        && let Some(dep) = department
    {
        match order {
            Some(n) if before.is_none_or(|b| b.index != n) => {
                let mut taken = Query::select();
                taken
                    .column("id")
                    .from(table.clone())
                    .and_where(Expr::col("department_id").eq(dep))
                    .and_where(Expr::col("index_number").eq(n));
                if let Some(b) = before {
                    taken.and_where(Expr::col("id").ne(b.id));
                }
                if tx.scalar::<i64>(&taken).await?.is_some() {
                    let mut q = Query::update();
                    q.table(table.clone())
                        .value(Alias::new("index_number"), Expr::col(Alias::new("index_number")).add(1))
                        .and_where(Expr::col("department_id").eq(dep))
                        .and_where(Expr::col("index_number").gte(n));
                    if let Some(b) = before {
                        q.and_where(Expr::col("id").ne(b.id));
                    }
                    tx.execute(&q).await?;
                }
            }
            Some(_) => {}
            None => {
                let last: Option<i64> = match before {
                    Some(b) => Some(b.index - 1),
                    None => {
                        tx.scalar(
                            Query::select()
                                .expr(Expr::col(Alias::new("index_number")).max().cast_as(Alias::new("BIGINT")))
                                .from(table.clone())
                                .and_where(Expr::col("department_id").eq(dep)),
                        )
                        .await?
                    }
                };
                order = Some(last.unwrap_or(0) + 1);
            }
        }
    }
    let mut cols: Vec<(&'static str, SimpleExpr)> = vec![("name", c.name.clone().into())];
    if d.keyed {
        cols.push(("name_key", crate::text::fold(&c.name).into()));
    }
    if let Some(n) = order.filter(|_| d.ordered) {
        cols.push(("index_number", n.into()));
    }
    for (f, v) in d.fields.iter().zip(&c.values) {
        cols.push((f.col, v.bind(f.input.ty()).into()));
    }
    if d.stamped {
        cols.push(("modified_by_id", actor.id.into()));
        cols.push(("updated_at", db::now().into()));
    }
    let id = match before {
        Some(b) => {
            let mut q = Query::update();
            q.table(table.clone())
                .values(cols.iter().map(|(c, v)| (Alias::new(*c), v.clone())))
                .and_where(Expr::col("id").eq(b.id));
            tx.execute(&q).await?;
            b.id
        }
        None => {
            if let Some(dep) = department {
                cols.push(("department_id", dep.into()));
            }
            if d.stamped {
                cols.push(("owner_id", actor.id.into()));
                cols.push(("created_at", db::now().into()));
            }
            let mut q = Query::insert();
            q.into_table(table.clone())
                .columns(cols.iter().map(|(c, _)| Alias::new(*c)))
                .values_panic(cols.iter().map(|(_, v)| v.clone()))
                .returning_col(Alias::new("id"));
            tx.insert_id(&q).await?
        }
    };
    // History: the fields as people read them.
    let shown = |f: &DField, v: &Val| -> String {
        match (f.input, v) {
            (DInput::Flag, Val::Bool(b)) => if *b { "yes" } else { "no" }.to_string(),
            (DInput::Weight, Val::Int(w)) => crate::views::crm_quality::weight(*w),
            (DInput::Country, Val::Int(c)) => {
                country_names.iter().find(|(i, _)| i == c).map(|(_, n)| n.clone()).unwrap_or_else(|| c.to_string())
            }
            (_, v) => v.text().to_string(),
        }
    };
    let mut diff = Diff::default();
    let old_name = before.map(|b| b.name.clone()).unwrap_or_default();
    if old_name != c.name {
        diff.field("Name", &old_name, &c.name);
    }
    if d.ordered {
        let old = before.map(|b| b.index.to_string()).unwrap_or_default();
        let new = order.map(|n| n.to_string()).unwrap_or_default();
        if old != new {
            diff.field("Order", old, new);
        }
    }
    for (i, f) in d.fields.iter().enumerate() {
        let old = before.and_then(|b| b.values.get(i)).map(|v| shown(f, v)).unwrap_or_default();
        let new = c.values.get(i).map(|v| shown(f, v)).unwrap_or_default();
        if old != new && !(before.is_none() && new.is_empty()) {
            diff.field(f.label, old, new);
        }
    }
    if before.is_none() || !diff.is_empty() {
        let (change, what) = if before.is_some() { (Change::Update, "Changed") } else { (Change::Create, "Added") };
        history::record(tx, actor, &history_kind(d), id, change, &format!("{what} the {} {}", d.noun, c.name), &diff)
            .await?;
    }
    Ok(id)
}
