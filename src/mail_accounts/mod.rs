//! Mail accounts (issue 10, inventory §2.5 EmailAccount, §3.3, §7.1): each user's SMTP and IMAP
//! settings, one of them main (work mail goes out through it). Owns table `mail_accounts`.
//!
//! Users manage their own accounts; administrators see and manage everyone's (`access`:
//! `Object::MailAccount`, `ListKind::MailAccounts`). Passwords are sealed with the installation
//! key (`secrets`) before they reach the database and are never shown back: an empty password field
//! on edit keeps the stored one. "Test connection" (`check`) runs in the request, bounded by
//! `FERROCRM_MAIL_TEST_SECS` per side, one test per user at a time.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use crate::secrets::Cipher;

pub mod check;
pub mod handlers;
pub mod model;
pub mod net;
pub mod repo;

/// What the accounts' handlers share: the cipher, how mail servers are reached (trusted
/// authorities, private hosts), and the users with a connection test running.
#[derive(Clone, Debug)]
pub struct Shared {
    pub cipher: Arc<Cipher>,
    pub net: net::Net,
    testing: Arc<Mutex<HashSet<i64>>>,
}

impl Shared {
    pub fn new(cipher: Cipher, net: net::Net) -> Shared {
        Shared { cipher: Arc::new(cipher), net, testing: Default::default() }
    }

    /// Marks `user` as testing until the guard drops; `None` when a test of theirs still runs.
    fn start_test(&self, user: i64) -> Option<TestGuard> {
        let mut set = self.testing.lock().ok()?;
        set.insert(user).then(|| TestGuard { set: self.testing.clone(), user })
    }
}

struct TestGuard {
    set: Arc<Mutex<HashSet<i64>>>,
    user: i64,
}

impl Drop for TestGuard {
    fn drop(&mut self) {
        if let Ok(mut s) = self.set.lock() {
            s.remove(&self.user);
        }
    }
}
