//! The `m=` protocol of an MSRP media description.

use msrp_proto::MsrpUri;
use std::fmt;
use std::str::FromStr;

/// The transport protocol of an MSRP `m=` line.
///
/// RFC 4975 §8.1 defines `TCP/MSRP` and `TCP/TLS/MSRP`. The WebSocket forms
/// are read and kept because some peers write them, but RFC 7977 defines no
/// new token (a WebSocket client still writes `TCP/TLS/MSRP`), so the offer
/// and answer helpers never produce them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// `TCP/MSRP`: MSRP over TCP (`msrp:` URIs).
    TcpMsrp,
    /// `TCP/TLS/MSRP`: MSRP over TLS (`msrps:` URIs).
    TcpTlsMsrp,
    /// `TCP/WS/MSRP`: read leniently, never written by the helpers.
    TcpWsMsrp,
    /// `TCP/WSS/MSRP`: read leniently, never written by the helpers.
    TcpWssMsrp,
}

impl Protocol {
    /// The token as written in SDP.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TcpMsrp => "TCP/MSRP",
            Self::TcpTlsMsrp => "TCP/TLS/MSRP",
            Self::TcpWsMsrp => "TCP/WS/MSRP",
            Self::TcpWssMsrp => "TCP/WSS/MSRP",
        }
    }

    /// Reads an `m=` protocol token, ignoring ASCII case; `None` for
    /// anything that is not MSRP.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::TcpMsrp,
            Self::TcpTlsMsrp,
            Self::TcpWsMsrp,
            Self::TcpWssMsrp,
        ]
        .into_iter()
        .find(|p| p.as_str().eq_ignore_ascii_case(s))
    }

    /// Whether the transport is protected by TLS (`TCP/TLS/MSRP`,
    /// `TCP/WSS/MSRP`).
    pub fn is_tls(self) -> bool {
        matches!(self, Self::TcpTlsMsrp | Self::TcpWssMsrp)
    }

    /// The protocol an endpoint with this URI writes (RFC 4975 §8.1):
    /// `TCP/TLS/MSRP` for `msrps:`, `TCP/MSRP` for `msrp:`.
    pub fn for_uri(uri: &MsrpUri) -> Self {
        if uri.is_secure() {
            Self::TcpTlsMsrp
        } else {
            Self::TcpMsrp
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of [`Protocol::from_str`]: the text is not an MSRP protocol.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}`: expected `TCP/MSRP`, `TCP/TLS/MSRP`, `TCP/WS/MSRP` or `TCP/WSS/MSRP`")]
pub struct NotMsrpProtocol(pub String);

impl FromStr for Protocol {
    type Err = NotMsrpProtocol;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or_else(|| NotMsrpProtocol(s.to_owned()))
    }
}
