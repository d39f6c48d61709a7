//! The SDP direction attributes as RFC 4975 §8.9 reads them for MSRP.

use std::fmt;

/// `a=sendrecv`, `a=sendonly`, `a=recvonly` or `a=inactive`.
///
/// For MSRP the direction applies to SEND requests that carry message
/// payloads only; REPORTs and responses flow regardless (RFC 4975 §8.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Both ways (the default when no direction attribute is present).
    SendRecv,
    /// The SDP's author only sends.
    SendOnly,
    /// The SDP's author only receives.
    RecvOnly,
    /// Neither.
    Inactive,
}

impl Direction {
    /// The attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SendRecv => "sendrecv",
            Self::SendOnly => "sendonly",
            Self::RecvOnly => "recvonly",
            Self::Inactive => "inactive",
        }
    }

    /// Reads an attribute name, ignoring ASCII case.
    pub fn parse(name: &str) -> Option<Self> {
        [
            Self::SendRecv,
            Self::SendOnly,
            Self::RecvOnly,
            Self::Inactive,
        ]
        .into_iter()
        .find(|d| d.as_str().eq_ignore_ascii_case(name))
    }

    /// The direction an answer takes to this offered one (RFC 3264 §6.1):
    /// sendonly ↔ recvonly, the others unchanged.
    pub fn mirrored(self) -> Self {
        match self {
            Self::SendOnly => Self::RecvOnly,
            Self::RecvOnly => Self::SendOnly,
            other => other,
        }
    }

    /// Whether the SDP's author may send message payloads.
    pub fn sends(self) -> bool {
        matches!(self, Self::SendRecv | Self::SendOnly)
    }

    /// Whether the SDP's author may receive message payloads.
    pub fn receives(self) -> bool {
        matches!(self, Self::SendRecv | Self::RecvOnly)
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
