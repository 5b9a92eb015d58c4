//! The departments an operator serves besides their own (inventory §3.1–3.2: an operator of several
//! departments is a "superoperator"; the original has no such group, it counts department groups).
//! `users.department_id` stays the user's own department (forms pre-fill it, the department head
//! rules read it); `user_departments` holds the others. A user's CRM rows are those of all of them.

use sea_query::{ColumnDef, ForeignKeyAction, Table};

use super::{Stmt, fk, index, table};

pub fn statements() -> Vec<Stmt> {
    vec![
        table(
            Table::create()
                .table("user_departments")
                .col(ColumnDef::new("user_id").big_integer().not_null())
                .col(ColumnDef::new("department_id").big_integer().not_null())
                .primary_key(sea_query::Index::create().col("user_id").col("department_id"))
                .foreign_key(&mut fk("user_departments", "user_id", "users", ForeignKeyAction::Cascade))
                .foreign_key(&mut fk("user_departments", "department_id", "departments", ForeignKeyAction::Cascade)),
        ),
        // Who serves a department (its live audience, the admin page's list).
        index("ix_user_departments_department", "user_departments", &["department_id", "user_id"]),
    ]
}
