//! The search index of tasks, memos and projects (`crm::search::text_condition`) against the plain
//! scan their lists did before it, on both backends: random names and descriptions over a small
//! alphabet (so one-, two- and three-letter texts match often and rarely, in upper and lower case,
//! with non-ASCII letters, LIKE's wildcards and spaces), some rows edited and some deleted through
//! the product's own writes; then every text's rows through the list query with the index (rare
//! and forced-common answers) equal the rows of the same list with `lower(col) LIKE '%text%'`.

use std::collections::HashMap;

use ferrocrm::access::{ItemKind, Viewer};
use ferrocrm::crm::search;
use ferrocrm::history::Actor;
use ferrocrm::memos::model::{MemoFilter, MemoInput};
use ferrocrm::projects::repo::ProjectFilter;
use ferrocrm::tasks::model::{Stage, TaskFilter, WorkInput};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};

use crate::helpers::TestApp;
use crate::helpers::app::Options;

const ALPHABET: &[char] = &['a', 'b', 'c', 'A', 'B', 'ä', 'Ä', 'ж', 'Ж', 'ß', '%', '_', ' '];

fn text(rng: &mut StdRng, max: usize) -> String {
    let n = rng.random_range(0..max);
    (0..n).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())]).collect()
}

fn work(name: String, description: String, owner: i64) -> WorkInput {
    WorkInput {
        name,
        description,
        next_step: "call".into(),
        next_step_date: None,
        due_date: None,
        priority: 1,
        stage: Stage::Pending,
        co_owner_id: None,
        responsible: vec![owner],
        subscribers: Vec::new(),
        parent_id: None,
        project_id: None,
        memo_id: None,
        memo_files: Vec::new(),
        tags: Vec::new(),
        new_tags: Vec::new(),
    }
}

async fn ids(app: &TestApp, q: SelectStatement) -> Vec<i64> {
    let outer = Query::select().column(Alias::new("id")).from_subquery(q, Alias::new("s")).to_owned();
    let rows: Vec<(i64,)> = app.db.fetch_all(&outer).await.unwrap();
    let mut out: Vec<i64> = rows.into_iter().map(|(i,)| i).collect();
    out.sort_unstable();
    out
}

/// The rows a list finds for `q`: through the index with the list's limits, through the index with
/// every text common (the plain test newest first), and with the plain scan (`filtered`).
async fn three_ways(app: &TestApp, v: &Viewer, kind: ItemKind, q: &str) -> (Vec<i64>, Vec<i64>, Vec<i64>) {
    let common = search::Limits { common: 1, range_common: 1 };
    let table = kind.info().table;
    let id = || Expr::col((Alias::new(table), Alias::new("id")));
    match kind {
        ItemKind::Task => {
            let f = TaskFilter { q: q.into(), show: "all".into(), ..Default::default() };
            let plain = ferrocrm::tasks::repo::filtered(v, &f).unwrap();
            let indexed = ferrocrm::tasks::repo::searched(&app.db, v, &f).await.unwrap();
            let mut forced = ferrocrm::tasks::repo::filtered(v, &TaskFilter { q: String::new(), ..f.clone() }).unwrap();
            forced.and_where(search::text_condition_with(&app.db, kind, q.trim(), common).await.unwrap());
            (ids(app, indexed).await, ids(app, forced).await, ids(app, plain).await)
        }
        ItemKind::Memo => {
            let f = MemoFilter { q: q.into(), ..Default::default() };
            let mut plain = ferrocrm::memos::repo::filtered(v, &f).unwrap();
            let mut indexed = ferrocrm::memos::repo::searched(&app.db, v, &f).await.unwrap();
            let mut forced = ferrocrm::memos::repo::filtered(v, &MemoFilter::default()).unwrap();
            forced.and_where(search::text_condition_with(&app.db, kind, q.trim(), common).await.unwrap());
            for s in [&mut plain, &mut indexed, &mut forced] {
                s.expr_as(id(), Alias::new("id"));
            }
            (ids(app, indexed).await, ids(app, forced).await, ids(app, plain).await)
        }
        _ => {
            let f = ProjectFilter { q: q.into(), show: "all".into(), ..Default::default() };
            let plain = ferrocrm::projects::repo::filtered(v, &f).unwrap();
            let indexed = ferrocrm::projects::repo::searched(&app.db, v, &f).await.unwrap();
            let mut forced =
                ferrocrm::projects::repo::filtered(v, &ProjectFilter { q: String::new(), ..f.clone() }).unwrap();
            forced.and_where(search::text_condition_with(&app.db, kind, q.trim(), common).await.unwrap());
            (ids(app, indexed).await, ids(app, forced).await, ids(app, plain).await)
        }
    }
}

#[tokio::test]
async fn item_index_search_equals_a_plain_like_scan() {
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    let owner = app.user_id("Garry.Chief").await;
    let chief = app.state_viewer(owner).await;
    let actor = Actor::system("test");
    let names = HashMap::new();
    let mut rng = StdRng::seed_from_u64(20261204);

    let (mut tasks, mut memos, mut projects) = (Vec::new(), Vec::new(), Vec::new());
    let mut tx = app.db.begin().await.unwrap();
    for _ in 0..80 {
        let input = work(format!("{} ", text(&mut rng, 8)), text(&mut rng, 14), owner);
        tasks.push(ferrocrm::tasks::repo::insert(&mut tx, &input, owner, None, &actor, &names).await.unwrap());
    }
    for _ in 0..60 {
        let input = MemoInput {
            name: format!("{} ", text(&mut rng, 8)),
            draft: false,
            recipient_id: owner,
            purpose: None,
            description: text(&mut rng, 14),
            subscribers: Vec::new(),
        };
        memos.push(ferrocrm::memos::repo::insert(&mut tx, &input, owner, &actor, &names).await.unwrap());
    }
    for _ in 0..30 {
        let input = work(format!("{} ", text(&mut rng, 8)), text(&mut rng, 14), owner);
        projects.push(ferrocrm::projects::repo::insert(&mut tx, &input, owner, &actor, &names).await.unwrap());
    }
    tx.commit().await.unwrap();

    // Edits (the index drops the grams a row lost) and deletes (it forgets the row).
    for &id in tasks.iter().step_by(4) {
        let before = ferrocrm::tasks::repo::get(&app.db, id).await.unwrap().unwrap();
        let parts = ferrocrm::participants::of(&app.db, ItemKind::Task, id).await.unwrap();
        let input = work(text(&mut rng, 8), text(&mut rng, 14), owner);
        let mut tx = app.db.begin().await.unwrap();
        ferrocrm::tasks::repo::update(&mut tx, &before, &parts, &input, &actor, &names).await.unwrap();
        tx.commit().await.unwrap();
    }
    for &id in memos.iter().step_by(4) {
        let before = ferrocrm::memos::repo::get(&app.db, id).await.unwrap().unwrap();
        let parts = ferrocrm::participants::of(&app.db, ItemKind::Memo, id).await.unwrap();
        let input = MemoInput {
            name: text(&mut rng, 8),
            draft: false,
            recipient_id: owner,
            purpose: None,
            description: text(&mut rng, 14),
            subscribers: Vec::new(),
        };
        let mut tx = app.db.begin().await.unwrap();
        ferrocrm::memos::repo::update(&mut tx, &before, &parts, &input, &actor, &names).await.unwrap();
        tx.commit().await.unwrap();
    }
    for &id in projects.iter().step_by(4) {
        let before = ferrocrm::projects::repo::get(&app.db, id).await.unwrap().unwrap();
        let parts = ferrocrm::participants::of(&app.db, ItemKind::Project, id).await.unwrap();
        let input = work(text(&mut rng, 8), text(&mut rng, 14), owner);
        let mut tx = app.db.begin().await.unwrap();
        ferrocrm::projects::repo::update(&mut tx, &before, &parts, &input, &actor, &names).await.unwrap();
        tx.commit().await.unwrap();
    }
    for (kind, list) in [(ItemKind::Task, &tasks), (ItemKind::Memo, &memos), (ItemKind::Project, &projects)] {
        for &id in list.iter().skip(1).step_by(7) {
            let mut tx = app.db.begin().await.unwrap();
            ferrocrm::items::remove::delete(&mut tx, &app.db, kind, id, &actor).await.unwrap();
            tx.commit().await.unwrap();
        }
    }

    // Texts of one to four letters in any case, non-ASCII letters, the wildcards, spaces inside, a
    // text no row holds, and common one-letter texts.
    let letters: Vec<char> = ALPHABET.iter().copied().filter(|c| *c != ' ').collect();
    let mut texts: Vec<String> = ["a", "A", "Ä", "ä", "ж", "ЖЖ", "ß", "%", "_a", "zq", "a b", "ä ba", " b ", "abcabc"]
        .map(String::from)
        .to_vec();
    for len in 1..=4 {
        for _ in 0..10 {
            texts.push((0..len).map(|_| letters[rng.random_range(0..letters.len())]).collect());
        }
    }
    let (found, short) = compare(&app, &chief, &texts).await;
    // The comparison is not vacuous: many texts, short ones too, find rows.
    assert!(found > 60 && short > 30, "{found} texts found rows, {short} short ones");

    // A bulk load's dense grams (a marker instead of their rows) change no answer.
    search::rebuild_dense(&app.db, 3).await.unwrap();
    let markers = app.count("search_terms", sea_query::Condition::all().add(Expr::col("object_id").eq(0))).await;
    assert!(markers > 100, "{markers} dense grams");
    assert_eq!(compare(&app, &chief, &texts).await, (found, short));
}

/// Each text searched in tasks, memos and projects three ways (index, every text common, plain
/// `LIKE`), compared; how many texts (and short texts) found rows.
async fn compare(app: &TestApp, chief: &Viewer, texts: &[String]) -> (usize, usize) {
    let (mut found, mut short) = (0, 0);
    for kind in [ItemKind::Task, ItemKind::Memo, ItemKind::Project] {
        for t in texts {
            let (indexed, forced, plain) = three_ways(app, chief, kind, t).await;
            assert_eq!(indexed, plain, "{kind:?} {t:?}");
            assert_eq!(forced, plain, "{kind:?} {t:?} (every text common)");
            if !plain.is_empty() {
                found += 1;
                if t.trim().chars().count() <= 2 {
                    short += 1;
                }
            }
        }
    }
    (found, short)
}

/// Rows written behind the product's back (a database from before the index knew tasks) are found
/// once `refill_items` (migration 17, the seed's rebuild) has indexed them.
#[tokio::test]
async fn the_rebuild_indexes_rows_written_behind_the_products_back() {
    let app = TestApp::with(Options { seed_users: true, ..Default::default() }).await;
    let owner = app.user_id("Garry.Chief").await;
    let chief = app.state_viewer(owner).await;
    let now = chrono::Utc::now();
    let mut insert = Query::insert();
    insert.into_table("tasks").columns(["name", "description", "stage", "owner_id", "created_at", "updated_at"]);
    insert.values_panic([
        "Quixotic plan".into(),
        "Zebra crossing".into(),
        "pending".into(),
        owner.into(),
        now.into(),
        now.into(),
    ]);
    app.db.execute(&insert).await.unwrap();
    let find = |q: &str| TaskFilter { q: q.into(), show: "all".into(), ..Default::default() };
    let count = |q: SelectStatement| async { ids(&app, q).await.len() };
    // Not indexed yet: the index says no row holds the text.
    assert_eq!(count(ferrocrm::tasks::repo::searched(&app.db, &chief, &find("quixotic")).await.unwrap()).await, 0);
    let mut tx = app.db.begin().await.unwrap();
    search::refill_items(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    for q in ["quixotic", "ZEBRA", "a c", "qu"] {
        assert_eq!(count(ferrocrm::tasks::repo::searched(&app.db, &chief, &find(q)).await.unwrap()).await, 1, "{q}");
    }
}
