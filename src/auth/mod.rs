//! Authentication: passwords (argon2id), server-side sessions, login throttling, and the login,
//! logout and change-password pages. Owns tables `sessions` and `login_throttle`.
//!
//! Invariants: a session id is 256 random bits, stored only as its SHA-256; a new id at every login;
//! logout deletes the row; a password change or deactivation deletes the user's other sessions and
//! closes their live streams.

pub mod handlers;
pub mod password;
pub mod session;
pub mod throttle;
