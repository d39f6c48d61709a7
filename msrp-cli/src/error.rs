//! Failures of the networking subcommands, with the exit status each one
//! gives and the words that tell the user what to check.

use std::fmt;
use std::io;
use std::process::ExitCode;

use msrp_endpoint::{Error, Phase};
use msrp_proto::connection::CloseReason;

/// A failure: a message for stderr and an exit status.
#[derive(Debug)]
pub(crate) struct CliError {
    message: String,
    status: u8,
}

impl CliError {
    /// A bad argument or combination of arguments: status 2, as clap gives.
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            status: 2,
        }
    }

    /// Anything that went wrong while running: status 1.
    pub(crate) fn failed(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            status: 1,
        }
    }

    /// Prints the message for `command` and gives the exit status.
    pub(crate) fn report(&self, command: &str) -> ExitCode {
        eprintln!("msrp {command}: {}", self.message);
        ExitCode::from(self.status)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Which side of a session this process is, for the hints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    /// `msrp send`: connects.
    Connecting,
    /// `msrp listen`: accepts.
    Accepting,
}

/// Explains an endpoint error met while setting up the session with `peer`
/// (an address or URI), with a hint at the usual cause.
pub(crate) fn setup_error(err: &Error, side: Side, peer: &str) -> CliError {
    let message = match (err, side) {
        (Error::Io(e), Side::Connecting) if e.kind() == io::ErrorKind::ConnectionRefused => {
            format!(
                "cannot connect to {peer}: connection refused (is `msrp listen` running there?)"
            )
        }
        (Error::Io(e), Side::Connecting) => format!("cannot connect to {peer}: {e}"),
        (Error::Io(e), Side::Accepting) => format!("cannot accept a connection: {e}"),
        (Error::Tls(e), Side::Connecting) => format!(
            "TLS handshake with {peer} failed: {e} (is it listening with --tls, and does \
             --ca name the certificate it uses?)"
        ),
        (Error::Tls(e), Side::Accepting) => format!(
            "TLS handshake with the peer failed: {e} (did it connect with msrps and trust \
             this certificate?)"
        ),
        (Error::Timeout(Phase::Accept), _) => "no peer connected in time".to_owned(),
        (Error::Timeout(Phase::Bind), Side::Accepting) => {
            "the peer connected but did not bind the session in time (does its To-Path \
             match this side's path?)"
                .to_owned()
        }
        (Error::Timeout(phase), _) => format!("timed out {phase} ({peer})"),
        (Error::Closed(reason), Side::Connecting) => format!(
            "the connection to {peer} closed before the session was bound: {reason}{}",
            hint_closed(reason, side)
        ),
        (Error::Closed(reason), Side::Accepting) => format!(
            "the connection closed before the session was bound: {reason}{}",
            hint_closed(reason, side)
        ),
        (Error::Refused { code, comment }, _) => format!(
            "{peer} refused the session: {code} {comment}{}",
            if *code == 481 {
                " (the To-Path does not name a session it expects)"
            } else {
                ""
            }
        ),
        (Error::NotBound { failed, last }, _) => format!(
            "no connection bound the session in time; {failed} failed, the last one because: {}",
            setup_error(last, side, peer)
        ),
        (other, _) => other.to_string(),
    };
    CliError::failed(message)
}

fn hint_closed(reason: &CloseReason, side: Side) -> &'static str {
    match (reason, side) {
        (CloseReason::Protocol(_), Side::Accepting) => {
            " (bytes that are not MSRP: is the peer using TLS with a plaintext listener?)"
        }
        (CloseReason::Protocol(_), Side::Connecting) => {
            " (the peer does not speak plain MSRP: is it listening with TLS? then its path \
             starts with msrps://)"
        }
        (CloseReason::PeerClosed | CloseReason::ConnectionLost, Side::Connecting) => {
            " (is the listener using TLS? then its path starts with msrps://)"
        }
        _ => "",
    }
}
