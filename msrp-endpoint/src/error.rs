//! Errors of the endpoint API.

use std::fmt;
use std::io;

use msrp_proto::connection::{CloseReason, CommandError};

/// What was being waited for when a timeout struck.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Phase {
    /// Opening the TCP connection.
    Connect,
    /// The TLS handshake.
    TlsHandshake,
    /// The peer's binding request (msrplib's `MSRPBindSessionTimeout`), or
    /// the response to this side's.
    Bind,
    /// An incoming connection (a one-shot acceptor).
    Accept,
    /// The relay's answer to AUTH.
    Auth,
    /// The focus's answer to NICKNAME (RFC 7701 §7.1).
    Nickname,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "connecting",
            Self::TlsHandshake => "in the TLS handshake",
            Self::Bind => "waiting for the session to bind",
            Self::Accept => "waiting for an incoming connection",
            Self::Auth => "waiting for the relay to authenticate",
            Self::Nickname => "waiting for the answer to NICKNAME",
        })
    }
}

/// Why an endpoint operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A socket error.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    /// The TLS handshake failed (wrong certificate name, untrusted
    /// certificate, plaintext on a TLS port, …).
    #[error("TLS handshake failed: {0}")]
    Tls(io::Error),
    /// A timeout.
    #[error("timed out {0}")]
    Timeout(Phase),
    /// The peer answered with an error status.
    #[error("refused by the peer: {code} {comment}")]
    Refused {
        /// The MSRP status code.
        code: u16,
        /// The peer's comment.
        comment: String,
    },
    /// The connection ended.
    #[error("the connection closed: {0}")]
    Closed(CloseReason),
    /// The connection refused the command.
    #[error(transparent)]
    Command(#[from] CommandError),
    /// No connection bound the session in time, and some failed trying
    /// (an acceptor's wait).
    #[error("no connection bound the session in time; {failed} failed, the last: {last}")]
    NotBound {
        /// How many connections failed before binding.
        failed: usize,
        /// Why the last of them failed.
        last: Box<Self>,
    },
    /// The relay refused to authenticate this side (RFC 4976 §5).
    #[error("the relay at {relay} refused the credentials of {username}: {code} {comment}")]
    Relay {
        /// The relay's URI.
        relay: String,
        /// The user this side tried to authenticate as.
        username: String,
        /// The relay's status code (401 for credentials refused, 403 for a
        /// user not allowed, 423 for an Expires out of bounds, …).
        code: u16,
        /// Why, in words.
        comment: String,
    },
    /// A peer other than the one named bound the session (through a relay,
    /// where the acceptor cannot refuse it before it binds).
    #[error("the session was bound by another peer: expected {expected}, got {got}")]
    UnexpectedPeer {
        /// The path named by the caller.
        expected: String,
        /// The path of the peer that bound the session.
        got: String,
    },
    /// A setting or argument is unusable.
    #[error("{0}")]
    Config(String),
}

impl Error {
    /// The MSRP status code this error stands for, where one applies
    /// (408 for timeouts and lost connections, as RFC 4975 §7.1.1 treats them).
    pub fn status_code(&self) -> Option<u16> {
        match self {
            Self::Refused { code, .. } => Some(*code),
            Self::Timeout(_) | Self::Closed(_) | Self::NotBound { .. } => Some(408),
            _ => None,
        }
    }
}

/// A closed driver: the connection is gone.
pub(crate) fn gone() -> Error {
    Error::Closed(CloseReason::LocallyClosed)
}
