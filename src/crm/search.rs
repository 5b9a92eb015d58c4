//! CRM search (inventory §10): what a list's search box understands, and the trigram index that
//! answers "contains" without reading every row.
//!
//! - `ID 123` / `id123`: the row with that id, filters bypassed (never the viewer's scope).
//! - `ticket:X`, `ticket: X`, `ticket X` on kinds with a ticket (deals): that exact ticket, filters
//!   bypassed.
//! - Anything else: words; every word must be contained (case-insensitively) in one of the kind's
//!   §10 fields, its own or a related row's (a contact's company, a deal's contact, company, lead…).
//!
//! **The index.** `search_terms` holds one row (kind, gram, object id) per distinct gram of a row's
//! searchable text (each field lowercased on its own; a gram is three code points packed in one
//! integer, the first in the high bits). A value gives a gram starting at each of its characters,
//! padded with NUL past its end ("smith": smi, mit, ith, th␀, h␀␀), so every substring of one, two
//! or three characters starts some gram. It is written in the transaction of every insert, update
//! and delete (`crm::repo`, `items::remove`; the tasks', memos' and projects' repos) and by the
//! seed's bulk load (`rebuild`).
//!
//! **Tasks, memos and projects** (kinds 7, 8, 9) are indexed by the fields their lists search
//! (`item_cols`), and their lists' text (one text, never split in words) is answered by
//! `text_condition` the same way: the rarest trigrams' candidates checked with the lists' own
//! `LIKE`, or that `LIKE` alone when the text is common.
//!
//! **A word, per place it may be in** (the kind's own fields, each related row's): a word of three
//! or more characters looks up its rarest trigrams; a one- or two-letter word is the range of grams
//! starting with it (`short_range`: "qz" is qz␀ … qz\u{10FFFF}, "q" every gram starting with q).
//! When the index holds few rows for every place, the word's rows are among the union, place by
//! place, of the rows the candidates lead to (a contact's deals through `ix_deals_contact`), and
//! those rows are checked with the exact `LIKE '%word%'` test over the row and its related rows, so
//! the answer is exactly "contains" whatever the index holds, and the list then orders a few hundred
//! ids (a deal's partner company, read by its name only, is checked on its own table first). When
//! some place is common (more than
//! `COMMON` rows for the rarest trigram, `RANGE_COMMON` for a range), the word is in many rows and
//! the list finds its page by reading rows newest first with the same `LIKE` test over the row and
//! its related rows. Related fields are matched through the related kind's own index, so editing a
//! company needs no re-indexing of its contacts or deals.
//!
//! Case: the word and the index are lowercased by Rust; the confirming `LIKE` uses the database's
//! `lower()` (ASCII only on SQLite, Unicode on PostgreSQL). The index only adds candidates, except
//! for the few letters whose lowercase depends on the context or is longer (Turkish `İ`, a final
//! `Σ`), which PostgreSQL may lowercase differently from Rust.

use std::collections::BTreeSet;

use sea_query::{Alias, Expr, ExprTrait, Func, LikeExpr, Query, SelectStatement, SimpleExpr, UnionType};

use super::repo::Spec;
use crate::access::ItemKind;
use crate::db::{self, Db};

mod fill;
mod write;
pub use fill::{
    fill, fill_emails, index_all_pending, index_pending, rebuild, rebuild_dense, rebuild_items, refill, refill_items,
};
pub use write::{index_change, index_many, index_new, index_text, index_where, reindex_text, unindex, unindex_row};

/// What a search box holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Search {
    None,
    Id(i64),
    Ticket(String),
    /// Lowercased words, each to be contained in some field.
    Words(Vec<String>),
}

/// The longest search taken into account (characters); the rest is ignored.
pub const MAX_CHARS: usize = 200;
/// At most this many words count.
const MAX_WORDS: usize = 8;

/// Reads the search box of a list of `kind`.
pub fn parse(q: &str, kind: ItemKind) -> Search {
    let q: String = q.trim().chars().take(MAX_CHARS).collect();
    if q.is_empty() {
        return Search::None;
    }
    if let Some(id) = super::list::id_search(&q) {
        return Search::Id(id);
    }
    if has_ticket(kind)
        && let Some(t) = ticket(&q)
    {
        return Search::Ticket(t);
    }
    let words: Vec<String> = q.split_whitespace().take(MAX_WORDS).map(|w| w.to_lowercase()).collect();
    Search::Words(words)
}

/// The kinds with a ticket (§10: Request, Deal, CrmEmail): `kinds::Kind::ticket`.
pub fn has_ticket(kind: ItemKind) -> bool {
    kind.info().ticket
}

/// `ticket:X`, `ticket: X`, `Ticket X` → X (one word).
fn ticket(q: &str) -> Option<String> {
    let head = q.get(..6).filter(|h| h.eq_ignore_ascii_case("ticket"))?;
    let rest = &q[head.len()..];
    let after = rest.strip_prefix(':').unwrap_or(rest);
    // "ticketX" is a word, not a ticket search.
    if after.len() == rest.len() && !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let t = after.trim();
    (!t.is_empty() && !t.contains(char::is_whitespace)).then(|| t.to_string())
}

/// A kind's number in `search_terms.kind`.
fn code(kind: ItemKind) -> Option<i16> {
    Some(match kind {
        ItemKind::Company => 1,
        ItemKind::Contact => 2,
        ItemKind::Lead => 3,
        ItemKind::Deal => 4,
        ItemKind::Product => 5,
        ItemKind::Payment => 6,
        ItemKind::Task => 7,
        ItemKind::Memo => 8,
        ItemKind::Project => 9,
        ItemKind::Request => 10,
        ItemKind::Email => 11,
    })
}

/// The Tasks section's kinds, whose lists search one text (not words) in their own fields.
const ITEM_KINDS: [ItemKind; 3] = [ItemKind::Task, ItemKind::Memo, ItemKind::Project];

/// The fields a task's, memo's or project's list search reads: name and description (a project's
/// list only its name). `None` for the CRM's kinds.
pub fn item_cols(kind: ItemKind) -> Option<&'static [&'static str]> {
    match kind {
        ItemKind::Task | ItemKind::Memo => Some(&["name", "description"]),
        ItemKind::Project => Some(&["name"]),
        _ => None,
    }
}

/// The columns of `kind` the index holds: its own §10 fields plus those other kinds' searches read
/// through it (a deal's search reads its lead's website and company address and email).
pub fn indexed(kind: ItemKind) -> Vec<&'static str> {
    if let Some(cols) = item_cols(kind) {
        return cols.to_vec();
    }
    let Some(spec) = super::handlers::spec(kind) else { return Vec::new() };
    let mut cols: Vec<&'static str> = spec.search.to_vec();
    for part in parts_all() {
        if part.to == kind {
            for c in part.cols {
                if !cols.contains(c) {
                    cols.push(c);
                }
            }
        }
    }
    cols
}

/// A related row whose fields a kind's search reads (§10).
struct Part {
    /// The kind searched.
    from: ItemKind,
    /// The reference column of `from`.
    via: &'static str,
    /// The related kind and its fields.
    to: ItemKind,
    cols: &'static [&'static str],
}

const COMPANY_OF_CONTACT: &[&str] = &["full_name", "website", "city_name", "address", "email", "description"];

fn parts_all() -> &'static [Part] {
    use ItemKind::*;
    &[
        Part { from: Contact, via: "company_id", to: Company, cols: COMPANY_OF_CONTACT },
        Part {
            from: Deal,
            via: "contact_id",
            to: Contact,
            cols: &["first_name", "last_name", "email", "address", "description"],
        },
        Part { from: Deal, via: "company_id", to: Company, cols: COMPANY_OF_CONTACT },
        Part {
            from: Deal,
            via: "lead_id",
            to: Lead,
            cols: &[
                "first_name",
                "last_name",
                "address",
                "description",
                "company_name",
                "website",
                "company_address",
                "company_email",
            ],
        },
    ]
}

fn parts(kind: ItemKind) -> impl Iterator<Item = &'static Part> {
    parts_all().iter().filter(move |p| p.from == kind)
}

/// Three code points in one integer.
fn pack(a: char, b: char, c: char) -> i64 {
    ((a as i64) << 42) | ((b as i64) << 21) | (c as i64)
}

/// Pads a gram that runs past the end of a value. A NUL in the text itself only adds candidates
/// (the exact test decides), never hides one.
const PAD: char = '\0';
/// The largest code point, the top of a gram range.
const TOP: char = char::MAX;

/// The distinct grams of lowercased `text`: one starting at each character, padded at the end (so
/// "abcd" gives abc, bcd, cd␀ and d␀␀). Every one- or two-letter substring of the value then starts
/// some gram, and a short word is a range of grams (`short_range`).
fn grams_into(text: &str, out: &mut BTreeSet<i64>) {
    let chars: Vec<char> = text.to_lowercase().chars().collect();
    for i in 0..chars.len() {
        let at = |j: usize| chars.get(j).copied().unwrap_or(PAD);
        out.insert(pack(chars[i], at(i + 1), at(i + 2)));
    }
}

/// The grams that start with a one- or two-letter word: a range of the index's order.
fn short_range(word: &str) -> Option<(i64, i64)> {
    let chars: Vec<char> = word.chars().collect();
    match chars[..] {
        [a] => Some((pack(a, PAD, PAD), pack(a, TOP, TOP))),
        [a, b] => Some((pack(a, b, PAD), pack(a, b, TOP))),
        _ => None,
    }
}

/// The trigrams of a row, from its indexed columns' values.
fn grams_of(values: &[&str]) -> BTreeSet<i64> {
    let mut out = BTreeSet::new();
    for v in values {
        grams_into(v, &mut out);
    }
    out
}

/// When a word counts as common in a place (see the module): the index rows of its rarest
/// trigram, or of its range for a one- or two-letter word, from which the list reads rows newest
/// first instead of listing candidates.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub common: i64,
    pub range_common: i64,
}

/// The limits lists use. A few thousand candidates are checked in a few milliseconds; above that
/// the word is in several percent of the rows and a page of them is found sooner newest first.
pub const LIMITS: Limits = Limits { common: COMMON, range_common: RANGE_COMMON };

const COMMON: i64 = 4000;
/// A one- or two-letter word is common from this many index rows (a row holds several grams
/// starting with the same letter, so a range counts rows, not objects).
const RANGE_COMMON: i64 = 4000;
/// Trigrams of a word looked up at most (spread over the word).
const SAMPLE: usize = 8;
/// Rarest trigrams a candidate must hold.
const INTERSECT: usize = 3;

/// The distinct trigrams of a word, at most `SAMPLE` of them spread over it.
fn word_grams(word: &str) -> Vec<i64> {
    let chars: Vec<char> = word.chars().collect();
    let all: Vec<i64> = chars.windows(3).map(|w| pack(w[0], w[1], w[2])).collect::<BTreeSet<_>>().into_iter().collect();
    if all.len() <= SAMPLE {
        return all;
    }
    (0..SAMPLE).map(|i| all[i * (all.len() - 1) / (SAMPLE - 1)]).collect()
}

/// What the index says about a word in one kind.
enum Hits {
    /// No row of the kind holds the word.
    Nothing,
    /// Too many rows hold each of its trigrams to list them.
    Common,
    /// Candidates: ids of rows holding the rarest trigrams.
    Few(Box<SelectStatement>),
}

/// How many index rows of kind `k` the condition on `gram` holds, counting up to `limit`, and
/// whether a dense gram's marker is among them (`DENSE`: its rows are not all in the index).
/// Rows are read in object id order when `ordered` (one gram), so a marker is the first read.
async fn count_rows(db: &Db, k: i16, gram: SimpleExpr, limit: i64, ordered: bool) -> Result<(i64, bool), sqlx::Error> {
    let mut inner = Query::select();
    inner.column("object_id").from("search_terms").and_where(Expr::col("kind").eq(k)).and_where(gram);
    if ordered {
        inner.order_by("object_id", sea_query::Order::Asc);
    }
    inner.limit(limit as u64);
    let row: Option<(i64, Option<i64>)> = db
        .fetch_optional(
            &Query::select()
                .expr(Expr::col(sea_query::Asterisk).count())
                .expr(Expr::col("object_id").min())
                .from_subquery(inner.to_owned(), Alias::new("g"))
                .to_owned(),
        )
        .await?;
    let (n, min) = row.unwrap_or((0, None));
    Ok((n, min == Some(0)))
}

/// Whether rows of `kind` may be written before their index rows (`search_pending`, migration 25):
/// the web forms' requests and inquiry emails.
fn deferred(kind: ItemKind) -> bool {
    matches!(kind, ItemKind::Request | ItemKind::Email)
}

/// What the index says about a word in one kind; for a kind whose new rows may wait for their
/// index rows, those rows are candidates too (the caller's `LIKE` decides, as for every candidate).
async fn hits(db: &Db, kind: ItemKind, word: &str, lim: Limits) -> Result<Hits, sqlx::Error> {
    let found = indexed_hits(db, kind, word, lim).await?;
    if !deferred(kind) {
        return Ok(found);
    }
    let mut waiting = Query::select();
    waiting.column("id").from(kind.info().table).and_where(Expr::cust("search_pending"));
    Ok(match found {
        Hits::Common => Hits::Common,
        // The index had no row of the word when asked, but a row waiting then may be indexed by
        // the time the list's query runs (another snapshot): the word's own rows are asked again.
        Hits::Nothing => {
            let mut q = word_rows(kind, word);
            q.union(UnionType::All, waiting);
            Hits::Few(Box::new(q))
        }
        Hits::Few(mut q) => {
            q.union(UnionType::All, waiting);
            Hits::Few(q)
        }
    })
}

/// The ids of the rows of `kind` the index holds under `word`, however many.
fn word_rows(kind: ItemKind, word: &str) -> SelectStatement {
    let k = code(kind).unwrap_or(0);
    if let Some((lo, hi)) = short_range(word) {
        return Query::select()
            .column("object_id")
            .from("search_terms")
            .and_where(Expr::col("kind").eq(k))
            .and_where(Expr::col("gram").between(lo, hi))
            .to_owned();
    }
    let grams = word_grams(word);
    let spread: Vec<i64> = grams.iter().step_by(grams.len().div_ceil(INTERSECT).max(1)).copied().collect();
    intersection(k, &spread)
}

async fn indexed_hits(db: &Db, kind: ItemKind, word: &str, lim: Limits) -> Result<Hits, sqlx::Error> {
    let Some(k) = code(kind) else { return Ok(Hits::Common) };
    if let Some((lo, hi)) = short_range(word) {
        // One or two letters: the grams starting with them, a range of the primary key. Fewer
        // rows than the limit are all read, so a dense gram's marker among them is seen.
        let range = Expr::col("gram").between(lo, hi);
        let (n, dense) = count_rows(db, k, range.clone(), lim.range_common, false).await?;
        return Ok(match n {
            0 => Hits::Nothing,
            n if n >= lim.range_common || dense => Hits::Common,
            _ => Hits::Few(Box::new(
                Query::select()
                    .column("object_id")
                    .from("search_terms")
                    .and_where(Expr::col("kind").eq(k))
                    .and_where(range)
                    .to_owned(),
            )),
        });
    }
    let mut counted = Vec::new();
    // Only the rarest trigrams matter: each count stops at the rarest so far. A dense gram is
    // never one of them (its rows are not listed).
    let mut bound = lim.common;
    for g in word_grams(word) {
        let (n, dense) = count_rows(db, k, Expr::col("gram").eq(g), bound, true).await?;
        if n == 0 {
            return Ok(Hits::Nothing);
        }
        if !dense {
            bound = Ord::min(bound, n);
            counted.push((n, g));
        }
    }
    counted.sort_unstable();
    if counted.first().is_none_or(|(n, _)| *n >= lim.common) {
        return Ok(Hits::Common);
    }
    let rarest: Vec<i64> = counted.iter().take(INTERSECT).map(|(_, g)| *g).collect();
    Ok(Hits::Few(Box::new(intersection(k, &rarest))))
}

/// The ids of the rows of kind `k` holding every one of `grams` (none for no grams).
fn intersection(k: i16, grams: &[i64]) -> SelectStatement {
    let t = Alias::new("st0");
    let mut q = Query::select();
    q.column((t.clone(), Alias::new("object_id")))
        .from_as("search_terms", t.clone())
        .and_where(Expr::col((t.clone(), Alias::new("kind"))).eq(k));
    match grams.first() {
        Some(g) => q.and_where(Expr::col((t.clone(), Alias::new("gram"))).eq(*g)),
        None => q.and_where(Expr::val(false)),
    };
    for (i, g) in grams.iter().enumerate().skip(1) {
        let a = Alias::new(format!("st{i}"));
        q.and_where(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from_as("search_terms", a.clone())
                .and_where(Expr::col((a.clone(), Alias::new("kind"))).eq(k))
                .and_where(Expr::col((a.clone(), Alias::new("gram"))).eq(*g))
                .and_where(Expr::col((a.clone(), Alias::new("object_id"))).equals((t.clone(), Alias::new("object_id"))))
                .to_owned(),
        ));
    }
    q
}

fn like(table: impl sea_query::IntoIden + Clone, col: &'static str, pattern: &str) -> SimpleExpr {
    Expr::expr(Func::lower(Expr::col((table, Alias::new(col))))).like(LikeExpr::new(pattern.to_string()).escape('\\'))
}

fn any_like(table: &Alias, cols: &[&'static str], pattern: &str) -> SimpleExpr {
    cols.iter().fold(Expr::val(false), |acc: SimpleExpr, c| acc.or(like(table.clone(), c, pattern)))
}

/// The condition "the text is contained in one of the `item_cols` of a task, memo or project"
/// (case-insensitively, as `lower(col) LIKE '%text%'`), a `WHERE` on the kind's list query: the
/// whole text is one word (these lists never split it). Rare text: the index's candidates checked
/// with that `LIKE`; common text: the `LIKE` alone, the list reading rows in its own order.
pub async fn text_condition(db: &Db, kind: ItemKind, text: &str) -> Result<SimpleExpr, sqlx::Error> {
    text_condition_with(db, kind, text, LIMITS).await
}

/// `text_condition` with other limits (tests force either way of answering with them).
pub async fn text_condition_with(db: &Db, kind: ItemKind, text: &str, lim: Limits) -> Result<SimpleExpr, sqlx::Error> {
    let cols = item_cols(kind).unwrap_or(&[]);
    let table = Alias::new(kind.info().table);
    let word = text.to_lowercase();
    let exact = any_like(&table, cols, &db::like_pattern(&word));
    if word.is_empty() {
        return Ok(exact);
    }
    Ok(match hits(db, kind, &word, lim).await? {
        Hits::Nothing => Expr::val(false),
        Hits::Common => exact,
        Hits::Few(candidates) => Expr::col((table, Alias::new("id"))).in_subquery(*candidates).and(exact),
    })
}

/// The condition "the row of `spec`'s table matches every word" (a `WHERE` on the list's query,
/// whose main table is the kind's table).
pub async fn words_condition(db: &Db, spec: &Spec, words: &[String]) -> Result<SimpleExpr, sqlx::Error> {
    Ok(words_filter(db, spec, words, LIMITS).await?.0)
}

/// `words_condition` with other limits (tests force either way of answering with them).
pub async fn words_condition_with(
    db: &Db,
    spec: &Spec,
    words: &[String],
    lim: Limits,
) -> Result<SimpleExpr, sqlx::Error> {
    Ok(words_filter(db, spec, words, lim).await?.0)
}

/// `words_condition`, and whether it holds an `id IN (…)` set of candidates (some word is rare
/// everywhere): the list then lets that set lead and tests its other conditions on those rows only
/// (`crm::list`: a manager's "mine" is then not a second `id IN`, whose product with this one
/// SQLite probed pair by pair: 4.7 million steps for "ivan" in a manager's deals).
pub async fn words_filter(
    db: &Db,
    spec: &Spec,
    words: &[String],
    lim: Limits,
) -> Result<(SimpleExpr, bool), sqlx::Error> {
    let mut all: SimpleExpr = Expr::val(true);
    let mut set = false;
    for w in words {
        let (cond, is_set) = word_condition(db, spec, w, lim).await?;
        all = all.and(cond);
        set |= is_set;
    }
    Ok((all, set))
}

/// Where a word may be found for one kind: the exact test on a row of the kind (for a list that
/// reads rows newest first), and, while no place is common, the ids of the rows that hold it.
struct Places {
    /// `LIKE` over the row's fields and its related rows' (`EXISTS`).
    exact: SimpleExpr,
    /// Per place, the ids of the kind's rows that may hold the word there (the rows the index's
    /// candidates lead to; `exact` decides). `None` once some place is common.
    sets: Option<Vec<SelectStatement>>,
}

impl Places {
    fn add(&mut self, hits: Hits, exact: SimpleExpr, set: impl FnOnce(SelectStatement) -> SelectStatement) {
        match hits {
            Hits::Nothing => return,
            Hits::Common => self.sets = None,
            Hits::Few(candidates) => {
                if let Some(s) = self.sets.as_mut() {
                    s.push(set(*candidates));
                }
            }
        }
        self.exact = std::mem::replace(&mut self.exact, Expr::val(false)).or(exact);
    }
}

/// The rows of `table` among `candidates` whose `cols` contain the word: their ids.
fn checked(
    table: &'static str,
    alias: &Alias,
    cols: &[&'static str],
    pattern: &str,
    candidates: SelectStatement,
) -> SelectStatement {
    Query::select()
        .column((alias.clone(), Alias::new("id")))
        .from_as(table, alias.clone())
        .and_where(Expr::col((alias.clone(), Alias::new("id"))).in_subquery(candidates))
        .and_where(any_like(alias, cols, pattern))
        .to_owned()
}

async fn word_condition(db: &Db, spec: &Spec, word: &str, lim: Limits) -> Result<(SimpleExpr, bool), sqlx::Error> {
    let kind = spec.kind;
    let t = kind.info().table;
    let table = Alias::new(t);
    let pattern = db::like_pattern(word);
    let mut places = Places { exact: Expr::val(false), sets: Some(Vec::new()) };
    places.add(hits(db, kind, word, lim).await?, any_like(&table, spec.search, &pattern), |c| c);
    for (i, p) in parts(kind).enumerate() {
        let a = Alias::new(format!("rel{i}"));
        let to = p.to.info().table;
        let exact = Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from_as(to, a.clone())
                .and_where(Expr::col((a.clone(), Alias::new("id"))).equals((table.clone(), Alias::new(p.via))))
                .and_where(any_like(&a, p.cols, &pattern))
                .to_owned(),
        );
        places.add(hits(db, p.to, word, lim).await?, exact, |c| {
            Query::select().column("id").from(t).and_where(Expr::col(Alias::new(p.via)).in_subquery(c)).to_owned()
        });
    }
    if kind == ItemKind::Deal {
        extra_deal_parts(db, word, &pattern, &table, &mut places, lim).await?;
    }
    Ok(match places.sets {
        // No place can hold the word.
        Some(s) if s.is_empty() => (Expr::val(false), false),
        // The rows the index names in some place (a superset), each tested exactly once: the
        // candidates of the related kinds are not confirmed on their own tables first (thousands
        // of contacts read for "ivan"), only the rows of this kind they lead to.
        Some(mut s) => {
            let mut first = s.remove(0);
            for q in s {
                first.union(UnionType::Distinct, q);
            }
            (Expr::col((table, Alias::new("id"))).in_subquery(first).and(places.exact), true)
        }
        None => (places.exact, false),
    })
}

/// A deal's search also reads its company's country name and its partner contact's company name.
async fn extra_deal_parts(
    db: &Db,
    word: &str,
    pattern: &str,
    table: &Alias,
    places: &mut Places,
    lim: Limits,
) -> Result<(), sqlx::Error> {
    // Countries are few: which of them match is asked first.
    let countries: Vec<(i64,)> = db
        .fetch_all(
            Query::select()
                .column("id")
                .from("countries")
                .and_where(Expr::expr(Func::lower(Expr::col("name"))).like(LikeExpr::new(pattern).escape('\\'))),
        )
        .await?;
    if !countries.is_empty() {
        let ids = countries.iter().map(|(i,)| *i);
        let exact = Expr::col((table.clone(), Alias::new("company_id"))).in_subquery(
            Query::select().column("id").from("companies").and_where(Expr::col("country_id").is_in(ids)).to_owned(),
        );
        // A country holds many companies' deals: read newest first.
        places.add(Hits::Common, exact, |c| c);
    }
    let (pc, pco) = (Alias::new("pc"), Alias::new("pco"));
    let exact = Expr::exists(
        Query::select()
            .expr(Expr::val(1))
            .from_as("contacts", pc.clone())
            .join_as(
                sea_query::JoinType::InnerJoin,
                "companies",
                pco.clone(),
                Expr::col((pco.clone(), Alias::new("id"))).equals((pc.clone(), Alias::new("company_id"))),
            )
            .and_where(
                Expr::col((pc.clone(), Alias::new("id"))).equals((table.clone(), Alias::new("partner_contact_id"))),
            )
            .and_where(like(pco.clone(), "full_name", pattern))
            .to_owned(),
    );
    let partner = Alias::new("partner");
    places.add(hits(db, ItemKind::Company, word, lim).await?, exact, |c| {
        Query::select()
            .column("id")
            .from("deals")
            .and_where(
                Expr::col("partner_contact_id").in_subquery(
                    Query::select()
                        .column("id")
                        .from("contacts")
                        .and_where(Expr::col("company_id").in_subquery(checked(
                            "companies",
                            &partner,
                            &["full_name"],
                            pattern,
                            c,
                        )))
                        .to_owned(),
                ),
            )
            .to_owned()
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ids_tickets_and_words() {
        let d = ItemKind::Deal;
        assert_eq!(parse("ID 12", d), Search::Id(12));
        assert_eq!(parse("id12", ItemKind::Company), Search::Id(12));
        for q in ["ticket:AB12", "TICKET: AB12", "Ticket AB12", "  ticket   AB12 "] {
            assert_eq!(parse(q, d), Search::Ticket("AB12".into()), "{q}");
        }
        assert_eq!(parse("ticketing", d), Search::Words(vec!["ticketing".into()]));
        assert_eq!(parse("ticket: a b", d), Search::Words(vec!["ticket:".into(), "a".into(), "b".into()]));
        assert_eq!(parse("ticket:AB12", ItemKind::Company), Search::Words(vec!["ticket:ab12".into()]));
        assert_eq!(parse("  ", d), Search::None);
        assert_eq!(parse("Anna  SMITH", d), Search::Words(vec!["anna".into(), "smith".into()]));
    }

    #[test]
    fn trigrams_are_distinct_and_sampled() {
        assert_eq!(word_grams("ab").len(), 0);
        assert_eq!(word_grams("aaaa").len(), 1);
        assert_eq!(word_grams(&"x".repeat(5000)).len(), 1);
        let long: String = (0..300).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
        assert_eq!(word_grams(&long).len(), SAMPLE);
        let mut g = BTreeSet::new();
        grams_into("ÄBc", &mut g);
        assert!(g.contains(&pack('ä', 'b', 'c')));
    }
}
