//! Tasks-section rules beside `access.rs` (which is near its size limit): tags of tasks and projects
//! (§14.1–14.2, inventory §3.1 "tasks Tag: co-workers add, change, delete, view") and the task
//! list's default filter.
//!
//! Tags belong to a department. A user sees and uses the tags of the departments they work in
//! (`Viewer::departments`), and no other: a task or project shows a viewer only those of its tags,
//! the lists' tag filter offers and accepts only those, and a form refuses any other tag id. Every
//! user (every one is a co-worker of the Tasks section) may create a tag by typing it, in their own
//! department; a user of no department cannot. Putting tags on a task or project is part of editing
//! it (`Action::Edit`, or creating it).

use super::{Role, Viewer};

/// The departments whose task and project tags `v` sees, offers in forms and filters, and may set.
pub fn task_tag_departments(v: &Viewer) -> &[i64] {
    &v.departments
}

/// The department a tag `v` types into a form is created in: their own; `None` (they may not
/// create tags) when they work in no department.
pub fn creates_task_tags_in(v: &Viewer) -> Option<i64> {
    v.department_id.filter(|d| v.works_in(*d))
}

/// Whether `v` may rename and delete the task and project tags of `department` (inventory §3.1:
/// co-workers — every user — add, change, delete and view tasks' tags; §3.2: tags are per
/// department): those of the departments they work in, the same tags they see and use.
pub fn manages_task_tags_of(v: &Viewer, department: i64) -> bool {
    task_tag_departments(v).contains(&department)
}

/// The task list shows, unless the user chose otherwise, the tasks they are responsible for
/// (§14.1: "responsible (default = me for non-chiefs, if I have any)": the second condition is
/// data, `tasks::repo::resolve`). Chiefs start from everything they see.
pub fn task_list_defaults_to_own(v: &Viewer) -> bool {
    !v.is(Role::Chief)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::viewer_with;

    #[test]
    fn tags_are_of_the_viewers_departments_and_made_in_their_own() {
        let mut v = viewer_with(1, &[Role::Operator]);
        assert!(task_tag_departments(&v).is_empty());
        assert_eq!(creates_task_tags_in(&v), None, "no department, no new tags");
        v.department_id = Some(3);
        v.departments = vec![3, 5];
        assert_eq!(task_tag_departments(&v), [3, 5]);
        assert_eq!(creates_task_tags_in(&v), Some(3));
        // A stale primary department the user no longer works in makes nothing.
        v.departments = vec![5];
        assert_eq!(creates_task_tags_in(&v), None);
        let mut v = viewer_with(2, &[Role::CoWorker]);
        v.departments = vec![7];
        assert!(manages_task_tags_of(&v, 7));
        assert!(!manages_task_tags_of(&v, 8), "another department's tags");
        assert!(!manages_task_tags_of(&viewer_with(3, &[Role::Admin]), 7), "no department, no tags");
    }

    #[test]
    fn only_chiefs_start_the_task_list_from_everything() {
        assert!(!task_list_defaults_to_own(&viewer_with(1, &[Role::Chief])));
        for r in [Role::Admin, Role::DepartmentHead, Role::SalesManager, Role::TaskOperator, Role::CoWorker] {
            assert!(task_list_defaults_to_own(&viewer_with(1, &[r])), "{r:?}");
        }
    }
}
