//! The search index learns one- and two-letter words (`crm::search`): every value now also gives
//! the grams that run past its end (its last two letters padded), so a short word is a range of
//! grams. The index of an existing database is built again in the new shape.

use super::Stmt;

pub fn statements() -> Vec<Stmt> {
    vec![Stmt::Run(|tx| Box::pin(crate::crm::search::refill(tx)))]
}
