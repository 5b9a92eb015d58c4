//! The requests list of a viewer who sees every department (a chief, an administrator): pending
//! first, then newest, is the index `(pending, id)` walked backwards. Without it the list sorted all
//! the requests on each page (20–30 ms at 20,000 requests, 270 ms on a busy machine). One
//! department's list already walks `ix_requests_department_pending`.

use super::{Stmt, index};

pub fn statements() -> Vec<Stmt> {
    vec![index("ix_requests_pending", "requests", &["pending", "id"])]
}
