//! Users and departments: accounts, roles, the administrator's user management and each user's
//! own profile. Owns tables `users`, `user_roles`, `departments`.
//!
//! Invariants: accounts are deactivated, never deleted (history and ownership keep pointing at them);
//! deactivating a user or changing a password ends sessions at once; every change writes history.

pub mod departments;
pub mod handlers;
pub mod model;
pub mod people;
pub mod profile;
pub mod repo;
pub mod transfer;
pub mod transfer_job;
