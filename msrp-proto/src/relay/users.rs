//! [`Users`]: who may use the relay, as digest hashes (never passwords).
//!
//! The file format is Apache's htdigest, one user per line:
//! `user:realm:HA1`, where HA1 is the lower-case hex MD5 of
//! `user:realm:password` (RFC 2617 §3.2.2.2; `htdigest -c FILE REALM USER`
//! writes such lines). An optional fourth field `deny` keeps a user's
//! credentials valid while refusing it the relay: it is answered 403
//! (RFC 4976 §6.3). Blank lines and lines starting with `#` are ignored.

use std::collections::HashMap;

use crate::connection::digest;

/// One user's entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct User {
    /// `MD5(user:realm:password)`, lower-case hex.
    pub(crate) ha1: String,
    /// Whether the user may use the relay once authenticated.
    pub(crate) allowed: bool,
}

/// The users of a relay, by name and realm.
///
/// ```
/// use msrp_proto::relay::Users;
/// // HA1 = MD5("alice:example.com:secret")
/// let users = Users::parse(
///     "# user:realm:HA1\n\
///      alice:example.com:b1726872c344b6dc8365b774f8fd6412\n\
///      mallory:example.com:0123456789abcdef0123456789abcdef:deny\n",
/// )?;
/// assert_eq!(users.len(), 2);
/// assert!(users.contains("alice", "example.com"));
///
/// let err = Users::parse("alice:example.com:not-a-hash").unwrap_err();
/// assert_eq!(err.line(), 1);
/// # Ok::<(), msrp_proto::relay::UsersError>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Users {
    by_name: HashMap<(String, String), User>,
}

/// What is wrong with a line of a users file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UsersErrorKind {
    /// Not `user:realm:HA1` or `user:realm:HA1:deny`.
    #[error("expected `user:realm:HA1` or `user:realm:HA1:deny`")]
    Fields,
    /// The user name is empty.
    #[error("the user name is empty")]
    EmptyUser,
    /// HA1 is not 32 hexadecimal digits (a password in place of its hash?).
    #[error("HA1 must be 32 hexadecimal digits, the MD5 of `user:realm:password`")]
    Ha1,
    /// The fourth field is neither `allow` nor `deny`.
    #[error("the fourth field must be `allow` or `deny`")]
    Policy,
    /// The same user and realm appear twice.
    #[error("user {0:?} appears twice in this realm")]
    Duplicate(String),
}

/// A users file that cannot be used, with the line at fault (1-based).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct UsersError {
    line: usize,
    kind: UsersErrorKind,
}

impl UsersError {
    /// The line at fault, counting from 1.
    pub fn line(&self) -> usize {
        self.line
    }

    /// What is wrong with it.
    pub fn kind(&self) -> &UsersErrorKind {
        &self.kind
    }
}

impl Users {
    /// No users: every AUTH fails.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses an htdigest-style file (see the module docs).
    pub fn parse(text: &str) -> Result<Self, UsersError> {
        let mut users = Self::new();
        for (i, line) in text.lines().enumerate() {
            let fault = |kind| UsersError { line: i + 1, kind };
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split(':').collect();
            let (user, realm, ha1, allowed) = match fields[..] {
                [user, realm, ha1] => (user, realm, ha1, true),
                [user, realm, ha1, "allow"] => (user, realm, ha1, true),
                [user, realm, ha1, "deny"] => (user, realm, ha1, false),
                [_, _, _, _] => return Err(fault(UsersErrorKind::Policy)),
                _ => return Err(fault(UsersErrorKind::Fields)),
            };
            if user.is_empty() {
                return Err(fault(UsersErrorKind::EmptyUser));
            }
            if ha1.len() != 32 || !ha1.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(fault(UsersErrorKind::Ha1));
            }
            let key = (user.to_owned(), realm.to_owned());
            if users.by_name.contains_key(&key) {
                return Err(fault(UsersErrorKind::Duplicate(user.to_owned())));
            }
            users.by_name.insert(
                key,
                User {
                    ha1: ha1.to_ascii_lowercase(),
                    allowed,
                },
            );
        }
        Ok(users)
    }

    /// Adds (or replaces) a user from its password, hashed at once: for
    /// tests and in-process relays. Only the hash is kept.
    pub fn add_password(&mut self, user: &str, realm: &str, password: &str) {
        self.insert(user, realm, digest::ha1(user, realm, password), true);
    }

    /// Adds (or replaces) a user whose credentials are valid but who may
    /// not use the relay (answered 403).
    pub fn add_denied(&mut self, user: &str, realm: &str, password: &str) {
        self.insert(user, realm, digest::ha1(user, realm, password), false);
    }

    fn insert(&mut self, user: &str, realm: &str, ha1: String, allowed: bool) {
        self.by_name
            .insert((user.to_owned(), realm.to_owned()), User { ha1, allowed });
    }

    /// The HA1 line for `user` in `realm` with `password`, as a users file
    /// holds it (`user:realm:HA1`).
    pub fn htdigest_line(user: &str, realm: &str, password: &str) -> String {
        format!("{user}:{realm}:{}", digest::ha1(user, realm, password))
    }

    /// Whether `user` has an entry in `realm`.
    pub fn contains(&self, user: &str, realm: &str) -> bool {
        self.get(user, realm).is_some()
    }

    /// How many users in `realm`.
    pub fn count_in_realm(&self, realm: &str) -> usize {
        self.by_name.keys().filter(|(_, r)| r == realm).count()
    }

    /// How many entries in all.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    pub(crate) fn get(&self, user: &str, realm: &str) -> Option<&User> {
        // Lookups borrow; the key is owned, so build it only for the probe.
        self.by_name.get(&(user.to_owned(), realm.to_owned()))
    }
}

impl std::fmt::Debug for Users {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Hashes stay out of logs: they are password equivalents for digest.
        f.debug_struct("Users")
            .field("entries", &self.by_name.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_htdigest_lines_with_comments_and_policy() {
        let line = Users::htdigest_line("alice", "example.com", "secret");
        let text = format!(
            "# comment\n\n{line}\n  bob:example.com:{}:allow  \nmallory:example.com:{}:deny\n",
            "A".repeat(32),
            "0".repeat(32)
        );
        let users = Users::parse(&text).unwrap();
        assert_eq!(users.len(), 3);
        assert_eq!(users.count_in_realm("example.com"), 3);
        assert_eq!(users.count_in_realm("other"), 0);
        let alice = users.get("alice", "example.com").unwrap();
        assert_eq!(alice.ha1, digest::ha1("alice", "example.com", "secret"));
        assert!(alice.allowed);
        assert_eq!(users.get("bob", "example.com").unwrap().ha1, "a".repeat(32));
        assert!(!users.get("mallory", "example.com").unwrap().allowed);
        assert!(users.get("alice", "other").is_none());
        assert!(!format!("{users:?}").contains(&alice.ha1));
    }

    #[test]
    fn bad_lines_are_named() {
        let h = "0".repeat(32);
        for (text, line, kind) in [
            ("alice:realm".to_owned(), 1, UsersErrorKind::Fields),
            (format!("\nalice:r:{h}:x"), 2, UsersErrorKind::Policy),
            (format!(":r:{h}"), 1, UsersErrorKind::EmptyUser),
            ("alice:r:secret".to_owned(), 1, UsersErrorKind::Ha1),
            (
                format!("a:r:{h}\na:r:{h}"),
                2,
                UsersErrorKind::Duplicate("a".into()),
            ),
            (format!("a:r:{h}:deny:more"), 1, UsersErrorKind::Fields),
        ] {
            let err = Users::parse(&text).unwrap_err();
            assert_eq!((err.line(), err.kind()), (line, &kind), "{text:?}");
            assert!(err.to_string().starts_with(&format!("line {line}: ")));
        }
    }

    #[test]
    fn passwords_are_hashed_at_once() {
        let mut users = Users::new();
        assert!(users.is_empty());
        users.add_password("alice", "r", "pw");
        users.add_denied("mallory", "r", "pw");
        assert_eq!(
            users.get("alice", "r").unwrap().ha1,
            digest::ha1("alice", "r", "pw")
        );
        assert!(!users.get("mallory", "r").unwrap().allowed);
        assert!(users.contains("alice", "r"));
    }
}
