//! Tasks: personal and team tasks, subtasks, stages, the co-owner rule and team-task auto-completion.
//! Owns table `tasks` (participants live in `participants`, see `participants.rs`).
//!
//! Invariants: a subtask has one responsible and no subtasks; a task with several responsible users is
//! a team task, which closes by itself when each responsible has a done subtask and none is active;
//! a task cannot be closed while it has an active subtask. Projects reuse this module's model.

pub mod complete;
pub mod flow;
pub mod handlers;
pub mod hide;
pub mod links;
pub mod model;
pub mod repo;
pub mod tags;
pub mod tags_admin;
pub mod workflow;
