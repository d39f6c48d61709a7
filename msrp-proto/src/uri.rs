//! MSRP URIs (RFC 4975 §6, §9) and their comparison rules (§6.1).
//!
//! STUB: the public signatures below are fixed; the bodies are to be written.

use bytes::Bytes;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// `msrp` or `msrps`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `msrp://`: plain TCP (or another transport without TLS).
    Msrp,
    /// `msrps://`: TLS.
    Msrps,
}

/// The host part of a URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host<'a> {
    /// A registered name such as `bob.example.com`.
    Domain(&'a str),
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address (written in brackets in the URI).
    Ipv6(Ipv6Addr),
}

/// What is wrong with a URI or a path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UriErrorKind {
    /// A path holds no URI.
    #[error("a path needs at least one URI")]
    EmptyPath,
    /// A path holds more URIs than the limit allows.
    #[error("more than {limit} URIs in one path")]
    TooManyUris {
        /// The limit.
        limit: usize,
    },
}

/// A malformed URI or path, with the offset (in bytes, from the start of the
/// text given to the parser) where the problem was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub struct UriError {
    kind: UriErrorKind,
    offset: usize,
}

impl UriError {
    pub(crate) fn new(kind: UriErrorKind, offset: usize) -> Self {
        Self { kind, offset }
    }
    /// What is wrong.
    pub fn kind(&self) -> &UriErrorKind {
        &self.kind
    }
    /// Byte offset of the problem in the parsed text.
    pub fn offset(&self) -> usize {
        self.offset
    }
    /// The same error with its offset moved by `by` bytes.
    pub(crate) fn shifted(mut self, by: usize) -> Self {
        self.offset += by;
        self
    }
}

/// An MSRP URI.
#[derive(Clone)]
pub struct MsrpUri {
    raw: Bytes,
}

impl MsrpUri {
    /// Parses a URI from text (copies it).
    pub fn parse(s: &str) -> Result<Self, UriError> {
        Self::from_shared(Bytes::copy_from_slice(s.as_bytes()))
    }
    /// Parses a URI that is exactly the bytes of `raw`, without copying them.
    pub fn from_shared(raw: Bytes) -> Result<Self, UriError> {
        let _ = raw;
        todo!()
    }
    /// The URI as text, exactly as parsed.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.raw).unwrap_or("")
    }
    /// The scheme.
    pub fn scheme(&self) -> Scheme {
        todo!()
    }
    /// The session id, if any.
    pub fn session_id(&self) -> Option<&str> {
        todo!()
    }
    /// The host.
    pub fn host(&self) -> Host<'_> {
        todo!()
    }
    /// The port, if any.
    pub fn port(&self) -> Option<u16> {
        todo!()
    }
    /// The transport parameter.
    pub fn transport(&self) -> &str {
        todo!()
    }
}

impl fmt::Display for MsrpUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for MsrpUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MsrpUri({})", self.as_str())
    }
}

impl PartialEq for MsrpUri {
    fn eq(&self, _other: &Self) -> bool {
        todo!()
    }
}
impl Eq for MsrpUri {}
