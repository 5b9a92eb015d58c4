//! Tasks, memos and projects join the search index (`crm::search`, kinds 7, 8 and 9): their
//! lists' search (and global search, which runs it) looks up the rarest trigrams instead of reading
//! every row. The index rows of the existing tasks, memos and projects are written here; the CRM
//! kinds' rows stay as they are.

use super::Stmt;

pub fn statements() -> Vec<Stmt> {
    vec![Stmt::Run(|tx| Box::pin(crate::crm::search::refill_items(tx)))]
}
