//! Digest parameter lists of WWW-Authenticate, Authorization and
//! Authentication-Info (RFC 4976 §5, RFC 2617 §3.2).
//!
//! STUB: the public signatures below are fixed; the bodies are to be written.

use crate::wire::HeaderError;

/// An ordered list of digest parameters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DigestParams {
    params: Vec<(String, String, bool)>,
}

impl DigestParams {
    /// Parses `Digest name=value, ...` (WWW-Authenticate, Authorization).
    pub fn parse_with_scheme(value: &str) -> Result<Self, HeaderError> {
        let _ = value;
        todo!()
    }
    /// Parses `name=value, ...` (Authentication-Info).
    pub fn parse_list(value: &str) -> Result<Self, HeaderError> {
        let _ = value;
        todo!()
    }
}
