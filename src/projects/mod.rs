//! Projects: collections of tasks with the same participant roles, stages, chat, files and reminders.
//! Owns table `projects`; a task's `project_id` links it to one.

pub mod flow;
pub mod handlers;
pub mod repo;
