//! Status (RFC 4975 §9): `namespace SP status-code [SP comment]`.
//!
//! STUB: the public signatures below are fixed; the bodies are to be written.

use crate::wire::HeaderError;

/// The value of a Status header.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Status {
    /// Namespace, `000` for all codes of RFC 4975.
    pub namespace: u16,
    /// Three-digit status code.
    pub code: u16,
    /// Optional text.
    pub comment: Option<String>,
}

impl Status {
    /// Parses a header value.
    pub fn parse(value: &str) -> Result<Self, HeaderError> {
        let _ = value;
        todo!()
    }
}
